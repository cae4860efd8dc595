#include "record.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "jcs.h"
#include "jsonscan.h"
#include "utf8.h"
#include "xio.h"

void rec_loop_init(struct rec_loop *loop, int out_fd, bool strict)
{
	memset(loop, 0, sizeof *loop);
	loop->out_fd = out_fd;
	loop->strict = strict;
	loop->rejects_fd = -1;
}

void rec_loop_free(struct rec_loop *loop)
{
	buf_free(&loop->scratch);
}

static void where(char *out, size_t size, const struct rec *r)
{
	if (r->source == NULL)
		snprintf(out, size, "line %lu", r->lineno);
	else
		snprintf(out, size, "'%s' line %lu", r->source, r->lineno);
}

/* The rejected line as a "reject" record on rejects_fd (see record.h). */
static void write_reject(struct rec_loop *loop, const struct rec *r, const char *msg)
{
	/* Members in RFC 8785 order, like every record hive writes. */
	struct buf b = BUF_INIT;
	bool text = utf8_check(r->line, r->len) == r->len;
	buf_putc(&b, '{');
	if (!text) {
		buf_puts(&b, "\"hex\":\"");
		buf_hex(&b, (const uint8_t *)r->line, r->len);
		buf_puts(&b, "\",");
	}
	buf_printf(&b, "\"line\":%lu,\"program\":", r->lineno);
	jcs_string(&b, diag_progname(), strlen(diag_progname()));
	buf_puts(&b, ",\"reason\":");
	jcs_string(&b, msg, strlen(msg));
	buf_puts(&b, ",\"source\":");
	if (r->source && utf8_check(r->source, strlen(r->source)) == strlen(r->source)) {
		jcs_string(&b, r->source, strlen(r->source));
	} else if (r->source) {
		/* A file name that is not UTF-8 cannot be a JSON string: its bytes in hex. */
		buf_puts(&b, "\"hex:");
		buf_hex(&b, (const uint8_t *)r->source, strlen(r->source));
		buf_putc(&b, '"');
	} else {
		buf_puts(&b, "null");
	}
	if (text) {
		buf_puts(&b, ",\"text\":");
		jcs_string(&b, r->line, r->len);
	}
	buf_puts(&b, ",\"type\":\"reject\"}\n");
	if (write_full(loop->rejects_fd, b.data, b.len) < 0) {
		diag_warn_errno("cannot write the rejects file");
		loop->fatal = HIVE_EOUTPUT;
		loop->stop = true;
	}
	buf_free(&b);
}

void rec_reject(struct rec_loop *loop, const struct rec *r, const char *fmt, ...)
{
	char at[512], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	where(at, sizeof at, r);
	diag_warn("%s: %s", at, msg);
	loop->bad++;
	if (loop->rejects_fd >= 0)
		write_reject(loop, r, msg);
	if (loop->strict)
		loop->stop = true;
}

int rec_write(struct rec_loop *loop, const char *data, size_t len)
{
	struct buf *b = &loop->scratch;

	/* Assemble record and newline so the line leaves in one write(2) and a reader never sees half of it. */
	buf_reset(b);
	buf_append(b, data, len);
	buf_putc(b, '\n');
	if (write_full(loop->out_fd, b->data, b->len) < 0) {
		diag_warn_errno("cannot write output");
		loop->fatal = HIVE_EOUTPUT;
		loop->stop = true;
		return -1;
	}
	loop->written++;
	return 0;
}

static bool strict_line(struct rec_loop *loop, const struct rec *r);

bool rec_checked(struct rec_loop *loop, const struct rec *r)
{
	return !(r->view && !r->strict) || strict_line(loop, r);
}

int rec_pass(struct rec_loop *loop, const struct rec *r)
{
	/* A view-mode line that skipped the strict pass gets it before it is written on. */
	if (!rec_checked(loop, r))
		return -1;
	return rec_write(loop, r->line, r->len);
}

const char *rec_string(const struct rec *r, const char *key)
{
	jv v = jv_object_get(jv_copy(r->value), jv_string(key));
	const char *s = NULL;

	/* The object keeps its own reference, so the bytes outlive our copy. A string holding a NUL is
	   not the string before it: none. */
	if (jv_get_kind(v) == JV_KIND_STRING && strlen(jv_string_value(v)) == (size_t)jv_string_length_bytes(jv_copy(v)))
		s = jv_string_value(v);
	jv_free(v);
	return s;
}

const char *rec_type(const struct rec *r)
{
	if (r->view) {
		const struct jsonview_member *m = jsonview_get(r->view, "type");
		static char type[64];
		if (!m || m->kind != JV_STRING_SPAN)
			return NULL;
		/* escapes decoded as jq would (a view holds no escape the strict pass has not checked) */
		struct buf b = { 0 };
		const char *text = m->val;
		size_t len = m->vlen;
		if (m->escaped) {
			if (jsonview_string(m, &b) != 0) {
				buf_free(&b);
				return NULL;
			}
			text = b.data;
			len = b.len;
		}
		bool fits = len < sizeof type && !memchr(text, '\0', len);
		if (fits) {
			memcpy(type, text, len);
			type[len] = '\0';
		}
		buf_free(&b);
		return fits ? type : NULL;
	}
	return rec_string(r, "type");
}

static bool blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

/* Nested values and escaped strings are only delimited by a view: those lines get the strict pass too. */
static bool view_is_flat(const struct jsonview *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->m[i].kind == JV_ARRAY_SPAN || v->m[i].kind == JV_OBJECT_SPAN || v->m[i].escaped)
			return false;
	return true;
}

int rec_strict(const char *line, size_t len, size_t *offset, const char **why)
{
	size_t bad = utf8_check(line, len);
	const char *nul = memchr(line, '\0', len);
	if (nul != NULL && (size_t)(nul - line) < bad)
		return *offset = (size_t)(nul - line), *why = "NUL byte in record", -1;
	if (bad != len)
		return *offset = bad, *why = "invalid UTF-8", -1;
	return jsonscan_check(line, len, offset, why) < 0 ? -1 : 0;
}

/* The strict checks of every loop (rec_strict), reported. */
static bool strict_line(struct rec_loop *loop, const struct rec *r)
{
	size_t offset;
	const char *why;
	if (rec_strict(r->line, r->len, &offset, &why) != 0) {
		rec_reject(loop, r, "byte offset %zu: %s", offset, why);
		return false;
	}
	return true;
}

/*
 * View mode. A flat object whose view parses is already checked as far as
 * a consumer of its members needs: its strings' escapes, control bytes and
 * UTF-8, its numbers' grammar, its literals, no repeated names, nothing
 * outside the object. Only such a line skips the strict pass (a reader of
 * hundreds of MB spends most of its time there); rec_pass runs it before a
 * skipped line is written on. Everything else gets the strict pass first,
 * so diagnostics are the same as in the normal mode.
 */
static void handle_view(struct rec_loop *loop, struct rec *r, rec_handler handler, void *arg)
{
	struct jsonview view;
	const char *why;
	r->strict = false;
	if (jsonview_parse(&view, r->line, r->len, &why) != 0 || !view_is_flat(&view)) {
		if (!strict_line(loop, r))
			return;
		r->strict = true;
		if (jsonview_parse(&view, r->line, r->len, &why) != 0) {
			/* Strict JSON a flat view cannot hold (many members, deep nesting): a jq value, view NULL. */
			r->value = jv_parse_sized(r->line, (int)r->len);
			if (jv_get_kind(r->value) != JV_KIND_OBJECT)
				rec_reject(loop, r, "record is not a JSON object");
			else
				loop->read++, handler(loop, r, arg);
			jv_free(r->value);
			r->value = jv_invalid();
			return;
		}
	}
	r->view = &view;
	loop->read++;
	handler(loop, r, arg);
	r->view = NULL;
}

static void handle_line(struct rec_loop *loop, struct rec *r, rec_handler handler, void *arg)
{
	if (loop->view_mode) {
		handle_view(loop, r, handler, arg);
		return;
	}
	/* Strict JSON first: jq's parser is lenient, and leaks on some malformed input. */
	if (!strict_line(loop, r))
		return;
	if (r->len > (size_t)INT32_MAX) {
		rec_reject(loop, r, "record longer than 2 GiB");
		return;
	}
	r->value = jv_parse_sized(r->line, (int)r->len);
	if (!jv_is_valid(r->value)) {
		jv msg = jv_invalid_get_msg(r->value);
		rec_reject(loop, r, "invalid JSON: %s",
		           jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "unparsable");
		jv_free(msg);
		return;
	}
	if (jv_get_kind(r->value) != JV_KIND_OBJECT) {
		rec_reject(loop, r, "record is not a JSON object");
	} else {
		loop->read++;
		handler(loop, r, arg);
	}
	jv_free(r->value);
	r->value = jv_invalid();
}

void rec_loop_stream(struct rec_loop *loop, FILE *in, const char *source, rec_handler handler, void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct rec r = { .value = jv_invalid(), .source = source };

	while (!loop->stop && (n = getline(&line, &cap, in)) >= 0) {
		size_t len = (size_t)n;
		r.lineno++;
		/* The line end (LF or CRLF) and trailing white space carry no meaning: drop them,
		 * so a record passed through reads back the same. */
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
		                   line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (blank(line, len))
			continue;
		r.line = line;
		r.len = len;
		handle_line(loop, &r, handler, arg);
	}
	if (ferror(in)) {
		diag_warn_errno("cannot read '%s'", source ? source : "standard input");
		loop->fatal = loop->fatal ? loop->fatal : HIVE_EINPUT;
	}
	free(line);
}

/* One line of a stream, its end and trailing white space dropped; blank lines skipped. */
static void stream_line(struct rec_loop *loop, struct rec *r, char *line, size_t len, rec_handler handler,
                        void *arg)
{
	r->lineno++;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
	                   line[len - 1] == '\t'))
		len--;
	if (blank(line, len))
		return;
	r->line = line;
	r->len = len;
	handle_line(loop, r, handler, arg);
}

/* A line longer than REC_POLL_LINE_MAX: counted and reported, never handled. */
static void skip_long_line(struct rec_loop *loop, struct rec *r, const char *source)
{
	r->lineno++;
	diag_warn("%s line %lu: longer than %u bytes: skipped", source ? source : "standard input", r->lineno,
	          REC_POLL_LINE_MAX);
	loop->bad++;
	if (loop->strict)
		loop->stop = true;
}

void rec_loop_poll(struct rec_loop *loop, int fd, const char *source, rec_handler handler,
                   long (*wait_ms)(void *arg), void (*on_timeout)(struct rec_loop *loop, void *arg), void *arg)
{
	struct buf in = { 0 };
	struct rec r = { .value = jv_invalid(), .source = source };
	char chunk[65536];
	bool eof = false, skipping = false;
	size_t scanned = 0; /* bytes of in already searched for a newline */
	while (!loop->stop && !eof) {
		long ms = wait_ms(arg);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ready = poll(&p, 1, ms < 0 ? -1 : ms > 86400000 ? 86400000 : (int)ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0) {
			diag_warn_errno("cannot wait for '%s'", source ? source : "standard input");
			loop->fatal = loop->fatal ? loop->fatal : HIVE_EINPUT;
			break;
		}
		if (ready == 0) {
			on_timeout(loop, arg);
			continue;
		}
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			diag_warn_errno("cannot read '%s'", source ? source : "standard input");
			loop->fatal = loop->fatal ? loop->fatal : HIVE_EINPUT;
			break;
		}
		eof = n == 0;
		buf_append(&in, chunk, (size_t)n);
		size_t start = 0;
		for (size_t i = scanned; i < in.len && !loop->stop; i++)
			if (in.data[i] == '\n') {
				if (skipping) /* the end of a line too long to read: counted, not handled */
					skipping = false;
				else if (i - start > REC_POLL_LINE_MAX) /* whole in this read, and as long */
					skip_long_line(loop, &r, source);
				else
					stream_line(loop, &r, in.data + start, i + 1 - start, handler, arg);
				start = i + 1;
			}
		if (eof && start < in.len && !loop->stop && !skipping) {
			if (in.len - start > REC_POLL_LINE_MAX)
				skip_long_line(loop, &r, source);
			else
				stream_line(loop, &r, in.data + start, in.len - start, handler, arg);
		}
		if (start > 0) {
			memmove(in.data, in.data + start, in.len - start);
			in.len -= start;
		}
		scanned = in.len;
		if (in.len > REC_POLL_LINE_MAX && !skipping && !loop->stop) {
			/* A line this long is no record of ours; it must not hold up the timeouts. */
			skip_long_line(loop, &r, source);
			skipping = true;
		}
		if (skipping)
			in.len = scanned = 0;
	}
	buf_free(&in);
}

int rec_loop_run(struct rec_loop *loop, char *const files[], int nfiles, rec_handler handler, void *arg)
{
	bool unreadable = false;

	if (nfiles == 0)
		rec_loop_stream(loop, stdin, NULL, handler, arg);
	for (int i = 0; i < nfiles && !loop->stop; i++) {
		if (strcmp(files[i], "-") == 0) {
			rec_loop_stream(loop, stdin, NULL, handler, arg);
			continue;
		}
		FILE *f = fopen(files[i], "re");
		if (f == NULL) {
			diag_warn_errno("cannot open '%s'", files[i]);
			unreadable = true;
			continue;
		}
		rec_loop_stream(loop, f, files[i], handler, arg);
		fclose(f);
	}
	if (loop->fatal)
		return loop->fatal;
	if (unreadable)
		return HIVE_EINPUT;
	return loop->bad ? HIVE_EBAD : HIVE_OK;
}
