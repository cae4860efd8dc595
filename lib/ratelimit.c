#include "ratelimit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

void ratelimit_init(struct ratelimit *rl, unsigned interval_s)
{
	memset(rl, 0, sizeof *rl);
	rl->interval_s = interval_s ? interval_s : RATELIMIT_INTERVAL_S;
}

static time_t now(const struct ratelimit *rl)
{
	return rl->now ? rl->now(rl->now_arg) : time(NULL);
}

/* FNV-1a, never 0 (0 marks a free slot). */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 14695981039346656037u;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return h ? h : 1;
}

static void format_utc(time_t t, char *out, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		snprintf(out, size, "?");
	else
		strftime(out, size, "%H:%M:%SZ", &tm);
}

/* Prints the held-back count of k, if any, and clears it. */
static void flush_kind(struct ratelimit_kind *k)
{
	char since[16];

	if (k->held == 0)
		return;
	format_utc(k->last_printed, since, sizeof since);
	diag_warn("%s (last of %lu more since %s)", k->text, k->held, since);
	k->held = 0;
}

/* The kind of hash, or a slot for it: a free one, else the least recently seen after flushing it. */
static struct ratelimit_kind *find_kind(struct ratelimit *rl, uint64_t hash, bool *fresh)
{
	struct ratelimit_kind *oldest = &rl->kinds[0];

	for (size_t i = 0; i < RATELIMIT_KINDS; i++) {
		struct ratelimit_kind *k = &rl->kinds[i];
		if (k->hash == hash) {
			*fresh = false;
			return k;
		}
		if (oldest->hash != 0 && (k->hash == 0 || k->last_seen < oldest->last_seen))
			oldest = k;
	}
	flush_kind(oldest);
	memset(oldest, 0, sizeof *oldest);
	oldest->hash = hash;
	*fresh = true;
	return oldest;
}

bool ratelimit_warn(struct ratelimit *rl, const char *key, const char *fmt, ...)
{
	time_t t = now(rl);
	bool fresh;
	struct ratelimit_kind *k = find_kind(rl, key_hash(key ? key : fmt), &fresh);
	char text[RATELIMIT_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	k->last_seen = t;
	/* A clock that steps back counts as the interval having passed, so nothing is held forever. */
	if (!fresh && t >= k->last_printed && t - k->last_printed < (time_t)rl->interval_s) {
		memcpy(k->text, text, sizeof text);
		k->held++;
		return false;
	}
	if (k->held > 0) {
		char since[16];
		format_utc(k->last_printed, since, sizeof since);
		diag_warn("%s (%lu more since %s)", text, k->held, since);
	} else {
		diag_warn("%s", text);
	}
	k->held = 0;
	k->last_printed = t;
	return true;
}

void ratelimit_flush(struct ratelimit *rl)
{
	for (size_t i = 0; i < RATELIMIT_KINDS; i++)
		flush_kind(&rl->kinds[i]);
}
