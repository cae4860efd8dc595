/* hive-beekeeper — the registry of meters, stablecoins and hives, on a signed, hash-chained ledger. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "amount.h"
#include "beekeeper.h"
#include "cli.h"
#include "diag.h"
#include "eth.h"
#include "jcs.h"
#include "keys.h"
#include "record.h"
#include "secret.h"
#include "timeutil.h"
#include "xio.h"

static const char usage[] =
	"usage: hive-beekeeper [--ledger FILE] COMMAND [OPTIONS] [OPERANDS]\n"
	"commands that append a signed event (KEY is --key FILE | --keystore FILE [--password-file FILE]):\n"
	"       init KEY [--hive-cost AMOUNT] [--meter-cost AMOUNT] [--time TIME]\n"
	"       params KEY [--hive-cost AMOUNT] [--meter-cost AMOUNT] [--time TIME]\n"
	"       hvt transfer KEY --to ADDRESS --amount AMOUNT [--time TIME]\n"
	"       meter add KEY --meter ADDRESS --owner ADDRESS --serial TEXT --manufacturer TEXT [--time TIME]\n"
	"       meter status KEY --meter ADDRESS --status STATUS [--time TIME]\n"
	"       coin add KEY --coin ADDRESS --code CODE --decimals N [--time TIME]\n"
	"       coin freeze KEY --coin ADDRESS [--time TIME]\n"
	"       hive create KEY --coin ADDRESS --meter ADDRESS... [--hvt AMOUNT] [--start TIME] [--end TIME]\n"
	"                   [--time TIME]\n"
	"       hive freeze KEY [--time TIME] HIVE\n"
	"       hive add-meter KEY --meter ADDRESS [--hvt AMOUNT] [--time TIME] HIVE\n"
	"       hive drop-meter KEY --meter ADDRESS [--time TIME] HIVE\n"
	"       hive split KEY --part ADDRESS[,ADDRESS...]... [--time TIME] HIVE\n"
	"       hive merge KEY [--time TIME] HIVE HIVE...\n"
	"       apply KEY [--batch N] [--strict] [--time TIME] [FILE...]\n"
	"queries (records on standard output; --at TIME: the state as of that time):\n"
	"       params [--at TIME]\n"
	"       hvt balance [--at TIME] [ADDRESS...]\n"
	"       hvt supply [--at TIME]\n"
	"       meter info [--at TIME] ADDRESS...\n"
	"       meter list [--at TIME] [--owner ADDRESS] [--status STATUS] [--hive HIVE]\n"
	"       coin info [--at TIME] ADDRESS...\n"
	"       coin list [--at TIME]\n"
	"       hive info [--at TIME] HIVE...\n"
	"       hive list [--at TIME] [--owner ADDRESS] [--status STATUS]\n"
	"       export [--at TIME] HIVE\n"
	"the ledger itself:\n"
	"       verify\n"
	"       repair\n"
	"       hive-beekeeper -h | --help | --version\n";

enum opt {
	OPT_LEDGER = 256, OPT_KEY, OPT_KEYSTORE, OPT_PASSWORD_FILE, OPT_TIME, OPT_AT, OPT_HIVE_COST, OPT_METER_COST,
	OPT_TO, OPT_AMOUNT, OPT_METER, OPT_OWNER, OPT_SERIAL, OPT_MANUFACTURER, OPT_STATUS, OPT_COIN, OPT_CODE,
	OPT_DECIMALS, OPT_HVT, OPT_START, OPT_END, OPT_PART, OPT_HIVE, OPT_BATCH, OPT_STRICT, OPT_VERSION
};

static const struct option options[] = {
	{ "ledger", required_argument, NULL, OPT_LEDGER },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "keystore", required_argument, NULL, OPT_KEYSTORE },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "at", required_argument, NULL, OPT_AT },
	{ "hive-cost", required_argument, NULL, OPT_HIVE_COST },
	{ "meter-cost", required_argument, NULL, OPT_METER_COST },
	{ "to", required_argument, NULL, OPT_TO },
	{ "amount", required_argument, NULL, OPT_AMOUNT },
	{ "meter", required_argument, NULL, OPT_METER },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "manufacturer", required_argument, NULL, OPT_MANUFACTURER },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "coin", required_argument, NULL, OPT_COIN },
	{ "code", required_argument, NULL, OPT_CODE },
	{ "decimals", required_argument, NULL, OPT_DECIMALS },
	{ "hvt", required_argument, NULL, OPT_HVT },
	{ "start", required_argument, NULL, OPT_START },
	{ "end", required_argument, NULL, OPT_END },
	{ "part", required_argument, NULL, OPT_PART },
	{ "hive", required_argument, NULL, OPT_HIVE },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct args {
	const char *cmd;
	const char *event;      /* the operation of a command that appends */
	const char *ledger;
	struct key_source keys;
	int64_t time_ms, at_ms;
	bool time_set;
	jv op;                  /* the operation's fields from the options */
	const char *status;
	uint8_t owner[20];
	bool owner_set;
	uint64_t hive;          /* --hive filter, 0 for none */
	uint64_t batch;
	bool strict;
	bool seen[OPT_VERSION + 1];   /* options given */
	char **rest;
	int nrest;
};

struct command {
	const char *name;       /* "meter add" */
	const int *accepted;    /* options allowed, 0-terminated */
	int (*run)(struct args *a);
	const int *required;    /* options it cannot do without, 0-terminated (NULL for none) */
	const char *event;      /* the operation its event carries, for commands that append */
};

/* A time as events write it: UTC, RFC 3339. */
static jv utc_jv(const char *opt, const char *value)
{
	char text[RFC3339_SIZE];
	rfc3339_format(text, cli_time(opt, value, usage));
	return jv_string(text);
}

static jv address_jv(const char *opt, const char *value)
{
	uint8_t addr[20];
	char text[ETH_ADDR_STRLEN + 1];
	cli_address(addr, opt, value, usage);
	eth_address_format(text, addr);
	return jv_string(text);
}

static jv hvt_amount_jv(const char *opt, const char *value)
{
	mpz_t v;
	const char *why;
	mpz_init(v);
	if (amount_parse_units(v, value, "HVT", REGISTRY_HVT_DECIMALS, &why) != 0)
		cli_usage_error(usage, "%s '%s': %s (base units, or whole tokens as in 1000HVT)", opt, value, why);
	jv s = amount_jv(v);
	mpz_clear(v);
	return s;
}

/* Sets an operation field, refusing an option given twice. */
static void set_field(struct args *a, int opt, const char *key, jv value)
{
	jv old = jv_object_get(jv_copy(a->op), jv_string(key));
	bool twice = jv_is_valid(old);
	jv_free(old);
	if (twice) {
		jv_free(value);
		cli_usage_error(usage, "--%s is given twice", cli_option_name(options, opt));
	}
	a->op = jv_object_set(a->op, jv_string(key), value);
}

/* "A,B,C" as a list of addresses, appended to list. */
static jv address_list(jv list, const char *opt, const char *value)
{
	char *copy = xstrdup(value), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		list = jv_array_append(list, address_jv(opt, tok));
	free(copy);
	return list;
}

static const char *const meter_statuses[] = { "registered", "certified", "online", "offline", "revoked", NULL };
static const char *const hive_statuses[] = { "active", "frozen", "split", "merged", NULL };

static void check_status(const char *status, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (strcmp(status, names[i]) == 0)
			return;
	cli_usage_error(usage, "--status '%s' is not one of %s", status,
	                names == meter_statuses ? "registered, certified, online, offline, revoked"
	                                        : "active, frozen, split, merged");
}

static void parse_options(struct args *a, const struct command *c, int argc, char **argv)
{
	int opt;
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options, OPT_VERSION, c->name, usage)) != -1) {
		if (opt != OPT_LEDGER && !cli_accepts(c->accepted, opt))
			cli_usage_error(usage, "'%s' does not take --%s", c->name, cli_option_name(options, opt));
		a->seen[opt] = true;
		switch (opt) {
		case OPT_LEDGER: a->ledger = optarg; break;
		case OPT_KEY: a->keys.key_file = optarg; break;
		case OPT_KEYSTORE: a->keys.keystore_file = optarg; break;
		case OPT_PASSWORD_FILE: a->keys.password_file = optarg; break;
		case OPT_TIME: a->time_ms = cli_time("--time", optarg, usage); a->time_set = true; break;
		case OPT_AT: a->at_ms = cli_time("--at", optarg, usage); break;
		case OPT_HIVE_COST: set_field(a, opt, "hive_cost", hvt_amount_jv("--hive-cost", optarg)); break;
		case OPT_METER_COST: set_field(a, opt, "meter_cost", hvt_amount_jv("--meter-cost", optarg)); break;
		case OPT_TO: set_field(a, opt, "to", address_jv("--to", optarg)); break;
		case OPT_AMOUNT: set_field(a, opt, "amount", hvt_amount_jv("--amount", optarg)); break;
		case OPT_METER:
			if (strcmp(c->name, "hive create") == 0) {
				jv list = jv_object_get(jv_copy(a->op), jv_string("meters"));
				list = address_list(jv_is_valid(list) ? list : jv_array(), "--meter", optarg);
				a->op = jv_object_set(a->op, jv_string("meters"), list);
			} else
				set_field(a, opt, "meter", address_jv("--meter", optarg));
			break;
		case OPT_OWNER:
			if (strcmp(c->name, "meter add") == 0)
				set_field(a, opt, "owner", address_jv("--owner", optarg));
			else {
				cli_address(a->owner, "--owner", optarg, usage);
				a->owner_set = true;
			}
			break;
		case OPT_SERIAL: set_field(a, opt, "serial", jv_string(optarg)); break;
		case OPT_MANUFACTURER: set_field(a, opt, "manufacturer", jv_string(optarg)); break;
		case OPT_STATUS:
			if (strcmp(c->name, "meter status") == 0) {
				check_status(optarg, meter_statuses);
				set_field(a, opt, "status", jv_string(optarg));
			} else
				a->status = optarg;
			break;
		case OPT_COIN: set_field(a, opt, "coin", address_jv("--coin", optarg)); break;
		case OPT_CODE: set_field(a, opt, "code", jv_string(optarg)); break;
		case OPT_DECIMALS:
			set_field(a, opt, "decimals", jv_number((double)cli_uint("--decimals", optarg, 0, AMOUNT_MAX_DECIMALS, usage)));
			break;
		case OPT_HVT: set_field(a, opt, "hvt", hvt_amount_jv("--hvt", optarg)); break;
		case OPT_START: set_field(a, opt, "start", utc_jv("--start", optarg)); break;
		case OPT_END: set_field(a, opt, "end", utc_jv("--end", optarg)); break;
		case OPT_PART: {
			jv parts = jv_object_get(jv_copy(a->op), jv_string("parts"));
			parts = jv_is_valid(parts) ? parts : jv_array();
			parts = jv_array_append(parts, address_list(jv_array(), "--part", optarg));
			a->op = jv_object_set(a->op, jv_string("parts"), parts);
			break;
		}
		case OPT_HIVE: a->hive = cli_uint("--hive", optarg, 1, UINT32_MAX, usage); break;
		case OPT_BATCH: a->batch = cli_uint("--batch", optarg, 1, 1000000, usage); break;
		case OPT_STRICT: a->strict = true; break;
		}
	}
	a->rest = argv + optind;
	a->nrest = argc - optind;
	for (const int *o = c->required; o && *o; o++)
		if (!a->seen[*o])
			cli_usage_error(usage, "'%s' needs --%s", c->name, cli_option_name(options, *o));
}

static const char *ledger_path(struct args *a, struct buf *b)
{
	return a->ledger ? a->ledger : beekeeper_default_path(b);
}

/* ------------------------------------------------------------- appending */

static int load_key(struct args *a, uint8_t seckey[32])
{
	if ((a->keys.key_file == NULL) == (a->keys.keystore_file == NULL))
		cli_usage_error(usage, "'%s' appends a signed event: it needs one of --key FILE or --keystore FILE", a->cmd);
	if (a->keys.password_file != NULL && a->keys.keystore_file == NULL)
		cli_usage_error(usage, "--password-file goes with --keystore; a raw --key file has no password");
	return keys_load(seckey, &a->keys);
}

static uint64_t hive_operand(struct args *a, int i)
{
	return cli_uint("HIVE", a->rest[i], 1, UINT32_MAX, usage);
}

/* Usage errors in operands come before the ledger is opened. */
static void check_addresses(struct args *a)
{
	uint8_t addr[20];
	for (int i = 0; i < a->nrest; i++)
		cli_address(addr, "ADDRESS", a->rest[i], usage);
}

static void check_hives(struct args *a)
{
	for (int i = 0; i < a->nrest; i++)
		hive_operand(a, i);
}

static void need_operands(struct args *a, int min, int max)
{
	if (a->nrest < min)
		cli_usage_error(usage, "'%s' needs %s", a->cmd, min == 1 && max == 1 ? "one operand" : "more operands");
	if (max >= 0 && a->nrest > max)
		cli_usage_error(usage, "'%s' takes %s", a->cmd, max == 0 ? "no operands" : "fewer operands");
}

/* Signs and appends the event a->op for operation name, durably, and prints it. */
static int append_one(struct args *a, const char *name, bool create)
{
	uint8_t seckey[32];
	struct buf path_buf = BUF_INIT, line = BUF_INIT;
	struct beekeeper bk = { .open = false };
	struct reg_error e;
	const char *path = ledger_path(a, &path_buf);
	int rc = load_key(a, seckey);
	if (rc == HIVE_OK && create && a->ledger == NULL)
		rc = beekeeper_make_dir(path);
	if (rc == HIVE_OK)
		rc = beekeeper_open(&bk, path, create ? LEDGER_CREATE : LEDGER_WRITE, 0, INT64_MAX);
	if (rc == HIVE_OK) {
		jv op = jv_object_set(a->op, jv_string("op"), jv_string(name));
		a->op = jv_invalid();
		rc = beekeeper_append(&bk, op, seckey, a->time_set ? a->time_ms : now_ms(), &e);
		if (rc != HIVE_OK && e.msg[0])
			diag_warn("%s", e.msg);
		if (rc == HIVE_OK)
			rc = beekeeper_ack(&bk, true, &line);
		if (rc == HIVE_OK)
			fwrite(line.data, 1, line.len, stdout);
		else if (create)
			unlink(path);   /* no init event: leave no empty ledger behind */
	}
	if (rc != HIVE_OK || !create || bk.open)
		beekeeper_close(&bk);
	secret_wipe(seckey, sizeof seckey);
	buf_free(&line);
	buf_free(&path_buf);
	return rc;
}

static int cmd_init(struct args *a)
{
	need_operands(a, 0, 0);
	return append_one(a, "init", true);
}

static int show_params(struct args *a);

static int cmd_params(struct args *a)
{
	need_operands(a, 0, 0);
	bool change = jv_object_length(jv_copy(a->op)) > 0;
	if (!change) {
		if (a->keys.key_file || a->keys.keystore_file || a->time_set)
			cli_usage_error(usage, "params changes costs with --hive-cost or --meter-cost");
		return show_params(a);
	}
	if (a->at_ms != INT64_MAX)
		cli_usage_error(usage, "--at goes with queries, not with changes");
	return append_one(a, "params", false);
}

/* A command whose options make the whole event. */
static int cmd_append(struct args *a)
{
	need_operands(a, 0, 0);
	return append_one(a, a->event, false);
}

/* A command on one hive, the operand. */
static int cmd_on_hive(struct args *a)
{
	need_operands(a, 1, 1);
	check_hives(a);
	a->op = jv_object_set(a->op, jv_string("hive"), jv_number((double)hive_operand(a, 0)));
	return append_one(a, a->event, false);
}

static int cmd_hive_merge(struct args *a)
{
	need_operands(a, 2, -1);
	check_hives(a);
	jv ids = jv_array();
	for (int i = 0; i < a->nrest; i++)
		ids = jv_array_append(ids, jv_number((double)hive_operand(a, i)));
	a->op = jv_object_set(a->op, jv_string("hives"), ids);
	return append_one(a, "hive_merge", false);
}

/* apply: one event per operation record read. */
struct apply {
	struct beekeeper *bk;
	const uint8_t *seckey;
	int64_t time_ms;
	bool time_set;
	uint64_t batch;
	uint64_t pending;      /* events written since the last commit (--batch N) */
	struct buf acked;      /* lines acknowledged, to print */
};

/* Prints the events made durable so far; with wait, makes every event durable first. */
static int apply_ack(struct rec_loop *loop, struct apply *ap, bool wait)
{
	int rc = beekeeper_ack(ap->bk, wait, &ap->acked);
	if (rc != HIVE_OK)
		diag_warn("the events after the last one printed were not acknowledged");
	if (ap->acked.len > 0 && write_full(loop->out_fd, ap->acked.data, ap->acked.len) != 0) {
		diag_warn_errno("cannot write standard output (the events are in the ledger)");
		rc = HIVE_EOUTPUT;
	}
	buf_reset(&ap->acked);
	if (wait)
		ap->pending = 0;
	return rc;
}

static int apply_record(struct rec_loop *loop, const struct rec *r, void *arg)
{
	struct apply *ap = arg;
	static const char *const set_by_ledger[] = { "seq", "prev", "actor", "sig" };
	jv op = jv_object_get(jv_copy(r->value), jv_string("op"));
	const char *type = rec_type(r);
	int64_t t = ap->time_set ? ap->time_ms : now_ms();
	if (type != NULL && strcmp(type, "beekeeper_op") != 0) {
		jv_free(op);
		/* Records of other types go on untouched, in order with the events. */
		if (apply_ack(loop, ap, true) != HIVE_OK) {
			loop->fatal = HIVE_EOUTPUT;
			loop->stop = true;
			return 0;
		}
		return rec_pass(loop, r);
	}
	if (jv_get_kind(op) != JV_KIND_STRING || !registry_op_known(jv_string_value(op))) {
		jv_free(op);
		rec_reject(loop, r, "not an operation: 'op' must name one (meter_add, hive_create, …)");
		return -1;
	}
	jv_free(op);
	for (size_t i = 0; i < sizeof set_by_ledger / sizeof set_by_ledger[0]; i++) {
		jv v = jv_object_get(jv_copy(r->value), jv_string(set_by_ledger[i]));
		bool present = jv_is_valid(v);
		jv_free(v);
		if (present) {
			rec_reject(loop, r, "'%s' is set by the ledger, not by an operation", set_by_ledger[i]);
			return -1;
		}
	}
	jv fields = jv_object_delete(jv_copy(r->value), jv_string("type"));
	jv when = jv_object_get(jv_copy(fields), jv_string("time"));
	if (jv_is_valid(when)) {
		const char *why = "not a string";
		if (jv_get_kind(when) != JV_KIND_STRING ||
		    rfc3339_parse(&t, jv_string_value(when), (size_t)jv_string_length_bytes(jv_copy(when)), &why) != 0) {
			jv_free(when);
			jv_free(fields);
			rec_reject(loop, r, "'time': %s", why);
			return -1;
		}
		fields = jv_object_delete(fields, jv_string("time"));
	}
	jv_free(when);
	struct reg_error e;
	int rc = ap->batch <= 1 ? beekeeper_prepare(ap->bk, fields, ap->seckey, t, &e)
	                        : beekeeper_append(ap->bk, fields, ap->seckey, t, &e);
	if (rc != HIVE_OK && e.msg[0]) {
		rec_reject(loop, r, "%s", e.msg);   /* refused: nothing was written */
		return -1;
	}
	if (rc != HIVE_OK) {
		loop->fatal = rc;
		loop->stop = true;
		return 0;
	}
	if (ap->batch <= 1) {
		/* One by one: this event was made while the disk synced the one before; print that one, then write. */
		rc = apply_ack(loop, ap, true);
		if (rc == HIVE_OK)
			rc = beekeeper_write(ap->bk);
		if (rc == HIVE_OK)
			beekeeper_commit_start(ap->bk);
	} else if (++ap->pending >= ap->batch)
		rc = apply_ack(loop, ap, true);
	if (rc != HIVE_OK) {
		loop->fatal = rc;
		loop->stop = true;
	}
	return 0;
}

static int cmd_apply(struct args *a)
{
	uint8_t seckey[32];
	struct buf path_buf = BUF_INIT;
	struct beekeeper bk = { .open = false };
	int rc = load_key(a, seckey);
	if (rc == HIVE_OK)
		rc = beekeeper_open(&bk, ledger_path(a, &path_buf), LEDGER_WRITE, 0, INT64_MAX);
	if (rc == HIVE_OK) {
		struct apply ap = { &bk, seckey, a->time_ms, a->time_set, a->batch ? a->batch : 1, 0, BUF_INIT };
		struct rec_loop loop;
		rec_loop_init(&loop, STDOUT_FILENO, a->strict);
		rc = rec_loop_run(&loop, a->rest, a->nrest, apply_record, &ap);
		int frc = loop.fatal == 0 ? apply_ack(&loop, &ap, true) : HIVE_OK;
		if (rc == HIVE_OK || (frc != HIVE_OK && rc == HIVE_EBAD))
			rc = frc;
		rec_loop_free(&loop);
		buf_free(&ap.acked);
	}
	beekeeper_close(&bk);
	secret_wipe(seckey, sizeof seckey);
	buf_free(&path_buf);
	return rc;
}

/* --------------------------------------------------------------- queries */

static void emit(jv record)
{
	struct buf b = BUF_INIT;
	const char *why;
	HIVE_ASSERT(jcs_append(&b, record, NULL, &why) == 0);
	buf_putc(&b, '\n');
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	jv_free(record);
}

static int open_for_query(struct args *a, struct beekeeper *bk)
{
	struct buf path_buf = BUF_INIT;
	int rc = beekeeper_open(bk, ledger_path(a, &path_buf), LEDGER_READ, 0, a->at_ms);
	buf_free(&path_buf);
	if (rc != HIVE_OK)
		beekeeper_close(bk);
	else
		beekeeper_warn_torn(bk);
	return rc;
}

static int show_params(struct args *a)
{
	struct beekeeper bk = { .open = false };
	int rc = open_for_query(a, &bk);
	if (rc != HIVE_OK)
		return rc;
	emit(registry_params_record(&bk.reg));
	beekeeper_close(&bk);
	return HIVE_OK;
}

static int cmd_hvt_balance(struct args *a)
{
	check_addresses(a);
	struct beekeeper bk = { .open = false };
	int rc = open_for_query(a, &bk);
	if (rc != HIVE_OK)
		return rc;
	for (int i = 0; i < a->nrest; i++) {
		uint8_t addr[20];
		cli_address(addr, "ADDRESS", a->rest[i], usage);
		emit(registry_account_record(&bk.reg, addr));
	}
	for (size_t i = 0; a->nrest == 0 && i < bk.reg.naccounts; i++)
		emit(registry_account_record(&bk.reg, bk.reg.accounts[i].addr));
	beekeeper_close(&bk);
	return HIVE_OK;
}

static int cmd_hvt_supply(struct args *a)
{
	need_operands(a, 0, 0);
	struct beekeeper bk = { .open = false };
	int rc = open_for_query(a, &bk);
	if (rc != HIVE_OK)
		return rc;
	emit(registry_supply_record(&bk.reg));
	beekeeper_close(&bk);
	return HIVE_OK;
}

/* One operand's record, or jv_invalid after reporting that it is not listed. */
typedef jv (*lookup_fn)(const struct registry *r, const char *operand);

static jv meter_by_operand(const struct registry *r, const char *operand)
{
	uint8_t addr[20];
	cli_address(addr, "ADDRESS", operand, usage);
	long i = registry_meter(r, addr);
	if (i < 0)
		diag_warn("meter '%s' is not listed", operand);
	return i < 0 ? jv_invalid() : registry_meter_record(r, (size_t)i);
}

static jv coin_by_operand(const struct registry *r, const char *operand)
{
	uint8_t addr[20];
	cli_address(addr, "ADDRESS", operand, usage);
	long i = registry_coin(r, addr);
	if (i < 0)
		diag_warn("stablecoin '%s' is not listed", operand);
	return i < 0 ? jv_invalid() : registry_coin_record(r, (size_t)i);
}

static jv hive_by_operand(const struct registry *r, const char *operand)
{
	uint64_t id = cli_uint("HIVE", operand, 1, UINT32_MAX, usage);
	if (id > r->nhives)
		diag_warn("there is no hive %llu", (unsigned long long)id);
	return id > r->nhives ? jv_invalid() : registry_hive_record(r, id - 1);
}

/* info: the record of each operand; those not listed are reported (exit 1) and the rest still printed. */
static int show_each(struct args *a, lookup_fn lookup)
{
	need_operands(a, 1, -1);
	/* Usage errors come before the ledger is read. */
	if (lookup == hive_by_operand)
		check_hives(a);
	else
		check_addresses(a);
	struct beekeeper bk = { .open = false };
	int rc = open_for_query(a, &bk);
	if (rc != HIVE_OK)
		return rc;
	for (int i = 0; i < a->nrest; i++) {
		jv rec = lookup(&bk.reg, a->rest[i]);
		if (jv_is_valid(rec))
			emit(rec);
		else
			rc = HIVE_EBAD;
	}
	beekeeper_close(&bk);
	return rc;
}

static int cmd_meter_info(struct args *a)
{
	return show_each(a, meter_by_operand);
}

static int cmd_coin_info(struct args *a)
{
	return show_each(a, coin_by_operand);
}

static int cmd_hive_info(struct args *a)
{
	return show_each(a, hive_by_operand);
}

static int cmd_meter_list(struct args *a)
{
	need_operands(a, 0, 0);
	if (a->status)
		check_status(a->status, meter_statuses);
	struct beekeeper bk = { .open = false };
	int rc = open_for_query(a, &bk);
	if (rc != HIVE_OK)
		return rc;
	for (size_t i = 0; i < bk.reg.nmeters; i++) {
		const struct meter *m = &bk.reg.meters[i];
		if ((a->owner_set && memcmp(m->owner, a->owner, 20) != 0) ||
		    (a->status && strcmp(a->status, meter_status_name(m->status)) != 0) || (a->hive && m->hive != a->hive))
			continue;
		emit(registry_meter_record(&bk.reg, i));
	}
	beekeeper_close(&bk);
	return HIVE_OK;
}

static int cmd_coin_list(struct args *a)
{
	need_operands(a, 0, 0);
	struct beekeeper bk = { .open = false };
	int rc = open_for_query(a, &bk);
	if (rc != HIVE_OK)
		return rc;
	for (size_t i = 0; i < bk.reg.ncoins; i++)
		emit(registry_coin_record(&bk.reg, i));
	beekeeper_close(&bk);
	return HIVE_OK;
}

static int cmd_hive_list(struct args *a)
{
	need_operands(a, 0, 0);
	if (a->status)
		check_status(a->status, hive_statuses);
	struct beekeeper bk = { .open = false };
	int rc = open_for_query(a, &bk);
	if (rc != HIVE_OK)
		return rc;
	for (size_t i = 0; i < bk.reg.nhives; i++) {
		const struct hive *h = &bk.reg.hives[i];
		if ((a->owner_set && memcmp(h->owner, a->owner, 20) != 0) ||
		    (a->status && strcmp(a->status, hive_status_name(h->status)) != 0))
			continue;
		emit(registry_hive_record(&bk.reg, i));
	}
	beekeeper_close(&bk);
	return HIVE_OK;
}

static int cmd_export(struct args *a)
{
	need_operands(a, 1, 1);
	uint64_t id = hive_operand(a, 0);
	struct beekeeper bk = { .open = false };
	int rc = open_for_query(a, &bk);
	if (rc != HIVE_OK)
		return rc;
	if (id > bk.reg.nhives) {
		diag_warn("there is no hive %llu", (unsigned long long)id);
		rc = HIVE_EBAD;
	} else {
		jv recs = registry_export(&bk.reg, id - 1);
		jv_array_foreach(recs, i, rec)
		{
			(void)i;
			emit(rec);
		}
		jv_free(recs);
	}
	beekeeper_close(&bk);
	return rc;
}

/* ---------------------------------------------------------- the ledger */

static int cmd_verify(struct args *a)
{
	need_operands(a, 0, 0);
	struct buf path_buf = BUF_INIT;
	struct beekeeper bk = { .open = false };
	const char *path = ledger_path(a, &path_buf);
	int rc = beekeeper_open(&bk, path, LEDGER_READ, REG_CHECK_SIG, INT64_MAX);
	if (rc == HIVE_OK && bk.lg.torn > 0) {
		ledger_torn_message(&bk.lg);
		rc = HIVE_EINPUT;
	}
	if (rc == HIVE_OK && bk.lg.lines == 0) {
		diag_warn("ledger '%s' is empty: it has no init event", path);
		rc = HIVE_EINPUT;
	}
	if (rc == HIVE_OK && !registry_conserved(&bk.reg))
		diag_die(HIVE_EINTERNAL, "internal error: HVT is not conserved after replay");
	if (rc == HIVE_OK) {
		jv rec = registry_params_record(&bk.reg);
		rec = jv_object_set(rec, jv_string("type"), jv_string("ledger_verified"));
		rec = jv_object_set(rec, jv_string("ledger"), jv_string(path));
		emit(rec);
	}
	beekeeper_close(&bk);
	buf_free(&path_buf);
	return rc;
}

static int cmd_repair(struct args *a)
{
	need_operands(a, 0, 0);
	struct buf path_buf = BUF_INIT;
	int rc = beekeeper_repair(ledger_path(a, &path_buf));
	buf_free(&path_buf);
	return rc;
}

#define KEY_OPTS OPT_KEY, OPT_KEYSTORE, OPT_PASSWORD_FILE, OPT_TIME
static const int init_opts[] = { KEY_OPTS, OPT_HIVE_COST, OPT_METER_COST, 0 };
static const int params_opts[] = { KEY_OPTS, OPT_HIVE_COST, OPT_METER_COST, OPT_AT, 0 };
static const int transfer_opts[] = { KEY_OPTS, OPT_TO, OPT_AMOUNT, 0 };
static const int meter_add_opts[] = { KEY_OPTS, OPT_METER, OPT_OWNER, OPT_SERIAL, OPT_MANUFACTURER, 0 };
static const int meter_status_opts[] = { KEY_OPTS, OPT_METER, OPT_STATUS, 0 };
static const int coin_add_opts[] = { KEY_OPTS, OPT_COIN, OPT_CODE, OPT_DECIMALS, 0 };
static const int coin_freeze_opts[] = { KEY_OPTS, OPT_COIN, 0 };
static const int hive_create_opts[] = { KEY_OPTS, OPT_COIN, OPT_METER, OPT_HVT, OPT_START, OPT_END, 0 };
static const int key_only_opts[] = { KEY_OPTS, 0 };
static const int add_meter_opts[] = { KEY_OPTS, OPT_METER, OPT_HVT, 0 };
static const int drop_meter_opts[] = { KEY_OPTS, OPT_METER, 0 };
static const int split_opts[] = { KEY_OPTS, OPT_PART, 0 };
static const int apply_opts[] = { KEY_OPTS, OPT_BATCH, OPT_STRICT, 0 };
static const int at_opts[] = { OPT_AT, 0 };
static const int meter_list_opts[] = { OPT_AT, OPT_OWNER, OPT_STATUS, OPT_HIVE, 0 };
static const int hive_list_opts[] = { OPT_AT, OPT_OWNER, OPT_STATUS, 0 };
static const int no_opts[] = { 0 };

static const int transfer_req[] = { OPT_TO, OPT_AMOUNT, 0 };
static const int meter_add_req[] = { OPT_METER, OPT_OWNER, OPT_SERIAL, OPT_MANUFACTURER, 0 };
static const int meter_status_req[] = { OPT_METER, OPT_STATUS, 0 };
static const int coin_add_req[] = { OPT_COIN, OPT_CODE, OPT_DECIMALS, 0 };
static const int coin_req[] = { OPT_COIN, 0 };
static const int hive_create_req[] = { OPT_COIN, OPT_METER, 0 };
static const int meter_req[] = { OPT_METER, 0 };
static const int split_req[] = { OPT_PART, 0 };

static const struct command commands[] = {
	{ "init", init_opts, cmd_init, NULL, "init" },
	{ "params", params_opts, cmd_params, NULL, "params" },
	{ "hvt transfer", transfer_opts, cmd_append, transfer_req, "hvt_transfer" },
	{ "hvt balance", at_opts, cmd_hvt_balance, NULL, NULL },
	{ "hvt supply", at_opts, cmd_hvt_supply, NULL, NULL },
	{ "meter add", meter_add_opts, cmd_append, meter_add_req, "meter_add" },
	{ "meter status", meter_status_opts, cmd_append, meter_status_req, "meter_status" },
	{ "meter info", at_opts, cmd_meter_info, NULL, NULL },
	{ "meter list", meter_list_opts, cmd_meter_list, NULL, NULL },
	{ "coin add", coin_add_opts, cmd_append, coin_add_req, "coin_add" },
	{ "coin freeze", coin_freeze_opts, cmd_append, coin_req, "coin_freeze" },
	{ "coin info", at_opts, cmd_coin_info, NULL, NULL },
	{ "coin list", at_opts, cmd_coin_list, NULL, NULL },
	{ "hive create", hive_create_opts, cmd_append, hive_create_req, "hive_create" },
	{ "hive freeze", key_only_opts, cmd_on_hive, NULL, "hive_freeze" },
	{ "hive info", at_opts, cmd_hive_info, NULL, NULL },
	{ "hive list", hive_list_opts, cmd_hive_list, NULL, NULL },
	{ "hive add-meter", add_meter_opts, cmd_on_hive, meter_req, "hive_add_meter" },
	{ "hive drop-meter", drop_meter_opts, cmd_on_hive, meter_req, "hive_drop_meter" },
	{ "hive split", split_opts, cmd_on_hive, split_req, "hive_split" },
	{ "hive merge", key_only_opts, cmd_hive_merge, NULL, "hive_merge" },
	{ "export", at_opts, cmd_export, NULL, NULL },
	{ "apply", apply_opts, cmd_apply, NULL, NULL },
	{ "verify", no_opts, cmd_verify, NULL, NULL },
	{ "repair", no_opts, cmd_repair, NULL, NULL },
};

/* Matches "meter add" against argv[0] and argv[1]; returns the words used (0 for no match). */
static int match(const char *name, int argc, char **argv)
{
	const char *space = strchr(name, ' ');
	if (space == NULL)
		return strcmp(argv[0], name) == 0 ? 1 : 0;
	size_t n = (size_t)(space - name);
	if (strncmp(argv[0], name, n) != 0 || argv[0][n] != '\0' || argc < 2)
		return 0;
	return strcmp(argv[1], space + 1) == 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	int i = 1;

	diag_init(argv[0]);
	a.at_ms = INT64_MAX;
	/* --ledger may come before the command. */
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			cli_help(usage);
		if (strcmp(argv[i], "--version") == 0)
			cli_version();
		if (strcmp(argv[i], "--ledger") == 0 && i + 1 < argc) {
			a.ledger = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--ledger=", 9) == 0) {
			a.ledger = argv[i] + 9;
			i++;
		} else
			cli_usage_error(usage, "invalid option before the command: '%s'", argv[i]);
	}
	if (i >= argc)
		cli_usage_error(usage, "missing command");
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
		int words = match(commands[k].name, argc - i, argv + i);
		if (words == 0)
			continue;
		a.cmd = commands[k].name;
		a.event = commands[k].event;
		a.op = jv_object();
		/* getopt starts at argv[1]: hand it the last word of the command as argv[0]. */
		parse_options(&a, &commands[k], argc - i - words + 1, argv + i + words - 1);
		if (a.ledger != NULL && a.ledger[0] == '\0')
			cli_usage_error(usage, "--ledger needs a file name");
		int rc = commands[k].run(&a);
		jv_free(a.op);
		return cli_finish(rc);
	}
	if (strcmp(argv[i], "meter") == 0 || strcmp(argv[i], "coin") == 0 || strcmp(argv[i], "hive") == 0 ||
	    strcmp(argv[i], "hvt") == 0)
		cli_usage_error(usage, "'%s' needs a subcommand%s%s", argv[i], i + 1 < argc ? ", not " : "",
		                i + 1 < argc ? argv[i + 1] : "");
	cli_usage_error(usage, "unknown command '%s'", argv[i]);
}
