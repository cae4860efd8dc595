#include "readloop.h"

#include <string.h>

#include "diag.h"

static int emit(struct readloop *l)
{
	if (rec_write(&l->out, l->line.data, l->line.len) < 0) {
		l->done = true;
		return -1;
	}
	return 0;
}

static void on_slot(void *arg, const struct interval_slot *slot)
{
	struct readloop *l = arg;

	buf_reset(&l->line);
	readrec_interval(&l->line, &l->cfg.ctx, slot);
	emit(l);
}

static void on_event(void *arg, const struct interval_event *ev)
{
	struct readloop *l = arg;

	buf_reset(&l->line);
	readrec_interval_event(&l->line, &l->cfg.ctx, ev);
	emit(l);
}

int readloop_init(struct readloop *l, const struct readloop_config *cfg, int out_fd)
{
	memset(l, 0, sizeof *l);
	l->cfg = *cfg;
	rec_loop_init(&l->out, out_fd, false);
	return interval_init(&l->iv, &cfg->interval);
}

void readloop_free(struct readloop *l)
{
	rec_loop_free(&l->out);
	buf_free(&l->line);
}

/* A register as whole Wh, rounded down (SML meters count tenths of Wh). */
static bool whole_wh(int64_t *wh, const struct decimal *d)
{
	struct decimal x = *d;

	if (!d->set)
		return false;
	while (x.exp < 0) {
		x.digits = x.digits >= 0 ? x.digits / 10 : -((-x.digits + 9) / 10);
		x.exp++;
	}
	return decimal_to_int(wh, &x) == 0;
}

static void feed_interval(struct readloop *l, const struct reading *r, int64_t host_ms)
{
	struct interval_sample s = { 0 };
	struct interval_sink sink = { on_slot, on_event, l };

	s.t_ms = l->cfg.clock == READLOOP_CLOCK_METER && r->has_meter_time ? r->meter_time * 1000 : host_ms;
	s.has_import = whole_wh(&s.import_wh, &r->import_wh);
	s.has_export = whole_wh(&s.export_wh, &r->export_wh);
	if (s.has_import || s.has_export)
		interval_add(&l->iv, &s, &sink);
}

static bool negative(const struct decimal *d)
{
	return d->set && d->digits < 0;
}

int readloop_reading(struct readloop *l, const struct reading *r, int64_t host_ms)
{
	if (l->done)
		return 0;
	/* A cumulative register below zero is no reading a meter can give: refuse it, count it. */
	if (negative(&r->import_wh) || negative(&r->export_wh)) {
		l->refused++;
		diag_warn("%s reading refused: a cumulative energy register is negative", r->protocol ? r->protocol : "meter");
		return readloop_event(l, "bad_reading", host_ms, "negative cumulative energy register", (int64_t)l->refused);
	}
	if (l->cfg.readings) {
		buf_reset(&l->line);
		readrec_reading(&l->line, &l->cfg.ctx, r, host_ms);
		if (emit(l) < 0)
			return -1;
	}
	if (l->cfg.intervals)
		feed_interval(l, r, host_ms);
	l->readings++;
	if (l->cfg.count > 0 && l->readings >= l->cfg.count)
		l->done = true;
	return l->out.fatal ? -1 : 0;
}

int readloop_event(struct readloop *l, const char *kind, int64_t time_ms, const char *detail, int64_t count)
{
	buf_reset(&l->line);
	readrec_event(&l->line, &l->cfg.ctx, kind, time_ms, detail, count);
	return emit(l);
}

int readloop_frame(struct readloop *l, const char *protocol, const uint8_t *bytes, size_t len,
                   uint64_t offset, bool accepted)
{
	buf_reset(&l->line);
	readrec_frame(&l->line, &l->cfg.ctx, protocol, bytes, len, offset, accepted);
	return emit(l);
}

int readloop_finish(struct readloop *l)
{
	struct interval_sink sink = { on_slot, on_event, l };

	if (l->cfg.intervals && !l->out.fatal)
		interval_flush(&l->iv, &sink);
	return l->out.fatal ? -1 : 0;
}
