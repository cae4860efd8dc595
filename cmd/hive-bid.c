/* hive-bid — a Worker plans its flexible assets and bids its plan to the Queen (whitepaper §2.3.1, §4.3). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assets.h"
#include "bidder.h"
#include "cli.h"
#include "diag.h"
#include "eth.h"
#include "jcs.h"
#include "keys.h"
#include "recsig.h"
#include "record.h"
#include "secret.h"
#include "tariff.h"
#include "timeutil.h"

static const char usage[] =
	"usage: hive-bid --assets FILE --tariff FILE [--key FILE | --keystore FILE [--password-file FILE]]\n"
	"                [--queen ADDRESS] [--hive N] [--strict] [FILE...]\n"
	"       hive-bid --assets FILE --assets FILE... --tariff FILE (--worker ADDRESS | --key FILE |\n"
	"                --keystore FILE [--password-file FILE]) [--import-max-w W] [--export-max-w W]\n"
	"                [--rho R] [--max-iter N] [--eps-abs WH] [--eps-rel F] [--queen ADDRESS]\n"
	"                [--hive N] [--strict] [FILE...]\n"
	"       hive-bid -h | --help | --version\n";

enum opt {
	OPT_ASSETS = 256, OPT_TARIFF, OPT_KEY, OPT_KEYSTORE, OPT_PASSWORD_FILE, OPT_STRICT, OPT_VERSION, OPT_QUEEN, OPT_HIVE,
	OPT_WORKER,
	OPT_IMPORT_MAX, OPT_EXPORT_MAX, OPT_RHO, OPT_MAX_ITER, OPT_EPS_ABS, OPT_EPS_REL
};

static const struct option options[] = {
	{ "assets", required_argument, NULL, OPT_ASSETS },
	{ "tariff", required_argument, NULL, OPT_TARIFF },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "keystore", required_argument, NULL, OPT_KEYSTORE },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "queen", required_argument, NULL, OPT_QUEEN },
	{ "hive", required_argument, NULL, OPT_HIVE },
	{ "worker", required_argument, NULL, OPT_WORKER },
	{ "import-max-w", required_argument, NULL, OPT_IMPORT_MAX },
	{ "export-max-w", required_argument, NULL, OPT_EXPORT_MAX },
	{ "rho", required_argument, NULL, OPT_RHO },
	{ "max-iter", required_argument, NULL, OPT_MAX_ITER },
	{ "eps-abs", required_argument, NULL, OPT_EPS_ABS },
	{ "eps-rel", required_argument, NULL, OPT_EPS_REL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct run {
	struct bidder b;
	bool sign;
	uint8_t seckey[ETH_SECKEY_SIZE];
	struct recsig rs;
	struct buf out;
};

static int write_bid(struct rec_loop *loop, struct run *run, jv bid)
{
	const char *why;
	buf_reset(&run->out);
	int rc = run->sign ? recsig_sign(&run->rs, &run->out, bid, run->seckey, &why)
	                   : jcs_append(&run->out, bid, NULL, &why);
	jv_free(bid);
	if (rc != 0) {
		diag_warn("cannot write the bid: %s", why);
		loop->fatal = HIVE_EINTERNAL;
		loop->stop = true;
		return 0;
	}
	return rec_write(loop, run->out.data, run->out.len);
}

/* Forecasts and signals are taken; every other record passes through. */
static int handle(struct rec_loop *loop, const struct rec *r, void *arg)
{
	struct run *run = arg;
	const char *type = rec_type(r), *why = NULL;
	bool signal = type && strcmp(type, "signal") == 0;
	if (!type || (!signal && strcmp(type, "forecast") != 0))
		return rec_pass(loop, r);
	char buf[160];
	jv bid;
	switch (bidder_take(&run->b, r->value, signal, now_ms(), &bid, buf, sizeof buf, &why)) {
	case BIDDER_BID: return write_bid(loop, run, bid);
	case BIDDER_NOT_MINE: return rec_pass(loop, r);
	case BIDDER_IGNORED:
		if (why)
			diag_warn("line %lu: %s ignored: %s", r->lineno, type, why);
		return 0;
	case BIDDER_BAD: rec_reject(loop, r, "%s refused: %s", type, why); return -1;
	case BIDDER_FAILED:
	default: rec_reject(loop, r, "no plan: %s", why); return -1;
	}
}

/* The key's address, into text (ETH_ADDR_STRLEN + 1 bytes). */
static int key_address(const uint8_t *seckey, char *text)
{
	uint8_t addr[ETH_ADDR_SIZE];
	if (eth_seckey_address(addr, seckey) != 0)
		return HIVE_EAUTH;
	eth_address_format(text, addr);
	return HIVE_OK;
}

/* A child hive's members: each file names its worker, and no worker is named twice. */
static int load_members(struct assets *as, char **files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (assets_load(&as[i], files[i]) != HIVE_OK)
			return HIVE_EINPUT;
		if (!as[i].worker[0]) {
			diag_warn("assets file '%s': a child hive's member must name its \"worker\"", files[i]);
			return HIVE_EINPUT;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(as[k].worker, as[i].worker) == 0) {
				diag_warn("assets file '%s': worker %s has another assets file", files[i], as[i].worker);
				return HIVE_EINPUT;
			}
	}
	return HIVE_OK;
}

int main(int argc, char **argv)
{
	const char *tariff_file = NULL, *worker_opt = NULL, *queen_opt = NULL;
	char **assets_files = xcalloc((size_t)argc, sizeof *assets_files);
	size_t nassets = 0;
	struct key_source keys = { 0 };
	struct bidder_hive hive = { .coord = { .eps_abs = COORD_EPS_ABS, .max_iter = COORD_MAX_ITER },
		                    .coupling = COUPLING_OPEN };
	bool strict = false, hive_opts = false;
	long hive_id = -1;
	int c;
	diag_init(argv[0]);
	while ((c = cli_getopt(argc, argv, options, OPT_VERSION, "hive-bid", usage)) != -1) {
		hive_opts |= c >= OPT_WORKER;
		switch (c) {
		case OPT_ASSETS: assets_files[nassets++] = optarg; break;
		case OPT_TARIFF: tariff_file = optarg; break;
		case OPT_KEY: keys.key_file = optarg; break;
		case OPT_KEYSTORE: keys.keystore_file = optarg; break;
		case OPT_PASSWORD_FILE: keys.password_file = optarg; break;
		case OPT_STRICT: strict = true; break;
		case OPT_WORKER: worker_opt = optarg; break;
		case OPT_QUEEN: queen_opt = optarg; break;
		case OPT_HIVE: hive_id = (long)cli_uint("--hive", optarg, 0, INT32_MAX, usage); break;
		case OPT_IMPORT_MAX:
			hive.coupling.import_max_w = cli_number("--import-max-w", optarg, 0, 1e12, usage);
			hive.coupling.limited = true;
			break;
		case OPT_EXPORT_MAX:
			hive.coupling.export_max_w = cli_number("--export-max-w", optarg, 0, 1e12, usage);
			hive.coupling.limited = true;
			break;
		case OPT_RHO: hive.coord.rho = cli_number("--rho", optarg, 1e-12, 1e12, usage); break;
		case OPT_EPS_ABS: hive.coord.eps_abs = cli_number("--eps-abs", optarg, 1e-9, 1e6, usage); break;
		case OPT_EPS_REL: hive.coord.eps_rel = cli_number("--eps-rel", optarg, 0, 1, usage); break;
		case OPT_MAX_ITER: hive.coord.max_iter = (size_t)cli_uint("--max-iter", optarg, 1, 100000, usage); break;
		default: cli_usage_error(usage, "unexpected option");
		}
	}
	if (!nassets || !tariff_file)
		cli_usage_error(usage, "--assets FILE and --tariff FILE are required");
	if (keys.key_file && keys.keystore_file)
		cli_usage_error(usage, "give --key or --keystore, not both");
	if (keys.password_file && !keys.keystore_file)
		cli_usage_error(usage, "--password-file goes with --keystore");
	if (nassets == 1 && hive_opts)
		cli_usage_error(usage, "--worker, the limits and the coordination's options are a child hive's: give "
		                       "its members' assets files");
	uint8_t parsed[ETH_ADDR_SIZE], queen[ETH_ADDR_SIZE];
	if (queen_opt)
		cli_address(queen, "--queen", queen_opt, usage);
	if (worker_opt)
		cli_address(parsed, "--worker", worker_opt, usage);
	if (nassets > 1 && !worker_opt && !keys.key_file && !keys.keystore_file)
		cli_usage_error(usage, "a child hive bids as one Worker: give its --worker or its --key");

	struct run run = { 0 };
	struct assets *as = xcalloc(nassets, sizeof *as);
	struct tariff *t = NULL;
	char worker[ETH_ADDR_STRLEN + 1] = "";
	if (worker_opt)
		eth_address_format(worker, parsed);
	int rc = nassets == 1 ? assets_load(&as[0], assets_files[0]) : load_members(as, assets_files, nassets);
	if (rc == HIVE_OK)
		rc = tariff_load(&t, tariff_file, NULL);
	run.sign = keys.key_file || keys.keystore_file;
	if (rc == HIVE_OK && run.sign) {
		char text[ETH_ADDR_STRLEN + 1];
		rc = keys_load(run.seckey, &keys);
		if (rc == HIVE_OK)
			rc = key_address(run.seckey, text);
		/* whose bids these are: the one Worker's assets, or the child hive's --worker, must be the key's */
		const char *named = nassets == 1 ? as[0].worker : worker;
		if (rc == HIVE_OK && named[0] && strcmp(text, named) != 0) {
			diag_warn("the key is %s's, not the %s %s", text, nassets == 1 ? "assets' worker" : "--worker",
			          named);
			rc = HIVE_EAUTH;
		} else if (rc == HIVE_OK) {
			/* the one Worker's assets without a worker: only the key's meter's forecasts are taken */
			memcpy(nassets == 1 ? as[0].worker : worker, text, sizeof text);
		}
	}
	if (rc == HIVE_OK) {
		recsig_init(&run.rs);
		hive.members = as;
		hive.n = nassets;
		if (nassets == 1)
			bidder_init(&run.b, &as[0], t);
		else
			bidder_init_hive(&run.b, &hive, t, worker);
		if (queen_opt)
			bidder_require_queen(&run.b, queen);
		if (hive_id >= 0)
			bidder_require_hive(&run.b, hive_id);
		struct rec_loop loop;
		rec_loop_init(&loop, STDOUT_FILENO, strict);
		rc = rec_loop_run(&loop, argv + optind, argc - optind, handle, &run);
		size_t waiting = bidder_waiting(&run.b);
		if (waiting)
			diag_warn("the input ended with %zu of the child hive's %zu members' forecasts waiting for the others': "
			          "nothing was bid for them",
			          waiting, nassets);
		bidder_free(&run.b);
		recsig_free(&run.rs);
		rec_loop_free(&loop);
	}
	secret_wipe(run.seckey, sizeof run.seckey);
	buf_free(&run.out);
	for (size_t i = 0; i < nassets; i++)
		assets_free(&as[i]);
	free(as);
	free(assets_files);
	tariff_free(t);
	return cli_finish(rc);
}
