#include "d0.h"

#include <string.h>

#include "obis.h"

static const int mode_c_baud[7] = { 300, 600, 1200, 2400, 4800, 9600, 19200 };

static bool is_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Z: '0'..'6' mode C, 'A'..'F' mode B, '7'..'9' and 'G'..'I' reserved, anything else mode A. */
static int decode_baud(struct d0_ident *out, char z)
{
	if (z >= '0' && z <= '6') {
		out->mode = 'C';
		out->baud = mode_c_baud[z - '0'];
	} else if (z >= 'A' && z <= 'F') {
		out->mode = 'B';
		out->baud = mode_c_baud[z - 'A' + 1];
	} else if ((z >= '7' && z <= '9') || (z >= 'G' && z <= 'I') || z == '/' || z == '!') {
		return -1;
	} else {
		out->mode = 'A';
		out->baud = 300;
	}
	return 0;
}

int d0_parse_ident(struct d0_ident *out, const char *line, size_t len, const char **why)
{
	memset(out, 0, sizeof *out);
	if (len >= 1 && line[len - 1] == '\n')
		len--;
	if (len >= 1 && line[len - 1] == '\r')
		len--;
	if (len < 5 || line[0] != '/') {
		*why = "identification message is not /MMMZ…";
		return -1;
	}
	if (!is_letter(line[1]) || !is_letter(line[2]) || !is_letter(line[3])) {
		*why = "manufacturer is not three letters";
		return -1;
	}
	for (size_t i = 4; i < len; i++) {
		if (line[i] < 0x20 || line[i] > 0x7e) {
			*why = "control or non-ASCII character in the identification message";
			return -1;
		}
	}
	if (decode_baud(out, line[4]) < 0) {
		*why = "reserved baud rate character";
		return -1;
	}
	if (len - 5 >= sizeof out->ident) {
		*why = "identification message too long";
		return -1;
	}
	memcpy(out->manufacturer, line + 1, 3);
	out->baud_char = line[4];
	out->fast_reaction = line[3] >= 'a' && line[3] <= 'z';
	memcpy(out->ident, line + 5, len - 5);
	const char *esc = memchr(out->ident, '\\', len - 5);
	if (esc != NULL && esc[1] != '\0')
		out->enhanced = esc[1];
	return 0;
}

char d0_baud_char(int baud)
{
	for (int i = 0; i < 7; i++)
		if (mode_c_baud[i] == baud)
			return (char)('0' + i);
	return '\0';
}

static bool address_char(char c)
{
	return is_letter(c) || (c >= '0' && c <= '9') || c == ' ';
}

int d0_sign_on(struct buf *out, const char *address)
{
	size_t n = address != NULL ? strlen(address) : 0;

	if (n > D0_MAX_ADDRESS)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!address_char(address[i]))
			return -1;
	buf_puts(out, "/?");
	buf_append(out, address, n);
	buf_puts(out, "!\r\n");
	return 0;
}

int d0_ack(struct buf *out, int baud)
{
	char z = d0_baud_char(baud);
	char msg[] = { D0_ACK, '0', z, '0', '\r', '\n' };

	if (z == '\0')
		return -1;
	buf_append(out, msg, sizeof msg);
	return 0;
}

size_t d0_readout_end(const char *p, size_t len)
{
	const char *stx = memchr(p, D0_STX, len);

	if (stx == NULL)
		return 0;
	const char *etx = memchr(stx, D0_ETX, len - (size_t)(stx - p));
	if (etx == NULL || (size_t)(etx - p) + 1 >= len)
		return 0;
	return (size_t)(etx - p) + 2;
}

static int fail(size_t *bad_offset, const char **why, size_t at, const char *reason)
{
	*bad_offset = at;
	*why = reason;
	return -1;
}

/* The identification line, if the bytes start with one; returns where the rest starts. */
static size_t frame_ident(struct d0_readout *out, const char *p, size_t len)
{
	if (len == 0 || p[0] != '/')
		return 0;
	const char *lf = memchr(p, '\n', len);
	if (lf == NULL)
		return 0;
	out->ident = p + 1;
	out->ident_len = (size_t)(lf - p) - 1;
	if (out->ident_len > 0 && out->ident[out->ident_len - 1] == '\r')
		out->ident_len--;
	return (size_t)(lf - p) + 1;
}

/* After "!": CR LF, then ETX and BCC, or (with no_bcc) nothing. */
static int frame_end(struct d0_readout *out, const char *p, size_t len, size_t stx, size_t bang, bool no_bcc,
                     size_t *bad_offset, const char **why)
{
	size_t i = bang + 1;

	if (i + 2 > len || p[i] != '\r' || p[i + 1] != '\n')
		return fail(bad_offset, why, i, "readout end is not \"!\" CR LF");
	i += 2;
	if (i == len || p[i] != D0_ETX) {
		if (!no_bcc)
			return fail(bad_offset, why, i, "readout without ETX and BCC");
		out->len = i;
		return 0;
	}
	if (i + 1 == len) {
		if (!no_bcc)
			return fail(bad_offset, why, i + 1, "readout cut before its BCC");
		out->len = i + 1;
		return 0;
	}
	unsigned char bcc = 0;
	for (size_t k = stx + 1; k <= i; k++)
		bcc ^= (unsigned char)p[k];
	out->len = i + 2;
	if (bcc == (unsigned char)p[i + 1]) {
		out->checked = true;
		return 0;
	}
	return no_bcc ? 0 : fail(bad_offset, why, i + 1, "BCC mismatch");
}

int d0_frame(struct d0_readout *out, const char *p, size_t len, bool no_bcc, size_t *bad_offset, const char **why)
{
	memset(out, 0, sizeof *out);
	size_t stx = frame_ident(out, p, len);

	if (stx >= len || p[stx] != D0_STX)
		return fail(bad_offset, why, stx, "readout does not start with STX");
	size_t i = stx + 1;
	for (; i < len && p[i] != '!'; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\r' && c != '\n') || c > 0x7e)
			return fail(bad_offset, why, i, "control or non-ASCII character in the readout");
	}
	if (i == len)
		return fail(bad_offset, why, len, "readout without end (\"!\")");
	out->data = p + stx + 1;
	out->data_len = i - stx - 1;
	return frame_end(out, p, len, stx, i, no_bcc, bad_offset, why);
}

/* ---- data lines into a struct reading ------------------------------------- */

struct d0_parse {
	struct reading *r;
	struct obis_store electricity;
	int id_rank;            /* 2: serial number (C.1), 1: device address (0.0.0), 0: none yet */
};

static bool printable(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

/* C.1 / C.1.0 (= 96.1.0): serial number; 0.0.0: device address. Returns the rank, 0 if neither. */
static int id_rank(const struct obis_code *c)
{
	if (c->f != -1 || (c->a != -1 && c->a != 1) || c->b > 1)
		return 0;
	if (c->c == 96 && c->d == 1 && (c->e == -1 || c->e == 0))
		return 2;
	if (c->c == 0 && c->d == 0 && c->e == 0)
		return 1;
	return 0;
}

static int apply(struct d0_parse *ps, const struct obis_set *s, const char **where, const char **why)
{
	int rank = id_rank(&s->code);

	if (rank == 0)
		return obis_store_register(&ps->electricity, s, where, why) < 0 ? -1 : 0;
	*where = s->value[0].p;
	if (s->nvalues != 1 || s->value[0].len >= READING_ID_SIZE || !printable(s->value[0].p, s->value[0].len)) {
		*why = "malformed meter identifier";
		return -1;
	}
	if (rank > ps->id_rank) {
		memset(ps->r->meter_id, 0, sizeof ps->r->meter_id);
		memcpy(ps->r->meter_id, s->value[0].p, s->value[0].len);
		ps->r->meter_id[s->value[0].len] = '\0';
		ps->id_rank = rank;
	}
	return 0;
}

/* Data lines: one or more data sets "ID(value)" per line. */
static int parse_data(struct d0_parse *ps, const char *base, const char *p, size_t len, size_t *bad_offset,
                      const char **why)
{
	struct obis_set set;
	size_t i = 0;

	while (i < len) {
		if (p[i] == '\r' || p[i] == '\n') {
			i++;
			continue;
		}
		size_t used, off;
		if (obis_parse(&set, p + i, len - i, 0, &used, &off, why) < 0)
			return fail(bad_offset, why, (size_t)(p + i - base) + off, *why);
		if (set.nvalues == 0)
			return fail(bad_offset, why, (size_t)(p + i + used - base), "data set without a value");
		const char *where = NULL;
		if (apply(ps, &set, &where, why) < 0)
			return fail(bad_offset, why, (size_t)((where != NULL ? where : p + i) - base), *why);
		i += used;
	}
	return 0;
}

static int parse_readout(struct d0_parse *ps, const char *readout, size_t len, bool no_bcc, size_t *bad_offset,
                         const char **why)
{
	struct d0_readout ro;

	if (d0_frame(&ro, readout, len, no_bcc, bad_offset, why) < 0)
		return -1;
	if (ro.ident != NULL) {
		if (ro.ident_len >= sizeof ps->r->model || !printable(ro.ident, ro.ident_len))
			return fail(bad_offset, why, 1, "malformed identification line");
		memcpy(ps->r->model, ro.ident, ro.ident_len);
		ps->r->model[ro.ident_len] = '\0';
	}
	if (parse_data(ps, readout, ro.data, ro.data_len, bad_offset, why) < 0)
		return -1;
	if (obis_store_finish(&ps->electricity, why) < 0)
		return fail(bad_offset, why, (size_t)(ro.data + ro.data_len - readout), *why);
	ps->r->checked = ro.checked;
	return 0;
}

int d0_parse(struct reading *out, const char *readout, size_t len, bool no_bcc, size_t *bad_offset, const char **why)
{
	struct d0_parse ps = { out, { 0 }, 0 };

	reading_clear(out);
	obis_store_init(&ps.electricity, out);
	out->protocol = "d0";
	if (parse_readout(&ps, readout, len, no_bcc, bad_offset, why) < 0) {
		reading_clear(out);
		return -1;
	}
	return 0;
}
