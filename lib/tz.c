#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "timeutil.h"
#include "xio.h"

#define ZONE_FILE_MAX (1u << 20)
#define ZONEINFO_DIR "/usr/share/zoneinfo"
/* RFC 9636 §3.2: a time type's offset lies in [−25 h + 1 s, 26 h − 1 s]; POSIX rules stay inside it too. */
#define UTOFF_MIN (-89999)
#define UTOFF_MAX 93599
/* The Gregorian calendar, weekdays included, repeats every 400 years. */
#define ERA_SECONDS (INT64_C(146097) * 86400)
/* Far enough that no caller's time gets near, near enough that rule arithmetic cannot overflow. */
#define FAR_SECONDS (INT64_C(1) << 50)
#define YEAR_LIMIT 1000000

/* A date of a POSIX TZ rule: Jn (1–365, no Feb 29), n (0–365) or Mm.w.d, and the local time of the change. */
struct tz_date {
	char form;          /* 'J', 'n' or 'M' */
	int n, m, w, d;
	int32_t time;       /* seconds after local midnight; may be negative or past 24 h (RFC 9636) */
};

struct posix_tz {
	int32_t std_off, dst_off;   /* seconds east of UTC */
	bool has_dst;
	struct tz_date start, end;  /* DST starts (read in standard time) and ends (read in DST) */
};

struct tz {
	int64_t *at;        /* transition times in Unix seconds, ascending */
	uint8_t *type;      /* the time type from each transition on */
	size_t n;
	int32_t *off;       /* each time type's offset, seconds east of UTC */
	size_t ntypes;
	bool has_rule;      /* rule holds from the last transition on, or always when n == 0 */
	struct posix_tz rule;
};

/* Reasons that quote a name and a path need formatting; tools are single-threaded, but be safe. */
static _Thread_local char why_buf[PATH_MAX + 512];

__attribute__((format(printf, 1, 2)))
static const char *reason(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof why_buf, fmt, ap);
	va_end(ap);
	return why_buf;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_length(int64_t y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return len[m - 1] + (m == 2 && leap_year(y));
}

/* ---- POSIX TZ rules ("CET-1CEST,M3.5.0,M10.5.0/3"), as POSIX and RFC 9636 §3.3 define them ---- */

/* A zone abbreviation: three or more letters, or <…> of letters, digits, + and -. */
static bool tz_name(const char **sp)
{
	const char *s = *sp;
	size_t n = 0;

	if (*s == '<') {
		for (s++; is_alpha(*s) || is_digit(*s) || *s == '+' || *s == '-'; s++)
			n++;
		if (*s++ != '>')
			return false;
	} else {
		for (; is_alpha(*s); s++)
			n++;
	}
	if (n < 3)
		return false;
	*sp = s;
	return true;
}

/* Up to maxdigits digits making a number in [lo, hi]. */
static bool tz_num(const char **sp, int maxdigits, int lo, int hi, int *out)
{
	const char *s = *sp;
	int v = 0, n = 0;

	for (; n < maxdigits && is_digit(*s); s++, n++)
		v = v * 10 + (*s - '0');
	if (n == 0 || v < lo || v > hi)
		return false;
	*out = v;
	*sp = s;
	return true;
}

/* [+-]h[h…][:mm[:ss]] with hours at most max_hours, as seconds. */
static bool tz_hms(const char **sp, int max_hours, int32_t *out)
{
	const char *s = *sp;
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!tz_num(&s, max_hours > 99 ? 3 : 2, 0, max_hours, &h))
		return false;
	if (*s == ':') {
		s++;
		if (!is_digit(s[0]) || !is_digit(s[1]) || !tz_num(&s, 2, 0, 59, &m))
			return false;
		if (*s == ':') {
			s++;
			if (!is_digit(s[0]) || !is_digit(s[1]) || !tz_num(&s, 2, 0, 59, &sec))
				return false;
		}
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	*sp = s;
	return true;
}

static bool tz_date(const char **sp, struct tz_date *d)
{
	const char *s = *sp;

	if (*s == 'J') {
		s++;
		d->form = 'J';
		if (!tz_num(&s, 3, 1, 365, &d->n))
			return false;
	} else if (*s == 'M') {
		s++;
		d->form = 'M';
		if (!tz_num(&s, 2, 1, 12, &d->m) || *s++ != '.' || !tz_num(&s, 1, 1, 5, &d->w) || *s++ != '.' ||
		    !tz_num(&s, 1, 0, 6, &d->d))
			return false;
	} else {
		d->form = 'n';
		if (!tz_num(&s, 3, 0, 365, &d->n))
			return false;
	}
	d->time = 7200;
	if (*s == '/') {
		s++;
		if (!tz_hms(&s, 167, &d->time))
			return false;
	}
	*sp = s;
	return true;
}

static int posix_parse(struct posix_tz *z, const char *s, const char **why)
{
	int32_t off;

	memset(z, 0, sizeof *z);
	if (!tz_name(&s) || !tz_hms(&s, 24, &off)) {
		*why = "expected a standard time name and its offset west of UTC, such as CET-1";
		return -1;
	}
	z->std_off = -off;       /* POSIX counts west of Greenwich positive */
	z->dst_off = z->std_off;
	if (*s == '\0')
		return 0;
	if (!tz_name(&s)) {
		*why = "expected a daylight-saving time name after the offset";
		return -1;
	}
	z->has_dst = true;
	z->dst_off = z->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (!tz_hms(&s, 24, &off)) {
			*why = "the daylight-saving time offset is malformed";
			return -1;
		}
		z->dst_off = -off;
	}
	/* POSIX leaves DST without a rule to the implementation; refuse rather than guess. */
	if (*s++ != ',') {
		*why = "daylight-saving time needs its rule, such as ,M3.5.0,M10.5.0/3";
		return -1;
	}
	if (!tz_date(&s, &z->start) || *s++ != ',' || !tz_date(&s, &z->end)) {
		*why = "malformed rule: want start,end as Mm.w.d, Jn or n, each with an optional /time";
		return -1;
	}
	if (*s != '\0') {
		*why = "text after the rule";
		return -1;
	}
	return 0;
}

/* The day number of a rule date in year y. */
static int64_t tz_date_day(const struct tz_date *d, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1);

	if (d->form == 'J')
		return jan1 + d->n - 1 + (leap_year(y) && d->n >= 60);
	if (d->form == 'n')
		return jan1 + d->n;
	int64_t first = days_from_civil(y, (unsigned)d->m, 1);
	int wday = (int)(first - 7 * floor_div(first + 4, 7) + 4);   /* 0 Sunday; 1970-01-01 was a Thursday */
	int dom = 1 + (d->d - wday + 7) % 7 + 7 * (d->w - 1);
	while (dom > month_length(y, d->m))   /* week 5 means the last such day */
		dom -= 7;
	return first + dom - 1;
}

/* The instant of a rule date's change in year y, its local time read at offset off. */
static int64_t posix_change(const struct tz_date *d, int64_t y, int32_t off)
{
	return tz_date_day(d, y) * 86400 + d->time - off;
}

/* The year whose rule dates decide instant t: its year in standard time. */
static int64_t posix_year(const struct posix_tz *z, int64_t t)
{
	int64_t y;
	unsigned mo, da;

	civil_from_days(floor_div(t + z->std_off, 86400), &y, &mo, &da);
	return y;
}

static int32_t posix_offset(const struct posix_tz *z, int64_t t)
{
	if (!z->has_dst)
		return z->std_off;
	if (t > FAR_SECONDS || t < -FAR_SECONDS)
		t %= ERA_SECONDS;     /* the same answer, without overflow */
	int64_t y = posix_year(z, t);
	int64_t start = posix_change(&z->start, y, z->std_off);
	int64_t end = posix_change(&z->end, y, z->dst_off);
	/* Southern zones have DST over the new year: then start comes after end. */
	bool dst = start < end ? t >= start && t < end : !(t >= end && t < start);
	return dst ? z->dst_off : z->std_off;
}

/*
 * The first instant after t where posix_offset may change: within one rule
 * year only at its start and end, then where the year changes. Near times
 * only (tz_day_start_ms keeps to them).
 */
static int64_t posix_next(const struct posix_tz *z, int64_t t)
{
	if (!z->has_dst)
		return INT64_MAX;
	int64_t y = posix_year(z, t);
	int64_t next = days_from_civil(y + 1, 1, 1) * 86400 - z->std_off;
	int64_t start = posix_change(&z->start, y, z->std_off), end = posix_change(&z->end, y, z->dst_off);
	if (start > t && start < next)
		next = start;
	if (end > t && end < next)
		next = end;
	return next;
}

static bool rule_holds(const struct tz *z, int64_t t)
{
	return z->has_rule && (z->n == 0 || t >= z->at[z->n - 1]);
}

int32_t tz_offset(const struct tz *z, int64_t t)
{
	if (rule_holds(z, t))
		return posix_offset(&z->rule, t);
	if (z->n == 0 || t < z->at[0])
		return z->off[0];       /* RFC 9636: time type 0 before the first transition */
	size_t lo = 0, hi = z->n;   /* the last transition at or before t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[z->type[lo]];
}

/* The first instant after t where tz_offset may change, or INT64_MAX. */
static int64_t next_change(const struct tz *z, int64_t t)
{
	if (rule_holds(z, t))
		return posix_next(&z->rule, t);
	size_t lo = 0, hi = z->n;   /* the first transition after t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < z->n ? z->at[lo] : INT64_MAX;
}

int64_t tz_day_start_ms(const struct tz *z, int64_t year, int month, int day)
{
	if (year < -YEAR_LIMIT || year > YEAR_LIMIT || month < 1 || month > 12 || day < 1 ||
	    day > month_length(year, month))
		return INT64_MIN;
	int64_t midnight = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400;   /* local */
	/*
	 * Local time is not monotonic (it falls back), so walk the stretches of
	 * constant offset from the earliest instant any offset could make local
	 * midnight; the first stretch that reaches it holds the answer. By
	 * midnight − UTOFF_MIN every offset has, so the walk ends.
	 */
	int64_t t = midnight - UTOFF_MAX;
	for (;;) {
		int64_t end = next_change(z, t), at = midnight - tz_offset(z, t);
		if (at < t)
			at = t;         /* local midnight fell in a gap: the stretch after it starts the day */
		if (at < end)
			return at * 1000;
		t = end;
	}
}

int tz_parse_date(const char *s, int64_t *year, int *month, int *day)
{
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !is_digit(s[i]))
			return -1;
	if (s[10] != '\0')
		return -1;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > month_length(y, m))
		return -1;
	*year = y;
	*month = m;
	*day = d;
	return 0;
}

void tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->at);
	free(z->type);
	free(z->off);
	free(z);
}

/* ---- TZif files (RFC 9636) ---- */

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be_signed(const uint8_t *p, unsigned size)
{
	uint64_t u = 0;
	for (unsigned i = 0; i < size; i++)
		u = u << 8 | p[i];
	if (size < 8 && (u >> (8 * size - 1)))
		u |= ~(uint64_t)0 << (8 * size);     /* sign-extend a 32-bit time */
	return u > INT64_MAX ? -(int64_t)(~u) - 1 : (int64_t)u;
}

static bool tzif_header(const uint8_t *p, size_t len, size_t at, struct tzif_counts *c)
{
	if (at > len || len - at < 44 || memcmp(p + at, "TZif", 4) != 0)
		return false;
	const uint8_t *q = p + at + 20;
	c->isut = be32(q);
	c->isstd = be32(q + 4);
	c->leap = be32(q + 8);
	c->time = be32(q + 12);
	c->type = be32(q + 16);
	c->chars = be32(q + 20);
	return true;
}

static uint64_t tzif_block_size(const struct tzif_counts *c, unsigned tsize)
{
	return (uint64_t)c->time * (tsize + 1) + (uint64_t)c->type * 6 + c->chars + (uint64_t)c->leap * (tsize + 4) +
	       c->isstd + c->isut;
}

/* The footer of a version 2+ file: a POSIX TZ rule between newlines, possibly empty. */
static int tzif_footer(struct tz *z, const uint8_t *p, size_t len, const char **why)
{
	const uint8_t *nl = len > 0 && p[0] == '\n' ? memchr(p + 1, '\n', len - 1) : NULL;
	char rule[256];

	if (nl == NULL || (size_t)(nl - p - 1) >= sizeof rule) {
		*why = "TZif file has a malformed footer";
		return -1;
	}
	size_t n = (size_t)(nl - p - 1);
	memcpy(rule, p + 1, n);
	rule[n] = '\0';
	if (n == 0)
		return 0;
	if (memchr(rule, '\0', n) != NULL || posix_parse(&z->rule, rule, why) < 0) {
		*why = "TZif footer is not a POSIX TZ rule hive reads";
		return -1;
	}
	z->has_rule = true;
	return 0;
}

static int tzif_parse(struct tz *z, const uint8_t *p, size_t len, const char **why)
{
	struct tzif_counts c;
	size_t at = 0;
	unsigned tsize = 4;

	*why = "not a TZif file";
	if (!tzif_header(p, len, 0, &c))
		return -1;
	uint8_t version = p[4];
	if (version != 0 && (version < '2' || version > '4')) {
		*why = "TZif file of an unknown version";
		return -1;
	}
	if (version != 0) {
		/* Skip the 32-bit data of version 1 to the 64-bit data that follows. */
		uint64_t skip = 44 + tzif_block_size(&c, 4);
		*why = "TZif file is truncated";
		if (skip > len || !tzif_header(p, len, (size_t)skip, &c))
			return -1;
		at = (size_t)skip;
		tsize = 8;
	}
	at += 44;
	if (tzif_block_size(&c, tsize) > len - at) {
		*why = "TZif file is truncated";
		return -1;
	}
	if (c.leap != 0) {
		*why = "zone counts leap seconds (a right/ zone), hive's Unix times do not";
		return -1;
	}
	if (c.type == 0 || c.chars == 0 || (c.isstd != 0 && c.isstd != c.type) || (c.isut != 0 && c.isut != c.type)) {
		*why = "TZif header has impossible counts";
		return -1;
	}
	const uint8_t *times = p + at, *index = times + (size_t)c.time * tsize, *types = index + c.time;
	z->n = c.time;
	z->ntypes = c.type;
	z->at = xcalloc(z->n, sizeof *z->at);
	z->type = xcalloc(z->n, 1);
	z->off = xcalloc(z->ntypes, sizeof *z->off);
	for (size_t i = 0; i < z->ntypes; i++) {
		int64_t off = be_signed(types + 6 * i, 4);
		if (off < UTOFF_MIN || off > UTOFF_MAX || types[6 * i + 4] > 1 || types[6 * i + 5] >= c.chars) {
			*why = "TZif file has a malformed time type";
			return -1;
		}
		z->off[i] = (int32_t)off;
	}
	for (size_t i = 0; i < z->n; i++) {
		z->at[i] = be_signed(times + i * tsize, tsize);
		z->type[i] = index[i];
		if ((i > 0 && z->at[i] <= z->at[i - 1]) || index[i] >= c.type) {
			*why = "TZif transitions are out of order or name no time type";
			return -1;
		}
	}
	at += (size_t)tzif_block_size(&c, tsize);
	return version == 0 ? 0 : tzif_footer(z, p + at, len - at, why);
}

/* ---- loading ---- */

bool tz_name_ok(const char *s)
{
	size_t len = strlen(s), comp = 0;

	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '/') {
			if (comp == 0 || (comp == 1 && s[i - 1] == '.') || (comp == 2 && s[i - 1] == '.' && s[i - 2] == '.'))
				return false;
			comp = 0;
			continue;
		}
		char ch = s[i];
		if (!is_alpha(ch) && !is_digit(ch) && ch != '.' && ch != '_' && ch != '+' && ch != '-')
			return false;
		comp++;
	}
	return true;
}

/* tz_load_name, also saying whether the file is missing (tz_load_any then tries a rule). */
static int load_file(struct tz **out, const char *name, const char **why, bool *missing)
{
	const char *dir = secure_getenv("TZDIR"), *bad;
	struct buf path = BUF_INIT, data = BUF_INIT;
	int rc = -1;

	*out = NULL;
	*missing = false;
	if (!tz_name_ok(name)) {
		*why = "not an IANA time zone name such as \"Europe/Zurich\"";
		return -1;
	}
	buf_printf(&path, "%s/%s", dir != NULL && *dir != '\0' ? dir : ZONEINFO_DIR, name);
	if (read_file_following(path.data, &data, ZONE_FILE_MAX) < 0) {
		*missing = errno == ENOENT;
		*why = *missing ? reason("unknown time zone '%s' (no file '%s')", name, path.data)
		                : reason("cannot read time zone '%s' from '%s': %s", name, path.data, strerror(errno));
	} else {
		struct tz *z = xcalloc(1, sizeof *z);
		if (tzif_parse(z, (const uint8_t *)data.data, data.len, &bad) < 0) {
			*why = reason("time zone '%s' ('%s'): %s", name, path.data, bad);
			tz_free(z);
		} else {
			*out = z;
			rc = 0;
		}
	}
	buf_free(&path);
	buf_free(&data);
	return rc;
}

int tz_load_name(struct tz **out, const char *name, const char **why)
{
	bool missing;

	return load_file(out, name, why, &missing);
}

int tz_load_posix(struct tz **out, const char *rule, const char **why)
{
	struct tz *z = xcalloc(1, sizeof *z);

	*out = NULL;
	if (posix_parse(&z->rule, rule, why) < 0) {
		tz_free(z);
		return -1;
	}
	z->has_rule = true;
	*out = z;
	return 0;
}

int tz_load_any(struct tz **out, const char *spec, const char **why)
{
	const char *rule_why;
	bool named = tz_name_ok(spec), missing = true;

	if (named) {
		int rc = load_file(out, spec, why, &missing);
		if (rc == 0 || !missing)
			return rc;
	}
	if (tz_load_posix(out, spec, &rule_why) == 0)
		return 0;
	if (!named) {
		*why = reason("neither an IANA time zone name nor a POSIX TZ rule: %s", rule_why);
		return -1;
	}
	/* Add to the missing file's message in place, which names the file looked for. */
	size_t n = strlen(why_buf);
	snprintf(why_buf + n, sizeof why_buf - n, ", and not a POSIX TZ rule: %s", rule_why);
	*why = why_buf;
	return -1;
}

int tz_day_range(const struct tz *z, const char *day, int64_t now_ms, int64_t *from_ms, int64_t *to_ms)
{
	int64_t year;
	int month, mday;
	if (strcmp(day, "yesterday") == 0 || strcmp(day, "today") == 0) {
		/* The zone's calendar date now: "yesterday" is the day that just ended there. */
		int64_t now = now_ms / 1000, local = now + tz_offset(z, now);
		int64_t days = (local >= 0 ? local : local - 86399) / 86400 - (day[0] == 'y');
		unsigned m, d;
		civil_from_days(days, &year, &m, &d);
		month = (int)m;
		mday = (int)d;
	} else if (tz_parse_date(day, &year, &month, &mday) != 0) {
		return -1;
	}
	int64_t y2;
	unsigned m2, d2;
	civil_from_days(days_from_civil(year, (unsigned)month, (unsigned)mday) + 1, &y2, &m2, &d2);
	*from_ms = tz_day_start_ms(z, year, month, mday);
	*to_ms = tz_day_start_ms(z, y2, (int)m2, (int)d2);
	return 0;
}

int64_t tz_local_day(const struct tz *z, int64_t t_ms)
{
	int64_t s = t_ms / 1000 - (t_ms % 1000 < 0);
	if (z)
		s += tz_offset(z, s);
	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}
