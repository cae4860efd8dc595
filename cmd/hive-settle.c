/* hive-settle — settle a hive's clearing records per period in its stablecoin, and audit the archive. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "diag.h"
#include "hiveexport.h"
#include "keys.h"
#include "ledger.h"
#include "record.h"
#include "secret.h"
#include "settle.h"
#include "timeutil.h"
#include "xio.h"

static const char usage[] =
	"usage: hive-settle --export FILE (--day DAY [--tz ZONE] | --from TIME --to TIME) [--archive FILE]\n"
	"                   [--key FILE | --keystore FILE [--password-file FILE]] [--bids FILE]...\n"
	"                   [--reputation-weight BPS] [--deviation-price UNITS] [--csv FILE] [--strict] [FILE...]\n"
	"       hive-settle audit --export FILE [--export FILE]... --tariff FILE --archive FILE [--queen ADDRESS]\n"
	"                   [--bids FILE]... [INTERVALS...]\n"
	"       hive-settle -h | --help | --version\n"
	"DAY: YYYY-MM-DD, yesterday or today, a local day of ZONE (default UTC)\n";

enum opt {
	OPT_EXPORT = 256, OPT_DAY, OPT_TZ, OPT_FROM, OPT_TO, OPT_ARCHIVE, OPT_KEY, OPT_KEYSTORE, OPT_PASSWORD_FILE,
	OPT_BIDS, OPT_WEIGHT, OPT_DEVIATION_PRICE, OPT_CSV, OPT_STRICT, OPT_TARIFF, OPT_QUEEN, OPT_VERSION
};

static const struct option options[] = {
	{ "export", required_argument, NULL, OPT_EXPORT },
	{ "day", required_argument, NULL, OPT_DAY },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "archive", required_argument, NULL, OPT_ARCHIVE },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "keystore", required_argument, NULL, OPT_KEYSTORE },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "bids", required_argument, NULL, OPT_BIDS },
	{ "reputation-weight", required_argument, NULL, OPT_WEIGHT },
	{ "deviation-price", required_argument, NULL, OPT_DEVIATION_PRICE },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "tariff", required_argument, NULL, OPT_TARIFF },
	{ "queen", required_argument, NULL, OPT_QUEEN },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const int settle_opts[] = { OPT_EXPORT, OPT_DAY, OPT_TZ, OPT_FROM, OPT_TO, OPT_ARCHIVE, OPT_KEY, OPT_KEYSTORE,
	                           OPT_PASSWORD_FILE, OPT_BIDS, OPT_WEIGHT, OPT_DEVIATION_PRICE, OPT_CSV, OPT_STRICT, 0 };
static const int audit_opts[] = { OPT_EXPORT, OPT_TARIFF, OPT_ARCHIVE, OPT_QUEEN, OPT_BIDS, 0 };

struct args {
	bool audit;
	const char *export_file, *day, *tz, *archive, *csv, *tariff, *deviation_price;
	struct key_source keys;
	int64_t from_ms, to_ms;
	bool have_from, have_to, strict, have_queen;
	uint32_t weight;
	uint8_t queen[20];
	const char **bids;
	size_t nbids;
	const char **exports;   /* audit: one per registry state */
	size_t nexports;
	char **files;
	int nfiles;
};

static void take_option(struct args *a, int c)
{
	switch (c) {
	case OPT_EXPORT:
		a->export_file = optarg;
		a->exports = xrealloc(a->exports, (a->nexports + 1) * sizeof *a->exports);
		a->exports[a->nexports++] = optarg;
		break;
	case OPT_DAY: a->day = optarg; break;
	case OPT_TZ: a->tz = optarg; break;
	case OPT_FROM: a->from_ms = cli_time("--from", optarg, usage), a->have_from = true; break;
	case OPT_TO: a->to_ms = cli_time("--to", optarg, usage), a->have_to = true; break;
	case OPT_ARCHIVE: a->archive = optarg; break;
	case OPT_KEY: a->keys.key_file = optarg; break;
	case OPT_KEYSTORE: a->keys.keystore_file = optarg; break;
	case OPT_PASSWORD_FILE: a->keys.password_file = optarg; break;
	case OPT_CSV: a->csv = optarg; break;
	case OPT_STRICT: a->strict = true; break;
	case OPT_TARIFF: a->tariff = optarg; break;
	case OPT_DEVIATION_PRICE: a->deviation_price = optarg; break;
	case OPT_WEIGHT: a->weight = (uint32_t)cli_uint("reputation-weight", optarg, 0, 10000, usage); break;
	case OPT_QUEEN: cli_address(a->queen, "queen", optarg, usage), a->have_queen = true; break;
	case OPT_BIDS:
		a->bids = xrealloc(a->bids, (a->nbids + 1) * sizeof *a->bids);
		a->bids[a->nbids++] = optarg;
		break;
	}
}

/* The period: a local day of the zone given (UTC by default), or --from and --to. */
static void settle_period(struct args *a)
{
	if (a->day && (a->have_from || a->have_to))
		cli_usage_error(usage, "give --day or --from and --to, not both");
	if (!a->day) {
		if (a->tz)
			cli_usage_error(usage, "--tz goes with --day (--from and --to are UTC times)");
		if (!a->have_from || !a->have_to)
			cli_usage_error(usage, "the period is required: --day DATE, or --from TIME and --to TIME");
		if (a->from_ms >= a->to_ms)
			cli_usage_error(usage, "--from must be before --to");
		return;
	}
	cli_day_period(a->day, a->tz, &a->from_ms, &a->to_ms, usage);
}

static void parse_args(struct args *a, int argc, char **argv)
{
	int c;
	a->weight = SETTLE_DEFAULT_WEIGHT;
	a->audit = argc > 1 && strcmp(argv[1], "audit") == 0;
	if (a->audit) {
		argc--;
		argv++;
	}
	const int *accepted = a->audit ? audit_opts : settle_opts;
	optind = 1;
	while ((c = cli_getopt(argc, argv, options, OPT_VERSION, a->audit ? "audit" : "hive-settle", usage)) != -1) {
		if (!cli_accepts(accepted, c))
			cli_usage_error(usage, "'%s' does not take --%s", a->audit ? "audit" : "hive-settle",
			                cli_option_name(options, c));
		take_option(a, c);
	}
	a->files = argv + optind;
	a->nfiles = argc - optind;
	if (!a->export_file)
		cli_usage_error(usage, "--export FILE is required (the output of hive-beekeeper export)");
	if (!a->audit && a->nexports > 1)
		cli_usage_error(usage, "one --export: the hive's state for the period settled");
	if (a->audit) {
		if (!a->tariff || !a->archive)
			cli_usage_error(usage, "audit needs --tariff FILE and --archive FILE");
		return;
	}
	if (a->keys.key_file && a->keys.keystore_file)
		cli_usage_error(usage, "give --key or --keystore, not both");
	if (a->keys.password_file && !a->keys.keystore_file)
		cli_usage_error(usage, "--password-file goes with --keystore");
	settle_period(a);
}

/* ------------------------------------------------------------ settle */

struct run {
	struct settle *s;
	struct rec_loop loop;
};

static int handle(struct rec_loop *loop, const struct rec *r, void *arg)
{
	struct run *run = arg;
	const char *type = rec_type(r), *why;
	enum settle_use use;
	if (type && strcmp(type, "bid") == 0)
		use = settle_add_bid(run->s, r->line, r->len, &why);
	else if (type && (strcmp(type, "clearing") == 0 || strcmp(type, "clearing_slot") == 0))
		use = r->view ? settle_add(run->s, r->view, &why)
		              : (why = "more members than a clearing record has", SETTLE_REFUSED);
	else
		return rec_pass(loop, r);
	if (use == SETTLE_REFUSED) {
		rec_reject(loop, r, "%s refused: %s", type, why);
		return -1;
	}
	return 0;
}

static int read_archive_line(void *arg, const char *line, size_t len, uint64_t lineno, off_t offset,
                             const uint8_t hash[32])
{
	struct run *run = arg;
	const char *why;
	int rc = settle_previous(run->s, line, len, hash, &why);
	if (rc != 0) {
		diag_warn("archive line %llu: %s", (unsigned long long)lineno, why);
		return rc == -2 ? HIVE_EAUTH : HIVE_EINPUT;
	}
	return 0;
}

/* Opens the archive (creating it the first time: *created) and reads the chain so far. */
static int open_archive(struct ledger *lg, const char *path, struct run *run, bool *created)
{
	struct stat st;
	*created = lstat(path, &st) != 0 && errno == ENOENT;
	int rc = ledger_open_as(lg, path, *created ? LEDGER_CREATE : LEDGER_WRITE, "archive");
	if (rc != HIVE_OK)
		*created = false;
	if (rc != HIVE_OK)
		return rc;
	rc = ledger_scan_hashed(lg, read_archive_line, run);
	if (rc == HIVE_OK && lg->torn) {
		ledger_torn_message(lg);
		rc = HIVE_EINPUT;
	}
	int64_t from, to;
	if (rc == HIVE_OK && settle_check_period(run->s, &from, &to) != 0) {
		char f[RFC3339_SIZE], t[RFC3339_SIZE];
		rfc3339_format(f, from);
		rfc3339_format(t, to);
		diag_warn("archive '%s': the period overlaps one already settled (%s to %s)", path, f, t);
		rc = HIVE_ERULE;
	}
	return rc;
}

/* A --bids file: its bids are read, anything else in it is left alone (not passed on). */
static int handle_bids_file(struct rec_loop *loop, const struct rec *r, void *arg)
{
	const char *type = rec_type(r);
	return type && strcmp(type, "bid") == 0 ? handle(loop, r, arg) : 0;
}

static int read_bids(struct run *run, const char *const *files, size_t n)
{
	for (size_t i = 0; i < n && !run->loop.stop; i++) {
		FILE *f = fopen(files[i], "r");
		if (!f) {
			diag_warn_errno("bids '%s'", files[i]);
			return HIVE_EINPUT;
		}
		rec_loop_stream(&run->loop, f, files[i], handle_bids_file, run);
		fclose(f);
	}
	return run->loop.fatal;
}

/* Broken channels: named on stderr, and the run exits 1; the settlement itself stands. */
static void report_problems(const struct settle *s, int *rc)
{
	const char *p = settle_problems(s);
	int64_t seen = settle_slots_seen(s), expected = settle_slots_expected(s);
	/* A warning only: the settlement is right for the slots cleared, and the hive record counts both. */
	if (seen < expected)
		diag_warn("warning: %lld of the period's %lld slots have no clearing records", (long long)(expected - seen),
		          (long long)expected);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		diag_warn("%.*s", (int)(nl - p), p);
		p = nl + 1;
		*rc = HIVE_EBAD;
	}
}

static int write_csv(const struct settle *s, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&data, &len);
	if (!m || settle_csv(s, m) != 0 || fclose(m) != 0) {
		free(data);
		diag_warn("csv '%s': cannot format the table", path);
		return HIVE_EOUTPUT;
	}
	int rc = HIVE_OK;
	if (create_file_atomic(path, data, len, 0644, NULL, NULL) != 0) {
		diag_warn_errno(errno == EEXIST ? "csv '%s' already exists" : "cannot write csv '%s'", path);
		rc = HIVE_EOUTPUT;
	}
	free(data);
	return rc;
}

static int settle_main(struct args *a, struct hive_export *hx)
{
	struct settle_config cfg = { hx, a->from_ms, a->to_ms, a->weight, a->deviation_price };
	struct run run = { 0 };
	struct ledger lg = { .fd = -1 };
	struct buf out = BUF_INIT;
	uint8_t seckey[32];
	const char *why;
	int64_t slot_ms;
	bool signing = a->keys.key_file || a->keys.keystore_file, created = false;
	struct stat st;

	run.s = settle_new(&cfg, &why);
	if (!run.s)
		cli_usage_error(usage, "--deviation-price: %s", why);
	int rc = signing ? keys_load(seckey, &a->keys) : HIVE_OK;
	if (rc == HIVE_OK && a->archive)
		rc = open_archive(&lg, a->archive, &run, &created);
	/* Refused before anything is settled: a CSV that exists would otherwise fail after the archive append. */
	if (rc == HIVE_OK && a->csv && lstat(a->csv, &st) == 0) {
		diag_warn("csv '%s' already exists", a->csv);
		rc = HIVE_EOUTPUT;
	}
	rec_loop_init(&run.loop, STDOUT_FILENO, a->strict);
	run.loop.view_mode = true;
	if (rc == HIVE_OK)
		rc = read_bids(&run, a->bids, a->nbids);
	if (rc == HIVE_OK)
		rc = rec_loop_run(&run.loop, a->files, a->nfiles, handle, &run);
	if (rc == HIVE_OK || (rc == HIVE_EBAD && !a->strict)) {
		int fin = settle_finish(run.s, &out, signing ? seckey : NULL, &slot_ms, &why);
		if (fin != 0) {
			char t[RFC3339_SIZE];
			if (slot_ms != INT64_MIN)
				rfc3339_format(t, slot_ms), diag_warn("slot %s: %s", t, why);
			else
				diag_warn("%s", why);
			rc = HIVE_EINPUT;
		} else if (a->archive && (ledger_write(&lg, out.data, out.len) != HIVE_OK || ledger_commit(&lg) != HIVE_OK)) {
			rc = HIVE_EOUTPUT;
		} else {
			created = false;
			report_problems(run.s, &rc);
			if (write_full(STDOUT_FILENO, out.data, out.len) != 0) {
				diag_warn_errno("cannot write output");
				rc = HIVE_EOUTPUT;
			}
			if (a->csv && rc != HIVE_EOUTPUT) {
				int c = write_csv(run.s, a->csv);
				rc = c ? c : rc;
			}
		}
	}
	if (signing)
		secret_wipe(seckey, sizeof seckey);
	/* An archive made by this run and left empty by a failure goes again. */
	if (created && lg.size == 0 && unlink(a->archive) != 0)
		diag_warn_errno("cannot remove the empty archive '%s'", a->archive);
	if (lg.fd >= 0)
		ledger_close(&lg);
	buf_free(&out);
	rec_loop_free(&run.loop);
	settle_free(run.s);
	return rc;
}

static int audit_main(struct args *a)
{
	struct hive_export *hx = xcalloc(a->nexports, sizeof *hx);
	const struct hive_export **list = xcalloc(a->nexports, sizeof *list);
	size_t loaded = 0;
	int rc = HIVE_OK;
	for (; loaded < a->nexports && rc == HIVE_OK; loaded++) {
		rc = hive_export_load(&hx[loaded], a->exports[loaded]);
		list[loaded] = &hx[loaded];
		if (rc == HIVE_OK && hx[loaded].hive != hx[0].hive) {
			diag_warn("export '%s': hive %u, not hive %u like the first export", a->exports[loaded],
			          hx[loaded].hive, hx[0].hive);
			rc = HIVE_EINPUT;
		}
	}
	if (rc == HIVE_OK) {
		struct audit_config cfg = { list, a->nexports, a->tariff, a->archive, a->have_queen ? a->queen : hx[0].owner,
			                    (const char *const *)a->bids, a->nbids, (const char *const *)a->files,
			                    (size_t)a->nfiles };
		rc = audit_run(&cfg);
	}
	for (size_t i = 0; i < loaded; i++)
		hive_export_free(&hx[i]);
	free(hx);
	free(list);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct hive_export hx;
	int rc;

	diag_init(argv[0]);
	parse_args(&a, argc, argv);
	if (a.audit) {
		rc = audit_main(&a);
	} else if ((rc = hive_export_load(&hx, a.export_file)) == HIVE_OK) {
		rc = settle_main(&a, &hx);
		hive_export_free(&hx);
	}
	free(a.bids);
	free(a.exports);
	return cli_finish(rc);
}
