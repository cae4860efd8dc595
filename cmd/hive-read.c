/* hive-read — read real meters (and simulated ones) into reading and interval records. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "eth.h"
#include "hex.h"
#include "meterstream.h"
#include "modbus_meter.h"
#include "csvimport.h"
#include "d0.h"
#include "d0read.h"
#include "readloop.h"
#include "replay.h"
#include "secret.h"
#include "serial.h"
#include "sim.h"
#include "timeutil.h"
#include "xio.h"

static const char usage[] =
	"usage: hive-read [read] [--protocol auto|dsmr|p1crypt|sml] [--line 'BAUD 8N1'] [--key-file FILE]\n"
	"                 [--no-crc] [--raw] [--stall DUR] COMMON [DEVICE | FILE]\n"
	"       hive-read sim [--seed N] [--start TIME] [--step DUR] [--duration DUR] [--annual-kwh N]\n"
	"                 [--pv KWP] [--battery KWH] [--battery-kw KW] [--lat DEG] [--lon DEG]\n"
	"                 [--tz-offset MIN] [--cloudiness X] [--realtime] COMMON\n"
	"       hive-read d0 [--address ADDR] [--every DUR] [--max-baud N] [--no-bcc] [--raw] COMMON DEVICE | FILE\n"
	"       hive-read csv [--kind register|energy|power] [--unit Wh|kWh|W|kW] [--step DUR] [--time COL]\n"
	"                 [--import COL] [--export COL] [--net COL] [--delimiter C] [--no-header]\n"
	"                 [--skip-rows N] [--decimal-comma] [--time-format rfc3339|local|unix|unix-ms]\n"
	"                 [--tz-offset MIN] COMMON [FILE]\n"
	"       hive-read modbus --map NAME|FILE (--tcp HOST[:PORT] | DEVICE [--line 'BAUD 8N1'])\n"
	"                 [--unit-id ID] [--every DUR] [--timeout MS] [--retries N] COMMON\n"
	"       hive-read replay [--speed X] [--time-field NAME] [--strict] [FILE...]\n"
	"       hive-read -h | --help | --version\n"
	"COMMON: [--meter ADDRESS] [--interval DUR [--max-power W] [--max-gap DUR] [--clock meter|host]\n"
	"        [--no-readings]] [--once | --count N]\n";

enum opt {
	OPT_PROTOCOL = 256, OPT_LINE, OPT_KEY_FILE, OPT_NO_CRC, OPT_RAW, OPT_STALL, OPT_METER, OPT_INTERVAL,
	OPT_MAX_POWER, OPT_MAX_GAP, OPT_CLOCK, OPT_NO_READINGS, OPT_ONCE, OPT_COUNT, OPT_SEED, OPT_START,
	OPT_STEP, OPT_DURATION, OPT_ANNUAL, OPT_PV, OPT_BATTERY, OPT_BATTERY_KW, OPT_LAT, OPT_LON,
	OPT_TZ_OFFSET, OPT_CLOUDINESS, OPT_REALTIME, OPT_SPEED, OPT_TIME_FIELD, OPT_STRICT, OPT_ADDRESS, OPT_EVERY, OPT_MAX_BAUD, OPT_NO_BCC,
	OPT_KIND, OPT_UNIT, OPT_TIME, OPT_IMPORT, OPT_EXPORT, OPT_NET, OPT_DELIMITER, OPT_NO_HEADER, OPT_SKIP_ROWS,
	OPT_DECIMAL_COMMA, OPT_TIME_FORMAT, OPT_MAP, OPT_TCP, OPT_UNIT_ID, OPT_TIMEOUT, OPT_RETRIES,
	OPT_VERSION
};

static const struct option options[] = {
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "line", required_argument, NULL, OPT_LINE },
	{ "key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "no-crc", no_argument, NULL, OPT_NO_CRC },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "stall", required_argument, NULL, OPT_STALL },
	{ "meter", required_argument, NULL, OPT_METER },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "max-power", required_argument, NULL, OPT_MAX_POWER },
	{ "max-gap", required_argument, NULL, OPT_MAX_GAP },
	{ "clock", required_argument, NULL, OPT_CLOCK },
	{ "no-readings", no_argument, NULL, OPT_NO_READINGS },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "start", required_argument, NULL, OPT_START },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "annual-kwh", required_argument, NULL, OPT_ANNUAL },
	{ "pv", required_argument, NULL, OPT_PV },
	{ "battery", required_argument, NULL, OPT_BATTERY },
	{ "battery-kw", required_argument, NULL, OPT_BATTERY_KW },
	{ "lat", required_argument, NULL, OPT_LAT },
	{ "lon", required_argument, NULL, OPT_LON },
	{ "tz-offset", required_argument, NULL, OPT_TZ_OFFSET },
	{ "cloudiness", required_argument, NULL, OPT_CLOUDINESS },
	{ "realtime", no_argument, NULL, OPT_REALTIME },
	{ "speed", required_argument, NULL, OPT_SPEED },
	{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "address", required_argument, NULL, OPT_ADDRESS },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "max-baud", required_argument, NULL, OPT_MAX_BAUD },
	{ "no-bcc", no_argument, NULL, OPT_NO_BCC },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "import", required_argument, NULL, OPT_IMPORT },
	{ "export", required_argument, NULL, OPT_EXPORT },
	{ "net", required_argument, NULL, OPT_NET },
	{ "delimiter", required_argument, NULL, OPT_DELIMITER },
	{ "no-header", no_argument, NULL, OPT_NO_HEADER },
	{ "skip-rows", required_argument, NULL, OPT_SKIP_ROWS },
	{ "decimal-comma", no_argument, NULL, OPT_DECIMAL_COMMA },
	{ "time-format", required_argument, NULL, OPT_TIME_FORMAT },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "tcp", required_argument, NULL, OPT_TCP },
	{ "unit-id", required_argument, NULL, OPT_UNIT_ID },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const int common_opts[] = { OPT_METER, OPT_INTERVAL, OPT_MAX_POWER, OPT_MAX_GAP, OPT_CLOCK,
                                   OPT_NO_READINGS, OPT_ONCE, OPT_COUNT, 0 };
static const int read_opts[] = { OPT_PROTOCOL, OPT_LINE, OPT_KEY_FILE, OPT_NO_CRC, OPT_RAW, OPT_STALL, 0 };
static const int sim_opts[] = { OPT_SEED, OPT_START, OPT_STEP, OPT_DURATION, OPT_ANNUAL, OPT_PV, OPT_BATTERY,
                                OPT_BATTERY_KW, OPT_LAT, OPT_LON, OPT_TZ_OFFSET, OPT_CLOUDINESS,
                                OPT_REALTIME, 0 };
static const int replay_opts[] = { OPT_SPEED, OPT_TIME_FIELD, OPT_STRICT, 0 };
static const int d0_opts[] = { OPT_ADDRESS, OPT_EVERY, OPT_MAX_BAUD, OPT_NO_BCC, OPT_RAW, 0 };
static const int modbus_opts[] = { OPT_MAP, OPT_TCP, OPT_LINE, OPT_UNIT_ID, OPT_EVERY, OPT_TIMEOUT, OPT_RETRIES, 0 };
static const int csv_opts[] = { OPT_KIND, OPT_UNIT, OPT_STEP, OPT_TIME, OPT_IMPORT, OPT_EXPORT, OPT_NET, OPT_DELIMITER,
                                OPT_NO_HEADER, OPT_SKIP_ROWS, OPT_DECIMAL_COMMA, OPT_TIME_FORMAT, OPT_TZ_OFFSET, 0 };

struct args {
	const char *cmd;
	const int *own;
	struct readloop_config loop;
	char meter_text[ETH_ADDR_STRLEN + 1];
	bool interval_tuned;
	/* read */
	struct meterstream_config stream;
	const char *line;
	const char *key_file;
	int64_t stall_ms;
	/* modbus */
	const char *map;
	const char *tcp;
	int unit_id;
	int timeout_ms;
	int retries;
	/* csv */
	struct csvimport_config csv;
	/* d0 */
	struct d0read_config d0;
	int64_t every_ms;
	/* replay */
	double speed;
	const char *time_field;
	bool strict;
	/* sim */
	struct sim_config sim;
	int64_t duration_ms;
	bool realtime;
	char **rest;
	int nrest;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double parse_number(const char *opt, const char *value, double min, double max)
{
	char *end;
	double v = strtod(value, &end);

	if (end == value || *end != '\0' || !(v >= min && v <= max))
		cli_usage_error(usage, "%s '%s': want a number from %g to %g", opt, value, min, max);
	return v;
}

static void parse_common(struct args *a, int opt, const char *arg)
{
	uint8_t addr[ETH_ADDR_SIZE];

	switch (opt) {
	case OPT_METER:
		cli_address(addr, "--meter", arg, usage);
		eth_address_format(a->meter_text, addr);
		a->loop.ctx.meter = a->meter_text;
		break;
	case OPT_INTERVAL:
		a->loop.intervals = true;
		a->loop.interval.slot_ms = cli_duration("--interval", arg, usage);
		break;
	case OPT_MAX_POWER:
		a->loop.interval.max_power_w = (int64_t)cli_uint("--max-power", arg, 1, 1000000000, usage);
		a->interval_tuned = true;
		break;
	case OPT_MAX_GAP:
		a->loop.interval.max_gap_ms = cli_duration("--max-gap", arg, usage);
		a->interval_tuned = true;
		break;
	case OPT_CLOCK:
		if (strcmp(arg, "meter") != 0 && strcmp(arg, "host") != 0)
			cli_usage_error(usage, "--clock '%s': want meter or host", arg);
		a->loop.clock = strcmp(arg, "host") == 0 ? READLOOP_CLOCK_HOST : READLOOP_CLOCK_METER;
		a->interval_tuned = true;
		break;
	case OPT_NO_READINGS: a->loop.readings = false; break;
	case OPT_ONCE: a->loop.count = 1; break;
	case OPT_COUNT: a->loop.count = cli_uint("--count", arg, 1, UINT64_MAX / 2, usage); break;
	}
}

static void parse_read(struct args *a, int opt, const char *arg)
{
	switch (opt) {
	case OPT_PROTOCOL:
		if (meter_protocol_parse(&a->stream.protocol, arg) < 0)
			cli_usage_error(usage, "--protocol '%s': want auto, dsmr, p1crypt or sml", arg);
		break;
	case OPT_LINE: a->line = arg; break;
	case OPT_KEY_FILE: a->key_file = arg; break;
	case OPT_NO_CRC: a->stream.no_crc = true; break;
	case OPT_RAW: a->stream.raw = true; break;
	case OPT_STALL: a->stall_ms = cli_duration("--stall", arg, usage); break;
	}
}

static void parse_sim(struct args *a, int opt, const char *arg)
{
	switch (opt) {
	case OPT_SEED: a->sim.seed = cli_uint("--seed", arg, 0, UINT64_MAX, usage); break;
	case OPT_START: a->sim.start_ms = cli_time("--start", arg, usage); break;
	case OPT_STEP: a->sim.period_ms = cli_duration("--step", arg, usage); break;
	case OPT_DURATION: a->duration_ms = cli_duration("--duration", arg, usage); break;
	case OPT_ANNUAL: a->sim.annual_kwh = parse_number("--annual-kwh", arg, 0, 1e7); break;
	case OPT_PV: a->sim.pv_kwp = parse_number("--pv", arg, 0, 1e5); break;
	case OPT_BATTERY: a->sim.battery_kwh = parse_number("--battery", arg, 0, 1e5); break;
	case OPT_BATTERY_KW: a->sim.battery_kw = parse_number("--battery-kw", arg, 0, 1e5); break;
	case OPT_LAT: a->sim.latitude_deg = parse_number("--lat", arg, -90, 90); break;
	case OPT_LON: a->sim.longitude_deg = parse_number("--lon", arg, -180, 180); break;
	case OPT_TZ_OFFSET: a->sim.tz_offset_min = (int)parse_number("--tz-offset", arg, -840, 840); break;
	case OPT_CLOUDINESS: a->sim.cloudiness = parse_number("--cloudiness", arg, 0, 1); break;
	case OPT_REALTIME: a->realtime = true; break;
	}
}

static void parse_replay(struct args *a, int opt, const char *arg)
{
	switch (opt) {
	case OPT_SPEED: a->speed = parse_number("--speed", arg, 0, 1e9); break;
	case OPT_TIME_FIELD: a->time_field = arg; break;
	case OPT_STRICT: a->strict = true; break;
	}
}

static void parse_d0(struct args *a, int opt, const char *arg)
{
	switch (opt) {
	case OPT_ADDRESS: {
		struct buf probe = BUF_INIT;
		int bad = d0_sign_on(&probe, arg) < 0;
		buf_free(&probe);
		if (bad)
			cli_usage_error(usage, "--address '%s': want up to 32 letters, digits and spaces", arg);
		a->d0.address = arg;
		break;
	}
	case OPT_EVERY: a->every_ms = cli_duration("--every", arg, usage); break;
	case OPT_MAX_BAUD:
		a->d0.max_baud = (int)cli_uint("--max-baud", arg, 300, 19200, usage);
		if (d0_baud_char(a->d0.max_baud) == '\0')
			cli_usage_error(usage, "--max-baud '%s': want a mode C rate (300, 600, 1200, 2400, 4800, 9600, 19200)", arg);
		break;
	case OPT_NO_BCC: a->d0.no_bcc = true; break;
	case OPT_RAW: a->stream.raw = true; break;
	}
}

static void parse_modbus(struct args *a, int opt, const char *arg)
{
	switch (opt) {
	case OPT_MAP: a->map = arg; break;
	case OPT_TCP: a->tcp = arg; break;
	case OPT_LINE: a->line = arg; break;
	case OPT_UNIT_ID: a->unit_id = (int)cli_uint("--unit-id", arg, 0, 247, usage); break;
	case OPT_EVERY: a->every_ms = cli_duration("--every", arg, usage); break;
	case OPT_TIMEOUT: a->timeout_ms = (int)cli_uint("--timeout", arg, 10, 60000, usage); break;
	case OPT_RETRIES: a->retries = (int)cli_uint("--retries", arg, 0, 100, usage); break;
	}
}

static void csv_column(struct csvimport_column *c, const char *opt, const char *arg)
{
	if (csvimport_column_parse(c, arg) < 0)
		cli_usage_error(usage, "%s '%s': want a header name or a column number", opt, arg);
}

static void parse_csv(struct args *a, int opt, const char *arg)
{
	struct csvimport_config *c = &a->csv;

	switch (opt) {
	case OPT_KIND:
		if (csvimport_kind_parse(&c->kind, arg) < 0)
			cli_usage_error(usage, "--kind '%s': want register, energy or power", arg);
		break;
	case OPT_UNIT:
		if (csvimport_unit_parse(&c->unit, arg) < 0)
			cli_usage_error(usage, "--unit '%s': want Wh, kWh, W or kW", arg);
		break;
	case OPT_STEP: c->step_ms = cli_duration("--step", arg, usage); break;
	case OPT_TIME: csv_column(&c->time, "--time", arg); break;
	case OPT_IMPORT: csv_column(&c->import, "--import", arg); break;
	case OPT_EXPORT: csv_column(&c->export, "--export", arg); break;
	case OPT_NET: csv_column(&c->net, "--net", arg); break;
	case OPT_DELIMITER:
		if (strcmp(arg, "\\t") == 0 || strcmp(arg, "tab") == 0)
			arg = "\t";
		if (strlen(arg) != 1)
			cli_usage_error(usage, "--delimiter '%s': want one character (or tab)", arg);
		c->delimiter = arg[0];
		break;
	case OPT_NO_HEADER: c->header = false; break;
	case OPT_SKIP_ROWS: c->skip_rows = (unsigned)cli_uint("--skip-rows", arg, 0, 1000000, usage); break;
	case OPT_DECIMAL_COMMA: c->decimal_comma = true; break;
	case OPT_TIME_FORMAT:
		if (csvimport_time_format_parse(&c->time_format, arg) < 0)
			cli_usage_error(usage, "--time-format '%s': want rfc3339, local, unix or unix-ms", arg);
		break;
	case OPT_TZ_OFFSET: c->tz_offset_min = (int)parse_number("--tz-offset", arg, -1439, 1439); break;
	}
}

static void parse_options(struct args *a, int argc, char **argv)
{
	int opt;

	optind = 1;
	while ((opt = cli_getopt(argc, argv, options, OPT_VERSION, a->cmd, usage)) != -1) {
		if (cli_accepts(common_opts, opt) && a->own != replay_opts)
			parse_common(a, opt, optarg);
		else if (!cli_accepts(a->own, opt))
			cli_usage_error(usage, "'%s' does not take %s", a->cmd, argv[optind - 1]);
		else if (a->own == read_opts)
			parse_read(a, opt, optarg);
		else if (a->own == replay_opts)
			parse_replay(a, opt, optarg);
		else if (a->own == d0_opts)
			parse_d0(a, opt, optarg);
		else if (a->own == csv_opts)
			parse_csv(a, opt, optarg);
		else if (a->own == modbus_opts)
			parse_modbus(a, opt, optarg);
		else
			parse_sim(a, opt, optarg);
	}
	if (a->interval_tuned && !a->loop.intervals)
		cli_usage_error(usage, "--max-power, --max-gap and --clock go with --interval");
	if (!a->loop.readings && !a->loop.intervals)
		cli_usage_error(usage, "--no-readings leaves nothing to write without --interval");
	a->rest = argv + optind;
	a->nrest = argc - optind;
}

static void install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int start_loop(struct args *a, struct readloop *loop)
{
	if (readloop_init(loop, &a->loop, STDOUT_FILENO) < 0)
		cli_usage_error(usage, "--interval: the slot must be whole seconds dividing a day, and --max-gap at most a year");
	return HIVE_OK;
}

/* Sleeps until wall-clock time target_ms (for --realtime), waking early on a stop signal. */
static void sleep_until(int64_t target_ms)
{
	int64_t left = target_ms - now_ms();

	if (left > 0) {
		struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static int cmd_sim(struct args *a)
{
	struct readloop loop;
	struct reading r;
	struct sim *s;
	const char *problem = sim_config_problem(&a->sim);
	uint64_t steps;

	if (problem != NULL)
		cli_usage_error(usage, "sim: %s", problem);
	if (a->nrest > 0)
		cli_usage_error(usage, "sim takes no operands");
	if (a->duration_ms > 0 && a->loop.count == 0)
		a->loop.count = (uint64_t)(a->duration_ms / a->sim.period_ms) + 1;
	if (a->loop.count == 0 && !a->realtime)
		cli_usage_error(usage, "sim needs --duration, --count or --once (or --realtime to run until stopped)");
	a->loop.ctx.simulated = true;
	start_loop(a, &loop);
	s = xmalloc(sizeof *s);
	sim_init(s, &a->sim);
	int64_t wall0 = now_ms();
	for (steps = 0; !loop.done && !stop_requested; steps++) {
		sim_next(s, &r);
		if (a->realtime)
			sleep_until(wall0 + (r.meter_time * 1000 - a->sim.start_ms));
		/* Simulated: the host clock of a reading is the simulated time, so output is reproducible. */
		if (readloop_reading(&loop, &r, r.meter_time * 1000) < 0)
			break;
	}
	readloop_finish(&loop);
	int rc = loop.out.fatal ? loop.out.fatal : HIVE_OK;
	readloop_free(&loop);
	free(s);
	return rc;
}

/* At the end of input, a readout without ETX/BCC ends after its "!\r\n" (or takes what is left). */
static size_t readout_without_bcc(const char *p, size_t len)
{
	const char *end = memmem(p, len, "!\r\n", 3);

	return end != NULL ? (size_t)(end - p) + 3 : len;
}

/* Passive D0: readouts one after another in a capture file or from a meter that pushes them. */
static int d0_passive(struct args *a, struct serial_port *port, struct readloop *loop)
{
	struct buf in = BUF_INIT;
	uint8_t chunk[4096];
	unsigned long good = 0, bad = 0;
	uint64_t base = 0;

	for (;;) {
		ssize_t n = serial_read(port, chunk, sizeof chunk, 2000);
		if (n > 0)
			buf_append(&in, chunk, (size_t)n);
		size_t end;
		/* At the end of input a readout without ETX/BCC is complete too. */
		while (in.len > 0 && ((end = d0_readout_end(in.data, in.len)) > 0 ||
		                      (n < 0 && a->d0.no_bcc && (end = readout_without_bcc(in.data, in.len)) > 0))) {
			struct reading r;
			size_t off;
			const char *why;
			int ok = d0_parse(&r, in.data, end, a->d0.no_bcc, &off, &why) == 0;
			if (a->stream.raw)
				readloop_frame(loop, "d0", (const uint8_t *)in.data, end, base, ok);
			if (ok) {
				good++;
				readloop_reading(loop, &r, now_ms());
			} else {
				char detail[160];
				bad++;
				diag_warn("d0 readout dropped at byte offset %llu: %s", (unsigned long long)(base + off), why);
				snprintf(detail, sizeof detail, "byte offset %llu: %s", (unsigned long long)(base + off), why);
				readloop_event(loop, "bad_readout", now_ms(), detail, (int64_t)bad);
			}
			memmove(in.data, in.data + end, in.len - end);
			in.len -= end;
			base += end;
			if (loop->done)
				break;
		}
		if (n < 0 || loop->done || stop_requested)
			break;
	}
	if (in.len > 0 && !loop->done) {
		bad++;
		diag_warn("d0 readout cut short at byte offset %llu (%zu bytes; --no-bcc takes readouts without a BCC)",
		          (unsigned long long)base, in.len);
	}
	buf_free(&in);
	return bad > 0 ? HIVE_EBAD : (good > 0 ? HIVE_OK : HIVE_EBAD);
}

/* Active D0: a sign-on and readout every --every, reopening the port after faults. */
static int d0_active(struct args *a, struct serial_port *port, struct readloop *loop)
{
	struct buf raw = BUF_INIT;
	struct reading r;
	const char *why;
	unsigned long failures = 0;

	while (!loop->done && !stop_requested) {
		int64_t started = now_ms();
		if (d0read_session(port, &a->d0, &raw, &r, &why) == 0) {
			if (a->stream.raw)
				readloop_frame(loop, "d0", (const uint8_t *)raw.data, raw.len, 0, true);
			readloop_reading(loop, &r, now_ms());
			failures = 0;
		} else {
			failures++;
			if (failures == 1 || (failures & (failures - 1)) == 0)
				diag_warn("'%s': d0 readout failed: %s (%lu in a row)", port->cfg.path, why, failures);
			readloop_event(loop, "bad_readout", now_ms(), why, (int64_t)failures);
			if (failures % 3 == 0 && serial_reconnect(port) < 0 && errno != EINTR)
				break;
		}
		if (!loop->done)
			sleep_until(started + (a->every_ms > 0 ? a->every_ms : 60000));
	}
	buf_free(&raw);
	return HIVE_OK;
}

static int cmd_d0(struct args *a)
{
	struct readloop loop;
	struct serial_port port;
	struct serial_config cfg = { .baud = 300, .data_bits = 7, .parity = 'E', .stop_bits = 1 };
	int rc;

	if (a->nrest != 1)
		cli_usage_error(usage, "d0 takes one DEVICE or FILE");
	cfg.path = strcmp(a->rest[0], "-") == 0 ? "/dev/stdin" : a->rest[0];
	a->loop.ctx.source = a->rest[0];
	start_loop(a, &loop);
	if (serial_open(&port, &cfg) < 0 && port.kind != SERIAL_TTY) {
		diag_warn_errno("cannot open '%s'", cfg.path);
		readloop_free(&loop);
		serial_close(&port);
		return HIVE_EINPUT;
	}
	rc = port.kind == SERIAL_TTY ? d0_active(a, &port, &loop) : d0_passive(a, &port, &loop);
	readloop_finish(&loop);
	if (rc == HIVE_OK && loop.out.fatal)
		rc = loop.out.fatal;
	serial_close(&port);
	readloop_free(&loop);
	return rc;
}

struct csv_run {
	struct readloop *loop;
	unsigned long bad;
};

static void csv_reading(void *arg, const struct reading *r)
{
	struct csv_run *run = arg;
	readloop_reading(run->loop, r, now_ms());
}

static void csv_slot(void *arg, const struct interval_slot *slot)
{
	struct csv_run *run = arg;

	buf_reset(&run->loop->line);
	readrec_interval(&run->loop->line, &run->loop->cfg.ctx, slot);
	if (rec_write(&run->loop->out, run->loop->line.data, run->loop->line.len) < 0)
		run->loop->done = true;
}

static void csv_gap(void *arg, int64_t from_ms, int64_t to_ms)
{
	struct csv_run *run = arg;
	char from[RFC3339_SIZE], detail[96];

	rfc3339_format(from, from_ms);
	snprintf(detail, sizeof detail, "no rows from %s for %lld s", from, (long long)((to_ms - from_ms) / 1000));
	readloop_event(run->loop, "gap", to_ms, detail, 0);
}

static void csv_bad_row(void *arg, unsigned long line, const char *why)
{
	struct csv_run *run = arg;

	run->bad++;
	diag_warn("line %lu: %s", line, why);
}

static int cmd_csv(struct args *a)
{
	struct readloop loop;
	struct csvimport imp;
	struct csv_run run = { &loop, 0 };
	struct csvimport_sink sink = { csv_reading, csv_slot, csv_gap, csv_bad_row, &run };
	const char *why;
	char chunk[65536];
	int fd = STDIN_FILENO, rc = HIVE_OK;

	if (a->nrest > 1)
		cli_usage_error(usage, "csv takes at most one FILE");
	if (a->csv.kind != CSVIMPORT_REGISTER && a->loop.count > 0)
		cli_usage_error(usage, "--once and --count count readings; --kind energy and power give intervals");
	if (a->csv.kind != CSVIMPORT_REGISTER && (a->loop.intervals || !a->loop.readings))
		cli_usage_error(usage, "--kind %s gives interval records already: drop --interval and --no-readings",
		                a->csv.kind == CSVIMPORT_ENERGY ? "energy" : "power");
	/* The common shape "time,value" needs no column options. */
	if (a->csv.time.name == NULL && a->csv.time.number == 0)
		a->csv.time.number = 1;
	if (a->csv.import.name == NULL && a->csv.import.number == 0 && a->csv.export.name == NULL &&
	    a->csv.export.number == 0 && a->csv.net.name == NULL && a->csv.net.number == 0)
		a->csv.import.number = 2;
	if (csvimport_init(&imp, &a->csv, &sink, &why) < 0)
		cli_usage_error(usage, "csv: %s", why);
	if (a->nrest == 1 && strcmp(a->rest[0], "-") != 0 && (fd = open(a->rest[0], O_RDONLY | O_CLOEXEC)) < 0) {
		diag_warn_errno("cannot open '%s'", a->rest[0]);
		csvimport_free(&imp);
		return HIVE_EINPUT;
	}
	start_loop(a, &loop);
	for (;;) {
		ssize_t n = xread(fd, chunk, sizeof chunk);
		if (n < 0) {
			diag_warn_errno("cannot read '%s'", a->nrest ? a->rest[0] : "standard input");
			rc = HIVE_EINPUT;
			break;
		}
		if (n == 0 || loop.done || csvimport_feed(&imp, chunk, (size_t)n) < 0)
			break;
	}
	if (rc == HIVE_OK && csvimport_finish(&imp) < 0) {
		diag_warn("%s", csvimport_error(&imp));
		rc = HIVE_EINPUT;
	}
	readloop_finish(&loop);
	if (rc == HIVE_OK && loop.out.fatal)
		rc = loop.out.fatal;
	if (rc == HIVE_OK && run.bad > 0)
		rc = HIVE_EBAD;
	if (fd != STDIN_FILENO)
		close(fd);
	csvimport_free(&imp);
	readloop_free(&loop);
	return rc;
}

/*
 * A map given by name is looked up in the installed share/meters, then next
 * to the binary (a build tree); a name with a '/' or ending in .csv is a path.
 */
static int load_map(struct modbus_map *map, const char *name)
{
	char path[4096], err[512], self[4096];
	const char *env = getenv("HIVE_SHARE");
	ssize_t n;

	if (strchr(name, '/') != NULL || (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".csv") == 0))
		snprintf(path, sizeof path, "%s", name);
	else if (env != NULL)
		snprintf(path, sizeof path, "%s/meters/%s.csv", env, name);
	else {
		snprintf(path, sizeof path, "%s/meters/%s.csv", HIVE_SHAREDIR, name);
		/* Installed elsewhere (DESTDIR, another PREFIX) or run from the build tree. */
		if (access(path, R_OK) != 0 && (n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
			self[n] = '\0';
			char *slash = strrchr(self, '/');
			if (slash != NULL)
				*slash = '\0';
			snprintf(path, sizeof path, "%.2000s/../share/hive/meters/%.1000s.csv", self, name);
			if (access(path, R_OK) != 0)
				snprintf(path, sizeof path, "%.2000s/../share/meters/%.1000s.csv", self, name);
		}
	}
	if (modbus_map_load(map, path, err, sizeof err) < 0) {
		diag_warn("map '%s': %s", name, err);
		return HIVE_EINPUT;
	}
	return HIVE_OK;
}

static modbus_t *modbus_connect_to(struct args *a)
{
	modbus_t *ctx;

	if (a->tcp != NULL) {
		char host[256];
		const char *colon = strrchr(a->tcp, ':');
		int port = colon ? atoi(colon + 1) : 502;
		snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - a->tcp) : (int)strlen(a->tcp), a->tcp);
		ctx = modbus_new_tcp(host, port);
	} else {
		struct serial_config cfg = { .path = a->rest[0], .baud = 9600, .data_bits = 8, .parity = 'N', .stop_bits = 1 };
		if (a->line != NULL && serial_parse_config(a->line, &cfg) != 0)
			cli_usage_error(usage, "--line '%s': want a line setting such as '9600 8N1'", a->line);
		ctx = modbus_new_rtu(a->rest[0], (int)cfg.baud, cfg.parity, cfg.data_bits, cfg.stop_bits);
	}
	if (ctx == NULL)
		cli_usage_error(usage, "modbus: cannot set up the connection: %s", modbus_strerror(errno));
	modbus_set_slave(ctx, a->unit_id >= 0 ? a->unit_id : 1);
	return ctx;
}

static int cmd_modbus(struct args *a)
{
	struct modbus_map map;
	struct readloop loop;
	struct reading r;
	const char *why;
	unsigned long failures = 0;
	bool connected = false;
	int64_t backoff = 500;
	int rc;

	if (a->map == NULL)
		cli_usage_error(usage, "modbus needs --map NAME or --map FILE (e.g. eastron-sdm120)");
	if ((a->tcp != NULL) == (a->nrest == 1) || a->nrest > 1)
		cli_usage_error(usage, "modbus reads either --tcp HOST[:PORT] or one serial DEVICE");
	if (a->tcp != NULL && a->line != NULL)
		cli_usage_error(usage, "--line sets a serial line; it does not go with --tcp");
	rc = load_map(&map, a->map);
	if (rc != HIVE_OK)
		return rc;
	if (a->timeout_ms > 0)
		map.timeout_ms = a->timeout_ms;
	if (a->retries >= 0)
		map.retries = a->retries;
	a->loop.ctx.source = a->tcp ? a->tcp : a->rest[0];
	start_loop(a, &loop);
	modbus_t *ctx = modbus_connect_to(a);
	while (!loop.done && !stop_requested) {
		int64_t started = now_ms();
		if (!connected && modbus_connect(ctx) == 0)
			connected = true;
		if (connected && modbus_meter_read(ctx, &map, &r, &why) == 0) {
			if (failures > 0)
				readloop_event(&loop, "reconnect", now_ms(), a->loop.ctx.source, (int64_t)failures);
			failures = 0;
			backoff = 500;
			readloop_reading(&loop, &r, now_ms());
		} else {
			if (!connected)
				why = modbus_strerror(errno);
			failures++;
			if (failures == 1 || (failures & (failures - 1)) == 0)
				diag_warn("'%s': %s (%lu failed reads in a row)", a->loop.ctx.source, why, failures);
			readloop_event(&loop, "bad_read", now_ms(), why, (int64_t)failures);
			modbus_close(ctx);
			connected = false;
			/* Back off before reconnecting, doubling to a minute, never spinning. */
			sleep_until(now_ms() + backoff);
			backoff = backoff < 60000 ? backoff * 2 : 60000;
			continue;
		}
		if (!loop.done)
			sleep_until(started + (a->every_ms > 0 ? a->every_ms : 10000));
	}
	readloop_finish(&loop);
	rc = loop.out.fatal ? loop.out.fatal : HIVE_OK;
	modbus_close(ctx);
	modbus_free(ctx);
	modbus_map_free(&map);
	readloop_free(&loop);
	return rc;
}

struct replay_run {
	struct replay pace;
	const char *field;
};

/* The record's time: the named field, else "time", "host_time" or "start". */
static bool record_time(const struct rec *r, const char *field, int64_t *ms)
{
	static const char *const fallback[] = { "time", "host_time", "start" };
	const char *why;

	for (size_t i = 0; i < (field ? 1 : 3); i++) {
		const char *text = rec_string(r, field ? field : fallback[i]);
		if (text != NULL)
			return rfc3339_parse(ms, text, strlen(text), &why) == 0;
	}
	return false;
}

static int replay_record(struct rec_loop *loop, const struct rec *r, void *arg)
{
	struct replay_run *run = arg;
	int64_t t;

	if (stop_requested) {
		loop->stop = true;
		return 0;
	}
	if (record_time(r, run->field, &t))
		sleep_until(now_ms() + replay_wait_ms(&run->pace, t, now_ms()));
	return rec_pass(loop, r);
}

static int cmd_replay(struct args *a)
{
	struct rec_loop loop;
	struct replay_run run = { .field = a->time_field };
	int rc;

	replay_init(&run.pace, a->speed);
	rec_loop_init(&loop, STDOUT_FILENO, a->strict);
	rc = rec_loop_run(&loop, a->rest, a->nrest, replay_record, &run);
	rec_loop_free(&loop);
	return rc;
}

static int load_p1_key(struct args *a)
{
	struct buf text = BUF_INIT;
	const char *env = getenv("HIVE_P1_KEY");
	int rc = HIVE_OK;

	if (a->key_file != NULL) {
		if (read_file(a->key_file, &text, 4096) < 0) {
			diag_warn_errno("cannot read key file '%s'", a->key_file);
			buf_free_wipe(&text);
			return HIVE_EINPUT;
		}
	} else if (env != NULL) {
		buf_puts(&text, env);
	} else {
		return HIVE_OK;
	}
	while (text.len > 0 && (text.data[text.len - 1] == '\n' || text.data[text.len - 1] == '\r'))
		text.len--;
	if (hex_decode(text.data, text.len, a->stream.key, sizeof a->stream.key) < 0) {
		diag_warn("P1 key %s%s%s: want 32 hex digits", a->key_file ? "file '" : "from HIVE_P1_KEY",
		          a->key_file ? a->key_file : "", a->key_file ? "'" : "");
		rc = HIVE_EINPUT;
	} else {
		a->stream.has_key = true;
	}
	buf_free_wipe(&text);
	return rc;
}

static void default_line(struct args *a, struct serial_config *cfg, const char *path)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->path = path;
	cfg->baud = a->stream.protocol == METER_SML ? 9600 : 115200;
	cfg->data_bits = 8;
	cfg->parity = 'N';
	cfg->stop_bits = 1;
	if (a->line != NULL && serial_parse_config(a->line, cfg) != 0)
		cli_usage_error(usage, "--line '%s': want a line setting such as '115200 8N1' or '9600 7E1'", a->line);
}

struct device_events {
	struct readloop *loop;
	const char *path;
};

static int on_serial_event(const struct serial_port *port, const struct serial_event *ev, void *arg)
{
	struct device_events *d = arg;
	char detail[128];

	(void)port;
	if (ev->kind == SERIAL_EVENT_RETRY) {
		if (ev->attempts == 1 || (ev->attempts & (ev->attempts - 1)) == 0)
			diag_warn("cannot reopen '%s': %s (attempt %lu, next in %u ms)", d->path, strerror(ev->err),
			          ev->attempts, ev->delay_ms);
		return stop_requested ? 1 : 0;
	}
	snprintf(detail, sizeof detail, "reopened after %lu attempts; no data for %llu ms", ev->attempts,
	         (unsigned long long)ev->gap_ms);
	diag_warn("'%s' %s", d->path, detail);
	readloop_event(d->loop, "reconnect", now_ms(), detail, (int64_t)ev->reconnects);
	return 0;
}

/* Reads the device or file until the end of a file, --count, or a stop signal. */
static int read_device(struct args *a, struct serial_port *port, struct meterstream *ms, struct readloop *loop)
{
	uint8_t chunk[4096];
	struct device_events d = { loop, port->cfg.path };

	int64_t quiet_since = now_ms();   /* last byte, or last reopen: a fresh port gets the full --stall */

	port->on_event = on_serial_event;
	port->event_arg = &d;
	while (!loop->done && !stop_requested) {
		ssize_t n = port->fd >= 0 ? serial_read(port, chunk, sizeof chunk, 500) : -1;
		if (n > 0) {
			quiet_since = now_ms();
			meterstream_feed(ms, chunk, (size_t)n, quiet_since);
			continue;
		}
		if (n < 0 && port->fd >= 0 && errno == ENODATA)
			return HIVE_OK;       /* the end of a capture file */
		if (n == 0 && (port->kind != SERIAL_TTY || a->stall_ms == 0 || now_ms() - quiet_since < a->stall_ms))
			continue;
		const char *what = n == 0 ? "stall" : "disconnect";
		diag_warn("'%s': %s", port->cfg.path, n == 0 ? "no data: reopening" : "device hung up or failed: reopening");
		readloop_event(loop, what, now_ms(), port->cfg.path, 0);
		meterstream_cut(ms);      /* a frame cut by the fault is dropped, never merged with the next */
		if (serial_reconnect(port) < 0) {
			if (errno == EINTR || stop_requested)
				return HIVE_OK;   /* stopped while waiting for the device */
			return errno == EINVAL ? HIVE_EUSAGE : HIVE_ETEMP;
		}
		quiet_since = now_ms();
	}
	return HIVE_OK;
}

static int cmd_read(struct args *a)
{
	struct readloop loop;
	struct meterstream ms;
	struct serial_port port;
	struct serial_config cfg;
	const char *path = a->nrest == 1 && strcmp(a->rest[0], "-") != 0 ? a->rest[0] : "/dev/stdin";
	int rc;

	if (a->nrest > 1)
		cli_usage_error(usage, "read takes one DEVICE or FILE");
	rc = load_p1_key(a);
	if (rc != HIVE_OK && (a->stream.protocol == METER_P1CRYPT || a->key_file != NULL))
		return rc;
	if (a->stream.protocol == METER_P1CRYPT && !a->stream.has_key)
		cli_usage_error(usage, "--protocol p1crypt needs the key: --key-file FILE or HIVE_P1_KEY");
	default_line(a, &cfg, path);
	a->loop.ctx.source = a->nrest == 1 ? a->rest[0] : NULL;
	start_loop(a, &loop);
	meterstream_init(&ms, &a->stream, &loop);
	secret_wipe(a->stream.key, sizeof a->stream.key);
	if (serial_open(&port, &cfg) < 0) {
		/* A device not plugged in yet is waited for; a capture file that is missing is an error. */
		bool device = strncmp(path, "/dev/", 5) == 0 && strcmp(path, "/dev/stdin") != 0;
		if (errno == EINVAL || (!device && port.kind != SERIAL_TTY)) {
			diag_warn_errno("cannot open '%s'", path);
			rc = errno == EINVAL ? HIVE_EUSAGE : HIVE_EINPUT;
			goto done;
		}
		diag_warn_errno("cannot open '%s' (retrying)", path);
	}
	rc = read_device(a, &port, &ms, &loop);
	meterstream_finish(&ms);
	readloop_finish(&loop);
	if (ms.bad_frames > 0)
		diag_warn("%llu frames read, %llu dropped", (unsigned long long)ms.frames,
		          (unsigned long long)ms.bad_frames);
	if (rc == HIVE_OK && loop.out.fatal)
		rc = loop.out.fatal;
	if (rc == HIVE_OK && ms.bad_frames > 0)
		rc = HIVE_EBAD;     /* like a rejected record: the good frames were still read */
done:
	serial_close(&port);
	meterstream_free(&ms);
	readloop_free(&loop);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a;

	memset(&a, 0, sizeof a);
	diag_init(argv[0]);
	a.loop.readings = true;
	interval_config_default(&a.loop.interval);
	a.sim = sim_config_defaults();
	a.stall_ms = 60000;
	a.retries = -1;     /* not given: the map's own */
	a.unit_id = -1;     /* not given: 1 */
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
		cli_help(usage);
	if (argc >= 2 && strcmp(argv[1], "--version") == 0)
		cli_version();
	install_stop_handlers();
	if (argc >= 2 && strcmp(argv[1], "sim") == 0) {
		a.cmd = "sim";
		a.own = sim_opts;
		parse_options(&a, argc - 1, argv + 1);
		return cli_finish(cmd_sim(&a));
	}
	if (argc >= 2 && strcmp(argv[1], "modbus") == 0) {
		a.cmd = "modbus";
		a.own = modbus_opts;
		parse_options(&a, argc - 1, argv + 1);
		return cli_finish(cmd_modbus(&a));
	}
	if (argc >= 2 && strcmp(argv[1], "csv") == 0) {
		a.cmd = "csv";
		a.own = csv_opts;
		csvimport_config_default(&a.csv);
		parse_options(&a, argc - 1, argv + 1);
		return cli_finish(cmd_csv(&a));
	}
	if (argc >= 2 && strcmp(argv[1], "d0") == 0) {
		a.cmd = "d0";
		a.own = d0_opts;
		parse_options(&a, argc - 1, argv + 1);
		return cli_finish(cmd_d0(&a));
	}
	if (argc >= 2 && strcmp(argv[1], "replay") == 0) {
		a.cmd = "replay";
		a.own = replay_opts;
		a.speed = 1;
		parse_options(&a, argc - 1, argv + 1);
		return cli_finish(cmd_replay(&a));
	}
	a.cmd = "read";
	a.own = read_opts;
	if (argc >= 2 && strcmp(argv[1], "read") == 0)
		parse_options(&a, argc - 1, argv + 1);
	else
		parse_options(&a, argc, argv);
	return cli_finish(cmd_read(&a));
}
