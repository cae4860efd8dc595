/*
 * hive-clear — clear every slot of a hive's metered energy (whitepaper §4.1,
 * §4.2); "hive-clear simulate" plans a hive's flexibility (§4.3).
 */
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
#include "hiveplan.h"
#include "queen.h"
#include "jcs.h"
#include "keys.h"
#include "recsig.h"
#include "secret.h"
#include "record.h"
#include "tariff.h"
#include "timeutil.h"
#include "xio.h"

static const char usage[] =
	"usage: hive-clear --export FILE --tariff FILE [--rule RULE] [--platform-fee BPS[:BASIS]]\n"
	"                  [--owner-fee BPS[:BASIS]] [--missing zero|skip] [--from TIME] [--to TIME]\n"
	"                  [--day DAY [--tz ZONE]] [--step DURATION] [--rejects FILE] [--strict] [FILE...]\n"
	"       hive-clear simulate --tariff FILE [--import-max-w W] [--export-max-w W] [--peak-price P]\n"
	"                  [--rho R] [--max-iter N] [--eps-abs WH] [--eps-rel F] [--gap F] [--relax A]\n"
	"                  [--days D [--horizon SLOTS]] [--strict] [--rejects FILE] ASSETS... < FORECASTS\n"
	"       hive-clear coordinate --tariff FILE (--export FILE | --workers N) [--signed] [--timeout DURATION]\n"
	"                  [--key FILE | --keystore FILE [--password-file FILE]]\n"
	"                  [--rounds N] [--bids FILE] [--import-max-w W] [--export-max-w W] [--peak-price P]\n"
	"                  [--rho R] [--max-iter N] [--eps-abs WH] [--eps-rel F] [--gap F]\n"
	"                  [--strict] [--rejects FILE] < BIDS\n"
	"       hive-clear -h | --help | --version\n"
	"RULE: discount (default), mid-market, sdr, bill-sharing; BASIS: surplus (default), traded\n"
	"DAY: YYYY-MM-DD, yesterday or today, a local day of ZONE (default UTC)\n";

enum opt {
	OPT_EXPORT = 256, OPT_TARIFF, OPT_RULE, OPT_PLATFORM_FEE, OPT_OWNER_FEE, OPT_MISSING, OPT_FROM, OPT_TO,
	OPT_STEP, OPT_REJECTS, OPT_STRICT, OPT_DAY, OPT_TZ, OPT_VERSION,
	OPT_IMPORT_MAX, OPT_EXPORT_MAX, OPT_PEAK_PRICE, OPT_RHO, OPT_MAX_ITER, OPT_EPS_ABS, OPT_EPS_REL,
	OPT_WORKERS, OPT_SIGNED, OPT_TIMEOUT, OPT_ROUNDS, OPT_BIDS, OPT_DAYS, OPT_HORIZON, OPT_KEY, OPT_KEYSTORE,
	OPT_PASSWORD_FILE, OPT_GAP, OPT_RELAX
};

/* The options simulate and coordinate share: the hive's cost, ADMM's settings, the record loop's. */
#define PLANNING_OPTIONS \
	{ "tariff", required_argument, NULL, OPT_TARIFF }, \
	{ "import-max-w", required_argument, NULL, OPT_IMPORT_MAX }, \
	{ "export-max-w", required_argument, NULL, OPT_EXPORT_MAX }, \
	{ "peak-price", required_argument, NULL, OPT_PEAK_PRICE }, \
	{ "rho", required_argument, NULL, OPT_RHO }, \
	{ "max-iter", required_argument, NULL, OPT_MAX_ITER }, \
	{ "eps-abs", required_argument, NULL, OPT_EPS_ABS }, \
	{ "eps-rel", required_argument, NULL, OPT_EPS_REL }, \
	{ "gap", required_argument, NULL, OPT_GAP }, \
	{ "rejects", required_argument, NULL, OPT_REJECTS }, \
	{ "strict", no_argument, NULL, OPT_STRICT }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, OPT_VERSION }, \
	{ NULL, 0, NULL, 0 }

static const struct option sim_options[] = {
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "horizon", required_argument, NULL, OPT_HORIZON },
	{ "relax", required_argument, NULL, OPT_RELAX },
	PLANNING_OPTIONS
};

static const struct option coord_options[] = {
	{ "export", required_argument, NULL, OPT_EXPORT },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "signed", no_argument, NULL, OPT_SIGNED },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "bids", required_argument, NULL, OPT_BIDS },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "keystore", required_argument, NULL, OPT_KEYSTORE },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	PLANNING_OPTIONS
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

/* What the planning options set, for simulate and coordinate alike. */
struct planning {
	const char *tariff_file, *rejects_file;
	bool strict;
	struct coupling coupling;
	double rho, eps_abs, eps_rel, gap;
	size_t max_iter;
};

#define PLANNING_DEFAULTS { .eps_abs = COORD_EPS_ABS, .eps_rel = 0, .max_iter = COORD_MAX_ITER, .coupling = COUPLING_OPEN }

/* Takes one of PLANNING_OPTIONS; false for another option. */
static bool planning_option(struct planning *p, int c)
{
	switch (c) {
	case OPT_TARIFF: p->tariff_file = optarg; break;
	case OPT_REJECTS: p->rejects_file = optarg; break;
	case OPT_STRICT: p->strict = true; break;
	case OPT_IMPORT_MAX: p->coupling.import_max_w = cli_number("--import-max-w", optarg, 0, 1e12, usage); p->coupling.limited = true; break;
	case OPT_EXPORT_MAX: p->coupling.export_max_w = cli_number("--export-max-w", optarg, 0, 1e12, usage); p->coupling.limited = true; break;
	case OPT_PEAK_PRICE: p->coupling.peak_price_per_kw = cli_number("--peak-price", optarg, 0, 1e18, usage); break;
	case OPT_RHO: p->rho = cli_number("--rho", optarg, 1e-12, 1e12, usage); break;
	case OPT_EPS_ABS: p->eps_abs = cli_number("--eps-abs", optarg, 1e-9, 1e6, usage); break;
	case OPT_EPS_REL: p->eps_rel = cli_number("--eps-rel", optarg, 0, 1, usage); break;
	case OPT_MAX_ITER: p->max_iter = (size_t)cli_uint("--max-iter", optarg, 1, 100000, usage); break;
	case OPT_GAP: p->gap = cli_number("--gap", optarg, 1e-12, 1, usage); break;
	default: return false;
	}
	return true;
}

static int simulate(int argc, char **argv)
{
	struct planning p = PLANNING_DEFAULTS;
	unsigned days = 0;
	size_t horizon = 0;
	double relax = 1;
	int c;
	optind = 1;
	while ((c = cli_getopt(argc, argv, sim_options, OPT_VERSION, "hive-clear", usage)) != -1) {
		if (c == OPT_DAYS)
			days = (unsigned)cli_uint("--days", optarg, 1, 366, usage);
		else if (c == OPT_HORIZON)
			horizon = (size_t)cli_uint("--horizon", optarg, 1, LQP_MAX_SLOTS, usage);
		else if (c == OPT_RELAX)
			relax = cli_number("--relax", optarg, 0.5, 1.95, usage);
		else if (!planning_option(&p, c))
			cli_usage_error(usage, "unexpected option");
	}
	if (!p.tariff_file)
		cli_usage_error(usage, "--tariff FILE is required");
	if (horizon && !days)
		cli_usage_error(usage, "--horizon goes with --days");
	const char *tariff_file = p.tariff_file, *rejects_file = p.rejects_file;
	struct hiveplan_config cfg = {
		.coupling = p.coupling, .days = days, .horizon = horizon,
		.coord = { .rho = p.rho, .eps_abs = p.eps_abs, .eps_rel = p.eps_rel, .max_iter = p.max_iter, .gap = p.gap,
		           .relax = relax, .polish = true },
	};
	cfg.assets_files = (const char *const *)(argv + optind);
	cfg.nassets = (size_t)(argc - optind);
	struct tariff *t = NULL;
	if (tariff_load(&t, tariff_file, NULL) != HIVE_OK)
		return HIVE_EINPUT;
	cfg.tariff = t;
	struct rec_loop loop;
	rec_loop_init(&loop, STDOUT_FILENO, p.strict);
	loop.view_mode = true; /* forecasts read from their views: a hive's are thousands of hundreds of numbers */
	if (rejects_file)
		loop.rejects_fd = open_rejects(rejects_file);
	int rc = hiveplan_simulate(&cfg, &loop, NULL, 0);
	if (loop.rejects_fd >= 0 && (fdatasync(loop.rejects_fd) != 0 || close(loop.rejects_fd) != 0)) {
		diag_warn_errno("rejects file '%s'", rejects_file);
		rc = HIVE_EOUTPUT;
	}
	rec_loop_free(&loop);
	tariff_free(t);
	return cli_finish(rc);
}

struct coordinating {
	struct queen q;
	size_t rounds;       /* stop after this many rounds (0: at the end of input) */
	int bids_fd;         /* -1, or where each round's final bids are appended */
	const char *bids_file;
	bool sign;           /* the signals are signed with the Queen's key */
	uint8_t seckey[ETH_SECKEY_SIZE];
	struct recsig rs;
};

/* A signal to the Workers, the final bids to the archive, a warning to stderr. */
static void deliver(struct rec_loop *loop, struct coordinating *c, struct queen_out *out, const struct rec *r)
{
	if (out->warning)
		r ? diag_warn("line %lu: %s", r->lineno, out->warning) : diag_warn("%s", out->warning);
	for (size_t i = 0; i < out->nsignals; i++) {
		const char *why;
		struct buf b = { 0 };
		HIVE_ASSERT((c->sign ? recsig_sign(&c->rs, &b, out->signals[i], c->seckey, &why)
		                     : jcs_append(&b, out->signals[i], NULL, &why)) == 0);
		rec_write(loop, b.data, b.len);
		buf_free(&b);
	}
	if (out->ended && c->bids_fd >= 0 &&
	    (write_full(c->bids_fd, out->final.data, out->final.len) < 0 || fdatasync(c->bids_fd) != 0)) {
		diag_warn_errno("bids file '%s'", c->bids_file);
		loop->fatal = HIVE_EOUTPUT;
		loop->stop = true;
	}
	if (out->ended && c->rounds && c->q.rounds >= c->rounds && !c->q.open)
		loop->stop = true;
	queen_out_free(out);
}

/* Bids are the Queen's; her output is a control channel, so nothing else passes through. */
static int coord_handle(struct rec_loop *loop, const struct rec *r, void *arg)
{
	struct coordinating *c = arg;
	const char *type = rec_type(r), *why;
	if (!type || strcmp(type, "bid") != 0)
		return 0;
	struct queen_out out;
	if (queen_take(&c->q, r->value, r->line, r->len, monotonic_ms(), now_ms(), &out, &why) != 0) {
		deliver(loop, c, &out, r); /* a round the refused bid stopped is still told and archived */
		rec_reject(loop, r, "bid refused: %s", why);
		return -1;
	}
	deliver(loop, c, &out, r);
	return 0;
}

static long coord_wait(void *arg)
{
	struct coordinating *c = arg;
	return queen_wait_ms(&c->q, monotonic_ms());
}

static void coord_timeout(struct rec_loop *loop, void *arg)
{
	struct coordinating *c = arg;
	struct queen_out out;
	queen_timeout(&c->q, monotonic_ms(), &out);
	deliver(loop, c, &out, NULL);
}

/* The Queen's key for signing signals: with the hive's export, its owner's. */
static int queen_key(uint8_t seckey[ETH_SECKEY_SIZE], const struct key_source *keys, const uint8_t *owner)
{
	int rc = keys_load(seckey, keys);
	if (rc != HIVE_OK)
		return rc;
	uint8_t addr[ETH_ADDR_SIZE];
	if (eth_seckey_address(addr, seckey) != 0)
		return HIVE_EAUTH;
	if (owner && memcmp(addr, owner, ETH_ADDR_SIZE) != 0) {
		char mine[ETH_ADDR_STRLEN + 1], theirs[ETH_ADDR_STRLEN + 1];
		eth_address_format(mine, addr);
		eth_address_format(theirs, owner);
		diag_warn("the key is %s's, not the hive's owner %s", mine, theirs);
		return HIVE_EAUTH;
	}
	return HIVE_OK;
}

static int coordinate(int argc, char **argv)
{
	struct planning p = PLANNING_DEFAULTS;
	struct queen_config cfg = { .hive = -1, .timeout_ms = 10000 };
	const char *export_file = NULL;
	struct coordinating c = { .bids_fd = -1 };
	struct key_source keys = { 0 };
	int ch;
	optind = 1;
	while ((ch = cli_getopt(argc, argv, coord_options, OPT_VERSION, "hive-clear", usage)) != -1) {
		switch (ch) {
		case OPT_EXPORT: export_file = optarg; break;
		case OPT_WORKERS: cfg.workers = (size_t)cli_uint("--workers", optarg, 1, 1000000, usage); break;
		case OPT_SIGNED: cfg.require_signatures = true; break;
		case OPT_TIMEOUT:
			cfg.timeout_ms = (long)cli_duration("--timeout", optarg, usage);
			if (cfg.timeout_ms > 86400000)
				cli_usage_error(usage, "--timeout: at most a day");
			break;
		case OPT_ROUNDS: c.rounds = (size_t)cli_uint("--rounds", optarg, 1, 1000000000, usage); break;
		case OPT_BIDS: c.bids_file = optarg; break;
		case OPT_KEY: keys.key_file = optarg; break;
		case OPT_KEYSTORE: keys.keystore_file = optarg; break;
		case OPT_PASSWORD_FILE: keys.password_file = optarg; break;
		default:
			if (!planning_option(&p, ch))
				cli_usage_error(usage, "unexpected option");
		}
	}
	if (!p.tariff_file)
		cli_usage_error(usage, "--tariff FILE is required");
	if (!export_file == !cfg.workers)
		cli_usage_error(usage, "give --export FILE (the hive's members) or --workers N, one of them");
	if (optind != argc)
		cli_usage_error(usage, "coordinate reads its bids from standard input, not from files");
	if (keys.key_file && keys.keystore_file)
		cli_usage_error(usage, "give --key or --keystore, not both");
	if (keys.password_file && !keys.keystore_file)
		cli_usage_error(usage, "--password-file goes with --keystore");
	const char *tariff_file = p.tariff_file, *rejects_file = p.rejects_file;
	bool strict = p.strict;
	cfg.coupling = p.coupling;
	cfg.rho = p.rho;
	cfg.eps_abs = p.eps_abs;
	cfg.eps_rel = p.eps_rel;
	cfg.gap = p.gap;
	cfg.max_iter = p.max_iter;
	struct hive_export hx = { 0 };
	struct tariff *t = NULL;
	if (export_file) {
		if (hive_export_load(&hx, export_file) != HIVE_OK)
			return HIVE_EINPUT;
		cfg.members = (const uint8_t(*)[20])hx.members;
		cfg.nmembers = hx.nmembers;
		cfg.hive = (long)hx.hive;
	}
	int krc = tariff_load(&t, tariff_file, NULL);
	c.sign = keys.key_file || keys.keystore_file;
	if (krc == HIVE_OK && c.sign)
		krc = queen_key(c.seckey, &keys, export_file ? hx.owner : NULL);
	if (krc != HIVE_OK) {
		secret_wipe(c.seckey, sizeof c.seckey);
		tariff_free(t);
		if (export_file)
			hive_export_free(&hx);
		return krc;
	}
	recsig_init(&c.rs);
	cfg.tariff = t;
	if (c.bids_file) {
		c.bids_fd = open(c.bids_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (c.bids_fd < 0)
			diag_die_errno(HIVE_EOUTPUT, "bids file '%s'", c.bids_file);
	}
	queen_init(&c.q, &cfg);
	struct rec_loop loop;
	rec_loop_init(&loop, STDOUT_FILENO, strict);
	if (rejects_file)
		loop.rejects_fd = open_rejects(rejects_file);
	rec_loop_poll(&loop, STDIN_FILENO, NULL, coord_handle, coord_wait, coord_timeout, &c);
	int rc = loop.fatal ? loop.fatal : loop.bad ? HIVE_EBAD : HIVE_OK;
	if (!loop.fatal && c.q.open) {
		diag_warn("the input ended in the middle of a round: its plans were not final");
		if (!(strict && loop.bad))
			rc = HIVE_EINPUT;
	}
	if (loop.rejects_fd >= 0 && (fdatasync(loop.rejects_fd) != 0 || close(loop.rejects_fd) != 0)) {
		diag_warn_errno("rejects file '%s'", rejects_file);
		rc = HIVE_EOUTPUT;
	}
	if (c.bids_fd >= 0 && close(c.bids_fd) != 0) {
		diag_warn_errno("bids file '%s'", c.bids_file);
		rc = HIVE_EOUTPUT;
	}
	queen_free(&c.q);
	rec_loop_free(&loop);
	secret_wipe(c.seckey, sizeof c.seckey);
	recsig_free(&c.rs);
	tariff_free(t);
	if (export_file)
		hive_export_free(&hx);
	return cli_finish(rc);
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
	if (argc > 1 && strcmp(argv[1], "simulate") == 0)
		return simulate(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "coordinate") == 0)
		return coordinate(argc - 1, argv + 1);
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
