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

static const char usage[] =
	"usage: hive-bid --assets FILE --tariff FILE [--key FILE | --keystore FILE [--password-file FILE]]\n"
	"                [--strict] [FILE...]\n"
	"       hive-bid -h | --help | --version\n";

enum opt { OPT_ASSETS = 256, OPT_TARIFF, OPT_KEY, OPT_KEYSTORE, OPT_PASSWORD_FILE, OPT_STRICT, OPT_VERSION };

static const struct option options[] = {
	{ "assets", required_argument, NULL, OPT_ASSETS },
	{ "tariff", required_argument, NULL, OPT_TARIFF },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "keystore", required_argument, NULL, OPT_KEYSTORE },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "strict", no_argument, NULL, OPT_STRICT },
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
	switch (bidder_take(&run->b, r->value, signal, &bid, buf, sizeof buf, &why)) {
	case BIDDER_BID: return write_bid(loop, run, bid);
	case BIDDER_NOT_MINE: return rec_pass(loop, r);
	case BIDDER_IGNORED:
		if (why)
			diag_warn("line %lu: signal ignored: %s", r->lineno, why);
		return 0;
	case BIDDER_BAD: rec_reject(loop, r, "%s refused: %s", type, why); return -1;
	case BIDDER_FAILED:
	default: rec_reject(loop, r, "no plan: %s", why); return -1;
	}
}

int main(int argc, char **argv)
{
	const char *assets_file = NULL, *tariff_file = NULL;
	struct key_source keys = { 0 };
	bool strict = false;
	int c;
	diag_init(argv[0]);
	while ((c = cli_getopt(argc, argv, options, OPT_VERSION, "hive-bid", usage)) != -1) {
		switch (c) {
		case OPT_ASSETS: assets_file = optarg; break;
		case OPT_TARIFF: tariff_file = optarg; break;
		case OPT_KEY: keys.key_file = optarg; break;
		case OPT_KEYSTORE: keys.keystore_file = optarg; break;
		case OPT_PASSWORD_FILE: keys.password_file = optarg; break;
		case OPT_STRICT: strict = true; break;
		default: cli_usage_error(usage, "unexpected option");
		}
	}
	if (!assets_file || !tariff_file)
		cli_usage_error(usage, "--assets FILE and --tariff FILE are required");
	if (keys.key_file && keys.keystore_file)
		cli_usage_error(usage, "give --key or --keystore, not both");
	if (keys.password_file && !keys.keystore_file)
		cli_usage_error(usage, "--password-file goes with --keystore");

	struct run run = { 0 };
	struct assets as = { 0 };
	struct tariff *t = NULL;
	int rc = assets_load(&as, assets_file);
	if (rc == HIVE_OK)
		rc = tariff_load(&t, tariff_file, NULL);
	run.sign = keys.key_file || keys.keystore_file;
	if (rc == HIVE_OK && run.sign) {
		rc = keys_load(run.seckey, &keys);
		uint8_t addr[ETH_ADDR_SIZE];
		char text[ETH_ADDR_STRLEN + 1];
		if (rc == HIVE_OK && eth_seckey_address(addr, run.seckey) == 0) {
			eth_address_format(text, addr);
			if (!as.worker[0]) {
				/* the key says whose bids these are: only that meter's forecasts are taken */
				memcpy(as.worker, text, sizeof as.worker);
			} else if (strcmp(text, as.worker) != 0) {
				diag_warn("the key is %s's, not the assets' worker %s", text, as.worker);
				rc = HIVE_EAUTH;
			}
		}
	}
	if (rc != HIVE_OK) {
		secret_wipe(run.seckey, sizeof run.seckey);
		assets_free(&as);
		tariff_free(t);
		return rc;
	}
	recsig_init(&run.rs);
	bidder_init(&run.b, &as, t);
	struct rec_loop loop;
	rec_loop_init(&loop, STDOUT_FILENO, strict);
	rc = rec_loop_run(&loop, argv + optind, argc - optind, handle, &run);
	secret_wipe(run.seckey, sizeof run.seckey);
	bidder_free(&run.b);
	recsig_free(&run.rs);
	rec_loop_free(&loop);
	buf_free(&run.out);
	assets_free(&as);
	tariff_free(t);
	return cli_finish(rc);
}
