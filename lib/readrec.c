#include "readrec.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "jcs.h"
#include "timeutil.h"

/*
 * A JSON object writer whose callers name members in sorted order, so the
 * output is RFC 8785 canonical by construction; the order is checked.
 */
struct jw {
	struct buf *out;
	const char *last;   /* previous member name at this level */
};

static void jw_open(struct jw *w, struct buf *out)
{
	w->out = out;
	w->last = NULL;
	buf_putc(out, '{');
}

static void jw_close(struct jw *w)
{
	buf_putc(w->out, '}');
}

static void jw_key(struct jw *w, const char *key)
{
	HIVE_ASSERT(w->last == NULL || strcmp(w->last, key) < 0);
	if (w->last != NULL)
		buf_putc(w->out, ',');
	w->last = key;
	jcs_string(w->out, key, strlen(key));
	buf_putc(w->out, ':');
}

static void jw_str(struct jw *w, const char *key, const char *value)
{
	jw_key(w, key);
	jcs_string(w->out, value, strlen(value));
}

static void jw_int(struct jw *w, const char *key, int64_t value)
{
	jw_key(w, key);
	buf_printf(w->out, "%lld", (long long)value);
}

static void jw_bool(struct jw *w, const char *key, bool value)
{
	jw_key(w, key);
	buf_puts(w->out, value ? "true" : "false");
}

static void jw_decimal(struct jw *w, const char *key, const struct decimal *d)
{
	if (!d->set)
		return;
	jw_key(w, key);
	decimal_format(w->out, d);
}

static void jw_time(struct jw *w, const char *key, int64_t unix_ms)
{
	char text[RFC3339_SIZE];

	rfc3339_format(text, unix_ms);
	jw_str(w, key, text);
}

static void jw_decimal_array(struct jw *w, const char *key, const struct decimal *v, int n)
{
	bool any = false;

	for (int i = 0; i < n; i++)
		any |= v[i].set;
	if (!any)
		return;
	jw_key(w, key);
	buf_putc(w->out, '[');
	for (int i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(w->out, ',');
		if (v[i].set)
			decimal_format(w->out, &v[i]);
		else
			buf_puts(w->out, "null");
	}
	buf_putc(w->out, ']');
}

static void write_phases(struct jw *w, const struct reading *r)
{
	if (r->phases == 0)
		return;
	jw_key(w, "phases");
	buf_putc(w->out, '[');
	for (int i = 0; i < r->phases; i++) {
		const struct reading_phase *p = &r->phase[i];
		struct jw o;
		if (i > 0)
			buf_putc(w->out, ',');
		jw_open(&o, w->out);
		jw_decimal(&o, "current_a", &p->current_a);
		jw_int(&o, "phase", i + 1);
		jw_decimal(&o, "power_export_w", &p->power_export_w);
		jw_decimal(&o, "power_import_w", &p->power_import_w);
		jw_decimal(&o, "voltage_v", &p->voltage_v);
		jw_close(&o);
	}
	buf_putc(w->out, ']');
}

static void write_mbus(struct jw *w, const struct reading *r)
{
	if (r->nmbus == 0)
		return;
	jw_key(w, "mbus");
	buf_putc(w->out, '[');
	for (int i = 0; i < r->nmbus; i++) {
		const struct reading_mbus *m = &r->mbus[i];
		struct jw o;
		if (i > 0)
			buf_putc(w->out, ',');
		jw_open(&o, w->out);
		jw_int(&o, "channel", m->channel);
		if (m->device_type >= 0)
			jw_int(&o, "device_type", m->device_type);
		if (m->id[0])
			jw_str(&o, "id", m->id);
		if (m->has_time)
			jw_time(&o, "time", m->time * 1000);
		if (m->unit[0])
			jw_str(&o, "unit", m->unit);
		jw_decimal(&o, "value", &m->value);
		jw_close(&o);
	}
	buf_putc(w->out, ']');
}

/* Net power: import minus export, when either is known. */
static void write_net_power(struct jw *w, const struct reading *r)
{
	struct decimal net, neg;

	if (!r->power_import_w.set && !r->power_export_w.set)
		return;
	if (!r->power_export_w.set) {
		jw_decimal(w, "power_w", &r->power_import_w);
		return;
	}
	neg = r->power_export_w;
	neg.digits = -neg.digits;
	if (!r->power_import_w.set)
		net = neg;
	else if (decimal_add(&net, &r->power_import_w, &neg) < 0)
		return;
	jw_decimal(w, "power_w", &net);
}

void readrec_reading(struct buf *out, const struct readrec_context *ctx, const struct reading *r, int64_t host_ms)
{
	struct jw w;

	jw_open(&w, out);
	jw_bool(&w, "checked", r->checked);
	jw_decimal_array(&w, "export_tariff_wh", r->export_tariff_wh, r->tariffs);
	jw_decimal(&w, "export_wh", &r->export_wh);
	jw_time(&w, "host_time", host_ms);
	jw_decimal_array(&w, "import_tariff_wh", r->import_tariff_wh, r->tariffs);
	jw_decimal(&w, "import_wh", &r->import_wh);
	write_mbus(&w, r);
	if (ctx->meter)
		jw_str(&w, "meter", ctx->meter);
	if (r->meter_id[0])
		jw_str(&w, "meter_id", r->meter_id);
	if (r->model[0])
		jw_str(&w, "model", r->model);
	write_phases(&w, r);
	jw_decimal(&w, "power_export_w", &r->power_export_w);
	jw_decimal(&w, "power_import_w", &r->power_import_w);
	write_net_power(&w, r);
	jw_str(&w, "protocol", r->protocol ? r->protocol : "unknown");
	if (r->simulated)
		jw_bool(&w, "simulated", true);
	if (r->tariff > 0)
		jw_int(&w, "tariff", r->tariff);
	if (r->has_meter_time)
		jw_time(&w, "time", r->meter_time * 1000);
	jw_str(&w, "type", "reading");
	if (r->version[0])
		jw_str(&w, "version", r->version);
	jw_close(&w);
}

void readrec_event(struct buf *out, const struct readrec_context *ctx, const char *kind, int64_t time_ms,
                   const char *detail, int64_t count)
{
	struct jw w;

	jw_open(&w, out);
	if (count > 0)
		jw_int(&w, "count", count);
	if (detail)
		jw_str(&w, "detail", detail);
	jw_str(&w, "event", kind);
	if (ctx->meter)
		jw_str(&w, "meter", ctx->meter);
	if (ctx->simulated)
		jw_bool(&w, "simulated", true);
	if (ctx->source)
		jw_str(&w, "source", ctx->source);
	jw_time(&w, "time", time_ms);
	jw_str(&w, "type", "event");
	jw_close(&w);
}

static bool printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\r' && p[i] != '\n') || p[i] > 0x7e)
			return false;
	return true;
}

void readrec_frame(struct buf *out, const struct readrec_context *ctx, const char *protocol,
                   const uint8_t *bytes, size_t len, uint64_t offset, bool accepted)
{
	struct jw w;

	jw_open(&w, out);
	jw_bool(&w, "accepted", accepted);
	if (printable(bytes, len)) {
		jw_key(&w, "data");
		jcs_string(out, (const char *)bytes, len);
	} else {
		jw_key(&w, "hex");
		buf_putc(out, '"');
		buf_hex(out, bytes, len);
		buf_putc(out, '"');
	}
	if (ctx->meter)
		jw_str(&w, "meter", ctx->meter);
	jw_int(&w, "offset", (int64_t)offset);
	jw_str(&w, "protocol", protocol);
	jw_str(&w, "type", "frame");
	jw_close(&w);
}

static void write_flags(struct jw *w, unsigned flags)
{
	bool first = true;

	jw_key(w, "flags");
	buf_putc(w->out, '[');
	for (unsigned bit = 1; bit <= INTERVAL_FLAG_END; bit <<= 1) {
		if (!(flags & bit) || bit == INTERVAL_FLAG_COMPLETE)
			continue;
		if (!first)
			buf_putc(w->out, ',');
		first = false;
		jcs_string(w->out, interval_flag_name(bit), strlen(interval_flag_name(bit)));
	}
	buf_putc(w->out, ']');
}

void readrec_interval(struct buf *out, const struct readrec_context *ctx, const struct interval_slot *slot)
{
	struct jw w;

	jw_open(&w, out);
	jw_bool(&w, "complete", (slot->flags & INTERVAL_FLAG_COMPLETE) != 0);
	jw_int(&w, "covered_s", slot->covered_ms / 1000);
	jw_int(&w, "energy_wh", slot->net_wh);
	if (slot->registers & INTERVAL_EXPORT)
		jw_int(&w, "export_wh", slot->export_wh);
	write_flags(&w, slot->flags);
	if (slot->registers & INTERVAL_IMPORT)
		jw_int(&w, "import_wh", slot->import_wh);
	if (ctx->meter)
		jw_str(&w, "meter", ctx->meter);
	jw_int(&w, "nonce", interval_nonce(slot));
	if (slot->has_end_registers && slot->registers & INTERVAL_EXPORT)
		jw_int(&w, "register_export_wh", slot->end_export_wh);
	if (slot->has_end_registers && slot->registers & INTERVAL_IMPORT)
		jw_int(&w, "register_import_wh", slot->end_import_wh);
	jw_int(&w, "seconds", slot->length_ms / 1000);
	if (ctx->simulated)
		jw_bool(&w, "simulated", true);
	jw_time(&w, "start", slot->start_ms);
	jw_str(&w, "type", "interval");
	jw_close(&w);
}

void readrec_interval_event(struct buf *out, const struct readrec_context *ctx, const struct interval_event *ev)
{
	struct jw w;

	jw_open(&w, out);
	jw_str(&w, "event", interval_event_name(ev->kind));
	if (ev->registers & INTERVAL_EXPORT && ev->from.has_export && ev->to.has_export) {
		jw_int(&w, "export_from_wh", ev->from.export_wh);
		jw_int(&w, "export_to_wh", ev->to.export_wh);
	}
	jw_time(&w, "from", ev->from.t_ms);
	if (ev->registers & INTERVAL_IMPORT && ev->from.has_import && ev->to.has_import) {
		jw_int(&w, "import_from_wh", ev->from.import_wh);
		jw_int(&w, "import_to_wh", ev->to.import_wh);
	}
	if (ctx->meter)
		jw_str(&w, "meter", ctx->meter);
	if (ctx->simulated)
		jw_bool(&w, "simulated", true);
	if (ctx->source)
		jw_str(&w, "source", ctx->source);
	jw_time(&w, "time", ev->to.t_ms);
	jw_str(&w, "type", "event");
	jw_close(&w);
}
