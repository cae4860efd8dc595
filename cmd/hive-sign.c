/* hive-sign — Ethereum-compatible keys and signatures over hive records. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "eip712.h"
#include "eth.h"
#include "hex.h"
#include "jsonscan.h"
#include "keys.h"
#include "keystore.h"
#include "record.h"
#include "secret.h"
#include "sigfilter.h"
#include "xio.h"

static const char usage[] =
	"usage: hive-sign keygen (--keystore FILE [--scrypt-n N] [--password-file FILE] | --key FILE)\n"
	"       hive-sign address (--key FILE | --keystore FILE [--password-file FILE])\n"
	"       hive-sign sign (--key FILE | --keystore FILE) [--password-file FILE] [--type T]...\n"
	"                 [--resign] [--strict] [FILE...]\n"
	"       hive-sign verify [--signer ADDRESS]... [--signer-field NAME] [--require-sig] [--type T]...\n"
	"                 [--strict] [FILE...]\n"
	"       hive-sign recover [--field NAME] [--type T]... [--strict] [FILE...]\n"
	"       hive-sign hash [--field NAME] [--type T]... [--strict] [FILE...]\n"
	"       hive-sign message (--key FILE | --keystore FILE) [--password-file FILE] [--hex] TEXT\n"
	"       hive-sign message --verify SIG [--signer ADDRESS] [--hex] TEXT\n"
	"       hive-sign typed (--key FILE | --keystore FILE) [--password-file FILE] [FILE]\n"
	"       hive-sign typed --verify SIG [--signer ADDRESS] [FILE]\n"
	"       hive-sign -h | --help | --version\n";

enum opt {
	OPT_KEY = 256, OPT_KEYSTORE, OPT_PASSWORD_FILE, OPT_SCRYPT_N, OPT_TYPE, OPT_RESIGN, OPT_STRICT,
	OPT_SIGNER, OPT_SIGNER_FIELD, OPT_REQUIRE_SIG, OPT_FIELD, OPT_VERIFY, OPT_HEX, OPT_VERSION
};

/* The one option table; each subcommand names the subset it accepts. */
static const struct option options[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ "keystore", required_argument, NULL, OPT_KEYSTORE },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "scrypt-n", required_argument, NULL, OPT_SCRYPT_N },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "resign", no_argument, NULL, OPT_RESIGN },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "signer", required_argument, NULL, OPT_SIGNER },
	{ "signer-field", required_argument, NULL, OPT_SIGNER_FIELD },
	{ "require-sig", no_argument, NULL, OPT_REQUIRE_SIG },
	{ "field", required_argument, NULL, OPT_FIELD },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	{ "hex", no_argument, NULL, OPT_HEX },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct args {
	const char *cmd;
	struct key_source keys;
	uint64_t scrypt_n;
	bool scrypt_n_set;
	char **types;
	size_t ntypes;
	bool resign, strict, require_sig, hex;
	uint8_t (*signers)[ETH_ADDR_SIZE];
	size_t nsigners;
	const char *signer_field;
	const char *field;
	const char *verify_sig;
	char **rest;
	int nrest;
};

struct command {
	const char *name;
	const int *accepted;   /* options allowed, 0-terminated */
	int (*run)(struct args *a);
};

static void parse_options(struct args *a, const struct command *c, int argc, char **argv)
{
	int opt;

	optind = 1;
	while ((opt = cli_getopt(argc, argv, options, OPT_VERSION, c->name, usage)) != -1) {
		if (!cli_accepts(c->accepted, opt))
			cli_usage_error(usage, "'%s' does not take --%s", c->name, cli_option_name(options, opt));
		switch (opt) {
		case OPT_KEY: a->keys.key_file = optarg; break;
		case OPT_KEYSTORE: a->keys.keystore_file = optarg; break;
		case OPT_PASSWORD_FILE: a->keys.password_file = optarg; break;
		case OPT_SCRYPT_N:
			a->scrypt_n = cli_uint("--scrypt-n", optarg, 1024, 1u << 20, usage);
			if (a->scrypt_n & (a->scrypt_n - 1))
				cli_usage_error(usage, "--scrypt-n '%s': want a power of two", optarg);
			a->scrypt_n_set = true;
			break;
		case OPT_TYPE:
			a->types = xrealloc(a->types, (a->ntypes + 1) * sizeof *a->types);
			a->types[a->ntypes++] = optarg;
			break;
		case OPT_RESIGN: a->resign = true; break;
		case OPT_STRICT: a->strict = true; break;
		case OPT_SIGNER:
			a->signers = xrealloc(a->signers, (a->nsigners + 1) * sizeof *a->signers);
			cli_address(a->signers[a->nsigners++], "--signer", optarg, usage);
			break;
		case OPT_SIGNER_FIELD: a->signer_field = optarg; break;
		case OPT_REQUIRE_SIG: a->require_sig = true; break;
		case OPT_FIELD: a->field = optarg; break;
		case OPT_VERIFY: a->verify_sig = optarg; break;
		case OPT_HEX: a->hex = true; break;
		}
	}
	a->rest = argv + optind;
	a->nrest = argc - optind;
}

static void need_one_key(const struct args *a)
{
	if ((a->keys.key_file == NULL) == (a->keys.keystore_file == NULL))
		cli_usage_error(usage, "'%s' needs one of --key FILE or --keystore FILE", a->cmd);
	if (a->keys.password_file != NULL && a->keys.keystore_file == NULL)
		cli_usage_error(usage, "--password-file goes with --keystore; a raw --key file has no password");
}

static int cmd_keygen(struct args *a)
{
	uint8_t addr[ETH_ADDR_SIZE];
	char text[ETH_ADDR_STRLEN + 1];
	int rc;

	need_one_key(a);
	if (a->nrest > 0)
		cli_usage_error(usage, "keygen takes no operands");
	if (a->scrypt_n_set && a->keys.keystore_file == NULL)
		cli_usage_error(usage, "--scrypt-n applies to --keystore only");
	rc = keys_create(addr, &a->keys, a->scrypt_n_set ? a->scrypt_n : KEYSTORE_SCRYPT_N_DEFAULT);
	if (rc != HIVE_OK)
		return rc;
	eth_address_format(text, addr);
	puts(text);
	return HIVE_OK;
}

static int load_key(struct args *a, uint8_t seckey[ETH_SECKEY_SIZE])
{
	need_one_key(a);
	return keys_load(seckey, &a->keys);
}

static int cmd_address(struct args *a)
{
	uint8_t seckey[ETH_SECKEY_SIZE], addr[ETH_ADDR_SIZE];
	char text[ETH_ADDR_STRLEN + 1];
	int rc;

	if (a->nrest > 0)
		cli_usage_error(usage, "address takes no operands");
	rc = load_key(a, seckey);
	if (rc != HIVE_OK)
		return rc;
	rc = eth_seckey_address(addr, seckey);
	secret_wipe(seckey, sizeof seckey);
	HIVE_ASSERT(rc == 0);
	eth_address_format(text, addr);
	puts(text);
	return HIVE_OK;
}

static int run_filter(struct args *a, struct sigfilter *f)
{
	struct rec_loop loop;
	int rc;

	f->types = a->types;
	f->ntypes = a->ntypes;
	rec_loop_init(&loop, STDOUT_FILENO, a->strict);
	rc = rec_loop_run(&loop, a->rest, a->nrest, sigfilter_handle, f);
	rec_loop_free(&loop);
	sigfilter_free(f);
	return rc;
}

static int cmd_sign(struct args *a)
{
	struct sigfilter f;
	int rc;

	sigfilter_init(&f, SIGFILTER_SIGN);
	rc = load_key(a, f.seckey);
	if (rc != HIVE_OK) {
		sigfilter_free(&f);
		return rc;
	}
	f.resign = a->resign;
	return run_filter(a, &f);
}

static int cmd_verify(struct args *a)
{
	struct sigfilter f;

	if (a->nsigners == 0 && a->signer_field == NULL)
		cli_usage_error(usage, "verify needs --signer ADDRESS or --signer-field NAME: "
		                       "any well-formed signature recovers some key, so a check without a signer proves nothing");
	sigfilter_init(&f, SIGFILTER_VERIFY);
	f.signers = a->signers;
	f.nsigners = a->nsigners;
	f.signer_field = a->signer_field;
	f.require_sig = a->require_sig;
	return run_filter(a, &f);
}

static int cmd_recover_or_hash(struct args *a, enum sigfilter_mode mode, const char *default_field)
{
	struct sigfilter f;

	sigfilter_init(&f, mode);
	f.field = a->field ? a->field : default_field;
	if (strcmp(f.field, "sig") == 0)
		cli_usage_error(usage, "--field cannot be 'sig'");
	return run_filter(a, &f);
}

static int cmd_recover(struct args *a) { return cmd_recover_or_hash(a, SIGFILTER_RECOVER, "signer"); }
static int cmd_hash(struct args *a) { return cmd_recover_or_hash(a, SIGFILTER_HASH, "hash"); }

/* Signs digest with the loaded key, or checks --verify SIG against it; prints the result. */
static int sign_or_verify_digest(struct args *a, const uint8_t digest[32])
{
	uint8_t sig[ETH_SIG_SIZE], addr[ETH_ADDR_SIZE];
	char text[2 + 2 * ETH_SIG_SIZE + 1] = "0x";
	int rc;

	if (a->verify_sig == NULL) {
		uint8_t seckey[ETH_SECKEY_SIZE];
		if (a->signers != NULL)
			cli_usage_error(usage, "--signer goes with --verify");
		rc = load_key(a, seckey);
		if (rc != HIVE_OK)
			return rc;
		rc = eth_sign_hash(sig, digest, seckey);
		secret_wipe(seckey, sizeof seckey);
		HIVE_ASSERT(rc == 0);
		hex_encode(sig, sizeof sig, text + 2);
		puts(text);
		return HIVE_OK;
	}
	if (a->keys.key_file || a->keys.keystore_file || a->keys.password_file)
		cli_usage_error(usage, "--verify takes --signer, not a key or a password");
	if (hex_decode(a->verify_sig, strlen(a->verify_sig), sig, sizeof sig) < 0)
		cli_usage_error(usage, "--verify '%s': want 0x and 130 hex digits", a->verify_sig);
	enum eth_sig_status st = eth_recover(addr, digest, sig);
	if (st != ETH_SIG_OK) {
		diag_warn("%s", eth_sig_status_str(st));
		return HIVE_EBAD;
	}
	eth_address_format(text, addr);
	if (a->nsigners == 0) {
		puts(text);
		return HIVE_OK;
	}
	if (memcmp(addr, a->signers[0], ETH_ADDR_SIZE) != 0) {
		diag_warn("signature is by %s, not by the --signer given", text);
		return HIVE_EBAD;
	}
	return HIVE_OK;
}

static int cmd_message(struct args *a)
{
	uint8_t digest[32];
	const char *text;

	if (a->nrest != 1)
		cli_usage_error(usage, "message takes exactly one TEXT operand");
	text = a->rest[0];
	if (a->hex) {
		size_t len = strlen(text), skip = (len >= 2 && text[0] == '0' && text[1] == 'x') ? 2 : 0;
		size_t n = (len - skip) / 2;
		uint8_t *bytes = xmalloc(n + 1);
		if ((len - skip) % 2 != 0 || hex_decode(text + skip, len - skip, bytes, n) < 0) {
			free(bytes);
			cli_usage_error(usage, "--hex: '%s' is not an even number of hex digits", text);
		}
		eth_personal_hash(digest, bytes, n);
		free(bytes);
	} else {
		eth_personal_hash(digest, text, strlen(text));
	}
	return sign_or_verify_digest(a, digest);
}

static int cmd_typed(struct args *a)
{
	struct buf in = BUF_INIT, err = BUF_INIT;
	struct eip712_digest d;
	const char *name = a->nrest == 1 ? a->rest[0] : "standard input";
	int rc;

	if (a->nrest > 1)
		cli_usage_error(usage, "typed takes at most one FILE operand");
	rc = a->nrest == 1 && strcmp(a->rest[0], "-") != 0 ? read_file(a->rest[0], &in, 16u << 20)
	                                                  : read_fd(STDIN_FILENO, &in, 16u << 20);
	if (rc < 0) {
		diag_warn_errno("cannot read '%s'", name);
		buf_free(&in);
		return HIVE_EINPUT;
	}
	size_t offset;
	const char *why;
	if (jsonscan_check(buf_str(&in), in.len, &offset, &why) < 0) {
		diag_warn("'%s': byte offset %zu: %s", name, offset, why);
		buf_free(&in);
		return HIVE_EINPUT;
	}
	jv typed = jv_parse_sized(buf_str(&in), (int)in.len);
	buf_free(&in);
	rc = eip712_hash(&d, typed, &err);
	jv_free(typed);
	if (rc < 0) {
		diag_warn("'%s': %s", name, buf_str(&err));
		buf_free(&err);
		return HIVE_EINPUT;
	}
	buf_free(&err);
	return sign_or_verify_digest(a, d.digest);
}

static const int keygen_opts[] = { OPT_KEY, OPT_KEYSTORE, OPT_PASSWORD_FILE, OPT_SCRYPT_N, 0 };
static const int address_opts[] = { OPT_KEY, OPT_KEYSTORE, OPT_PASSWORD_FILE, 0 };
static const int sign_opts[] = { OPT_KEY, OPT_KEYSTORE, OPT_PASSWORD_FILE, OPT_TYPE, OPT_RESIGN, OPT_STRICT, 0 };
static const int verify_opts[] = { OPT_SIGNER, OPT_SIGNER_FIELD, OPT_REQUIRE_SIG, OPT_TYPE, OPT_STRICT, 0 };
static const int inspect_opts[] = { OPT_FIELD, OPT_TYPE, OPT_STRICT, 0 };
static const int message_opts[] = { OPT_KEY, OPT_KEYSTORE, OPT_PASSWORD_FILE, OPT_VERIFY, OPT_SIGNER, OPT_HEX, 0 };
static const int typed_opts[] = { OPT_KEY, OPT_KEYSTORE, OPT_PASSWORD_FILE, OPT_VERIFY, OPT_SIGNER, 0 };

static const struct command commands[] = {
	{ "keygen", keygen_opts, cmd_keygen },
	{ "address", address_opts, cmd_address },
	{ "sign", sign_opts, cmd_sign },
	{ "verify", verify_opts, cmd_verify },
	{ "recover", inspect_opts, cmd_recover },
	{ "hash", inspect_opts, cmd_hash },
	{ "message", message_opts, cmd_message },
	{ "typed", typed_opts, cmd_typed },
};

int main(int argc, char **argv)
{
	struct args a = { 0 };
	int rc;

	diag_init(argv[0]);
	if (argc < 2)
		cli_usage_error(usage, "missing command");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		cli_help(usage);
	if (strcmp(argv[1], "--version") == 0)
		cli_version();
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		a.cmd = commands[i].name;
		parse_options(&a, &commands[i], argc - 1, argv + 1);
		if (a.signers != NULL && a.nsigners > 1 && commands[i].run != cmd_verify)
			cli_usage_error(usage, "'%s' takes one --signer", a.cmd);
		rc = commands[i].run(&a);
		free(a.types);
		free(a.signers);
		return cli_finish(rc);
	}
	cli_usage_error(usage, "unknown command '%s'", argv[1]);
}
