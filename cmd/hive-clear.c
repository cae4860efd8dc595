/* hive-clear — clear every slot of a hive's metered energy (whitepaper §4.1, §4.2). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clearing.h"
#include "cli.h"
#include "diag.h"
#include "hiveexport.h"
#include "jcs.h"
#include "record.h"
#include "tariff.h"
#include "timeutil.h"

static const char usage[] =
	"usage: hive-clear --export FILE --tariff FILE [--rule RULE] [--platform-fee BPS[:BASIS]]\n"
	"                  [--owner-fee BPS[:BASIS]] [--missing zero|skip] [--from TIME] [--to TIME]\n"
	"                  [--day DAY [--tz ZONE]] [--step DURATION] [--rejects FILE] [--strict] [FILE...]\n"
	"       hive-clear -h | --help | --version\n"
	"RULE: discount (default), mid-market, sdr, bill-sharing; BASIS: surplus (default), traded\n"
	"DAY: YYYY-MM-DD, yesterday or today, a local day of ZONE (default UTC)\n";

enum opt {
	OPT_EXPORT = 256, OPT_TARIFF, OPT_RULE, OPT_PLATFORM_FEE, OPT_OWNER_FEE, OPT_MISSING, OPT_FROM, OPT_TO,
	OPT_STEP, OPT_REJECTS, OPT_STRICT, OPT_DAY, OPT_TZ, OPT_VERSION
};

static const struct option options[] = {
	{ "export", required_argument, NULL, OPT_EXPORT },
	{ "tariff", required_argument, NULL, OPT_TARIFF },
	{ "rule", required_argument, NULL, OPT_RULE },
	{ "platform-fee", required_argument, NULL, OPT_PLATFORM_FEE },
	{ "owner-fee", required_argument, NULL, OPT_OWNER_FEE },
	{ "missing", required_argument, NULL, OPT_MISSING },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "day", required_argument, NULL, OPT_DAY },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct args {
	const char *export_file, *tariff_file, *rejects_file, *day, *tz;
	struct clearing_config cfg;
	bool strict;
	char **files;
	int nfiles;
};

/* "BPS" or "BPS:surplus" / "BPS:traded". */
static void parse_fee(struct market_fee *fee, const char *opt, const char *value)
{
	char num[16];
	const char *colon = strchr(value, ':');
	size_t n = colon ? (size_t)(colon - value) : strlen(value);
	if (n == 0 || n >= sizeof num)
		cli_usage_error(usage, "--%s: '%s' is not BPS[:surplus|:traded]", opt, value);
	memcpy(num, value, n);
	num[n] = '\0';
	fee->bps = (uint32_t)cli_uint(opt, num, 0, 10000, usage);
	fee->basis = FEE_ON_SURPLUS;
	if (colon && market_fee_basis_parse(colon + 1, &fee->basis) != 0)
		cli_usage_error(usage, "--%s: basis '%s' is neither 'surplus' nor 'traded'", opt, colon + 1);
}

/* --day: the local day's period in UTC, as hive-settle takes it, so both tools see the same slots. */
static void day_period(struct args *a)
{
	if (a->cfg.from_ms != INT64_MIN || a->cfg.to_ms != INT64_MAX)
		cli_usage_error(usage, "give --day or --from and --to, not both");
	cli_day_period(a->day, a->tz, &a->cfg.from_ms, &a->cfg.to_ms, usage);
}

static void parse_args(struct args *a, int argc, char **argv)
{
	int c;
	a->cfg.step_ms = 900000;
	a->cfg.from_ms = INT64_MIN;
	a->cfg.to_ms = INT64_MAX;
	a->cfg.params.rule = RULE_DISCOUNT;
	a->cfg.missing = MISSING_AS_ZERO;
	optind = 1;
	while ((c = cli_getopt(argc, argv, options, OPT_VERSION, "hive-clear", usage)) != -1) {
		switch (c) {
		case OPT_EXPORT: a->export_file = optarg; break;
		case OPT_TARIFF: a->tariff_file = optarg; break;
		case OPT_REJECTS: a->rejects_file = optarg; break;
		case OPT_STRICT: a->strict = true; break;
		case OPT_DAY: a->day = optarg; break;
		case OPT_TZ: a->tz = optarg; break;
		case OPT_FROM: a->cfg.from_ms = cli_time("--from", optarg, usage); break;
		case OPT_TO: a->cfg.to_ms = cli_time("--to", optarg, usage); break;
		case OPT_PLATFORM_FEE: parse_fee(&a->cfg.params.platform, "platform-fee", optarg); break;
		case OPT_OWNER_FEE: parse_fee(&a->cfg.params.owner, "owner-fee", optarg); break;
		case OPT_RULE:
			if (market_rule_parse(optarg, &a->cfg.params.rule) != 0)
				cli_usage_error(usage, "--rule: unknown rule '%s'", optarg);
			break;
		case OPT_MISSING:
			if (clearing_missing_parse(optarg, &a->cfg.missing) != 0)
				cli_usage_error(usage, "--missing: '%s' is neither 'zero' nor 'skip'", optarg);
			break;
		case OPT_STEP:
			if (duration_parse(&a->cfg.step_ms, optarg) != 0 || a->cfg.step_ms < 1000 ||
			    a->cfg.step_ms % 1000 != 0 || 86400000 % a->cfg.step_ms != 0)
				cli_usage_error(usage, "--step: '%s' is not a whole number of seconds that divides a day",
				                optarg);
			break;
		default: cli_usage_error(usage, "unexpected option");
		}
	}
	if (!a->export_file)
		cli_usage_error(usage, "--export FILE is required (the output of hive-beekeeper export)");
	if (!a->tariff_file)
		cli_usage_error(usage, "--tariff FILE is required");
	if (a->day)
		day_period(a);
	else if (a->tz)
		cli_usage_error(usage, "--tz goes with --day (--from and --to are UTC times)");
	if (a->cfg.from_ms >= a->cfg.to_ms)
		cli_usage_error(usage, "--from must be before --to");
	a->files = argv + optind;
	a->nfiles = argc - optind;
}

static int prices(void *arg, int64_t slot_ms, mpz_t buy, mpz_t sell)
{
	return tariff_prices(arg, slot_ms, buy, sell);
}

struct run {
	unsigned long outside;
	struct clearing c;
	struct rec_loop loop;
	struct buf out;
};

/* Intervals are cleared; every other record passes through untouched. */
static int handle(struct rec_loop *loop, const struct rec *r, void *arg)
{
	struct run *run = arg;
	const char *type = rec_type(r), *why;
	if (!type || strcmp(type, "interval") != 0)
		return rec_pass(loop, r);
	int use = clearing_add(&run->c, r->value, &why);
	if (use < 0) {
		rec_reject(loop, r, "interval refused: %s", why);
		return -1;
	}
	run->outside += use;   /* another period's: skipped */
	return 0;
}

static void emit(void *arg, jv record)
{
	struct run *run = arg;
	const char *why;
	buf_reset(&run->out);
	HIVE_ASSERT(jcs_append(&run->out, record, NULL, &why) == 0);
	jv_free(record);
	if (!run->loop.stop)
		rec_write(&run->loop, run->out.data, run->out.len);
}

static int open_rejects(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		diag_die_errno(HIVE_EOUTPUT, "rejects file '%s'", path);
	return fd;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct hive_export hx;
	struct tariff *t = NULL;
	struct run run = { 0 };
	char tariff_id[TARIFF_ID_SIZE];
	int64_t slot_ms;
	const char *why;

	diag_init(argv[0]);
	parse_args(&a, argc, argv);
	if (hive_export_load(&hx, a.export_file) != HIVE_OK)
		return HIVE_EINPUT;
	if (tariff_load(&t, a.tariff_file, tariff_id) != HIVE_OK) {
		hive_export_free(&hx);
		return HIVE_EINPUT;
	}
	a.cfg.hive = hx.hive;
	a.cfg.prices = prices;
	a.cfg.prices_arg = t;
	a.cfg.tariff_id = tariff_id;
	clearing_init(&run.c, &a.cfg, (const uint8_t(*)[20])hx.members, hx.nmembers);
	rec_loop_init(&run.loop, STDOUT_FILENO, a.strict);
	if (a.rejects_file)
		run.loop.rejects_fd = open_rejects(a.rejects_file);
	int rc = rec_loop_run(&run.loop, a.files, a.nfiles, handle, &run);
	/* Nothing is cleared from part of the input: an unreadable file would make its meters look missing. */
	if (rc == HIVE_EINPUT)
		diag_warn("nothing cleared: an input file could not be read");
	else if (run.loop.fatal == 0 && !(a.strict && run.loop.bad > 0) &&
	         clearing_finish(&run.c, emit, &run, &slot_ms, &why) != 0) {
		char t3339[RFC3339_SIZE];
		rfc3339_format(t3339, slot_ms);
		diag_warn("tariff '%s': slot %s: %s", a.tariff_file, t3339, why);
		rc = HIVE_EINPUT;
	}
	if (run.loop.fatal)
		rc = run.loop.fatal;
	if (run.loop.rejects_fd >= 0 && (fdatasync(run.loop.rejects_fd) != 0 || close(run.loop.rejects_fd) != 0)) {
		diag_warn_errno("rejects file '%s'", a.rejects_file);
		rc = HIVE_EOUTPUT;
	}
	clearing_free(&run.c);
	rec_loop_free(&run.loop);
	buf_free(&run.out);
	tariff_free(t);
	hive_export_free(&hx);
	return cli_finish(rc);
}
