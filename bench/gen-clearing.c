/*
 * gen-clearing — one day of a hive's clearing results, for the hive-settle
 * benchmark (bench/settle/run).
 *
 *   gen-clearing [-n WORKERS] [-s SEED] [-R] [-i] DIR
 *
 * Writes into DIR (which must exist):
 *
 *   export.ndjson    a hive export as hive-clear and hive-settle read it
 *                    (hiveexport.h): one hive_export record (hive 1, a
 *                    6-decimal coin "EURC") and one certified member per Worker,
 *                    sorted by address;
 *   tariff.ndjson    a time-of-use tariff (tariff.h, kind "tou", CET/CEST),
 *                    prices in base units per kWh;
 *   clear-args       the hive-clear options the clearing used (rule, fees,
 *                    period), one line;
 *   clearing.ndjson  for each of the 96 slots of 2026-06-21 (UTC), one
 *                    clearing_slot record and then one clearing record per
 *                    Worker in address order: what `hive-clear --export
 *                    export.ndjson --tariff tariff.ndjson $(cat clear-args)`
 *                    writes for the intervals of -i, byte for byte;
 *   intervals.ndjson (with -i only) those intervals, each signed by its
 *                    meter's key, to check the line above with the real
 *                    hive-clear (one signature per Worker and slot: slow for
 *                    10,000 Workers, a second or so for 50).
 *
 * The slots are cleared by hive's own market_clear_slot (market.h) at the
 * tariff's prices (tariff_prices, the same code hive-clear calls), under
 * the discount rule with a platform fee of 500 bps of the surplus and an
 * owner fee of 200 bps of the traded value, so both fee bases and their
 * rounding are exercised.
 *
 * Each interval carries what a meter's does (hive-read's interval records):
 * its nonce (the slot's index since the epoch), the slot's import_wh and
 * export_wh (import − export = energy_wh; a household with PV both imports
 * and exports within most sunny slots) and the registers at the slot's end,
 * register_import_wh and register_export_wh, from a seeded start, so every
 * Worker's chain of registers holds (the state channels hive-settle checks
 * and closes with a balance record). -R leaves out import_wh, export_wh
 * and the registers (meters that do not report them; the nonce stays).
 *
 * The records are built by lib/clearing.c's own clearing_slot_record and
 * clearing_worker_record, and written in RFC 8785 canonical form by the
 * same jcs_append; the cross-check in bench/settle/run (cmp against
 * hive-clear on signed intervals) shows the rest (energies, order) agrees.
 *
 * Workers (default 10,000, seed 1): meter key i is keccak256("hive bench
 * worker" ‖ seed ‖ i) and its address the key's. About 62 % are households
 * (a load of 40–160 Wh per slot in a daily shape: low at night, morning
 * and evening peaks in local time), 35 % households with rooftop PV
 * (3–10 kWp, a June sun from 03:30 to 19:30 UTC under clouds that drift
 * from slot to slot, so midday slots export and night slots import) and
 * 3 % idle (0 Wh all day). Each slot's energy has ±30 % noise. The same
 * WORKERS and SEED give the same bytes.
 *
 * cc -O2 -D_GNU_SOURCE -Ilib -o gen-clearing bench/gen-clearing.c build/libhive.a $(LIBS)
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmp.h>
#include <jv.h>

#include "buf.h"
#include "clearing.h"
#include "eth.h"
#include "jcs.h"
#include "hex.h"
#include "jvbuild.h"
#include "keccak.h"
#include "market.h"
#include "recsig.h"
#include "tariff.h"
#include "timeutil.h"

#define HIVE_ID 1
#define SLOTS 96
#define STEP_MS 900000
#define DAY_MS INT64_C(1782000000000)   /* 2026-06-21T00:00:00Z */

static const char tariff_text[] =
	"{\"type\":\"tariff\",\"kind\":\"tou\",\"tz_posix\":\"CET-1CEST,M3.5.0,M10.5.0/3\",\"note\":\"bench: a synthetic "
	"time-of-use tariff, base units of a 6-decimal coin per kWh\"}\n"
	"{\"type\":\"tou\",\"days\":\"all\",\"from\":\"00:00\",\"to\":\"07:00\",\"buy\":\"210000\",\"sell\":\"70000\"}\n"
	"{\"type\":\"tou\",\"days\":\"mon-fri\",\"from\":\"07:00\",\"to\":\"11:00\",\"buy\":\"290000\",\"sell\":\"90000\"}\n"
	"{\"type\":\"tou\",\"days\":\"all\",\"from\":\"07:00\",\"to\":\"11:00\",\"buy\":\"260000\",\"sell\":\"80000\"}\n"
	"{\"type\":\"tou\",\"days\":\"all\",\"from\":\"11:00\",\"to\":\"16:00\",\"buy\":\"230000\",\"sell\":\"45000\"}\n"
	"{\"type\":\"tou\",\"days\":\"all\",\"from\":\"16:00\",\"to\":\"21:00\",\"buy\":\"340000\",\"sell\":\"110000\"}\n"
	"{\"type\":\"tou\",\"days\":\"all\",\"from\":\"21:00\",\"to\":\"24:00\",\"buy\":\"250000\",\"sell\":\"80000\"}\n";

static const struct market_params params = {
	.rule = RULE_DISCOUNT,
	.platform = { 500, FEE_ON_SURPLUS },
	.owner = { 200, FEE_ON_TRADED },
};

struct worker {
	uint8_t key[32];
	uint8_t addr[20];
	int kind;                /* 0 household, 1 with PV, 2 idle */
	double load;             /* Wh per slot, before the shape */
	double kwp;              /* PV peak, kW */
	int64_t reg_import, reg_export;   /* the registers, Wh, at the start of the day */
};

/* One Worker's slot: net energy, its parts per register, the registers at the slot's end. */
struct flow {
	int64_t energy, import_wh, export_wh, reg_import, reg_export;
};

static int with_registers = 1;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double uniform(uint64_t *x)
{
	return (double)(splitmix64(x) >> 11) / 9007199254740992.0;
}

static void die(const char *what)
{
	fprintf(stderr, "gen-clearing: %s\n", what);
	exit(1);
}

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gen-clearing: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static void close_out(FILE *f)
{
	if (ferror(f) || fclose(f) != 0)
		die("write error");
}

static int by_address(const void *a, const void *b)
{
	return memcmp(((const struct worker *)a)->addr, ((const struct worker *)b)->addr, 20);
}

/* A secret key (and its address) from a label, the seed and an index. */
static void derive_key(uint8_t key[32], uint8_t addr[20], const char *label, uint64_t seed, uint32_t i)
{
	struct keccak256_ctx c;
	uint8_t le[12];
	for (int k = 0; k < 8; k++)
		le[k] = (uint8_t)(seed >> (8 * k));
	for (int k = 0; k < 4; k++)
		le[8 + k] = (uint8_t)(i >> (8 * k));
	keccak256_init(&c);
	keccak256_update(&c, label, strlen(label));
	keccak256_update(&c, le, sizeof le);
	keccak256_final(&c, key);
	while (!eth_seckey_valid(key))
		keccak256(key, 32, key);
	if (eth_seckey_address(addr, key) != 0)
		die("cannot derive an address");
}

/* ------------------------------------------------------------ energies */

/* A household's load shape by local hour (CEST, UTC+2 on this day). */
static double load_shape(double local_h)
{
	if (local_h < 6)
		return 0.55;
	if (local_h < 9)
		return 1.45;
	if (local_h < 17)
		return 0.85;
	if (local_h < 22)
		return 1.75;
	return 0.95;
}

/* The June sun, 0 to 1, at a UTC hour. */
static double sun(double utc_h)
{
	if (utc_h <= 3.5 || utc_h >= 19.5)
		return 0;
	return pow(sin(M_PI * (utc_h - 3.5) / 16.0), 1.3);
}

static void make_workers(struct worker *w, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = seed * UINT64_C(1000003) + i;
		derive_key(w[i].key, w[i].addr, "hive bench worker", seed, (uint32_t)i);
		double u = uniform(&x);
		w[i].kind = u < 0.03 ? 2 : u < 0.38 ? 1 : 0;
		w[i].load = 40 + 120 * uniform(&x);
		w[i].kwp = 3 + 7 * uniform(&x);
		w[i].reg_import = 1000000 + (int64_t)(20000000 * uniform(&x));
		w[i].reg_export = w[i].kind == 1 ? (int64_t)(10000000 * uniform(&x)) : 0;
	}
	qsort(w, n, sizeof *w, by_address);
}

/* flow[slot][worker]; energy[slot][worker], Wh, import positive (market_clear_slot's input). */
static void make_energies(struct flow *flow, int64_t *energy, const struct worker *w, size_t n, uint64_t seed)
{
	uint64_t x = seed ^ UINT64_C(0x5eed5eed5eed5eed);
	double cloud = 0.8;
	for (size_t i = 0; i < n; i++) {
		flow[i].reg_import = w[i].reg_import;
		flow[i].reg_export = w[i].reg_export;
	}
	for (int k = 0; k < SLOTS; k++) {
		double utc_h = k / 4.0 + 0.125;
		cloud += (uniform(&x) - 0.5) * 0.2;
		cloud = cloud < 0.35 ? 0.35 : cloud > 1 ? 1 : cloud;
		for (size_t i = 0; i < n; i++) {
			struct flow *f = &flow[(size_t)(k + 1) * n + i];
			const struct flow *before = &flow[(size_t)k * n + i];
			int64_t e = 0, both = 0;
			if (w[i].kind != 2) {
				double use = w[i].load * load_shape(utc_h + 2) * (0.7 + 0.6 * uniform(&x));
				double pv = w[i].kind == 1 ? w[i].kwp * 250 * sun(utc_h) * cloud * (0.85 + 0.15 * uniform(&x)) : 0;
				e = (int64_t)llround(use - pv);
				both = (int64_t)llround(0.15 * (use < pv ? use : pv));
			}
			f->energy = e;
			f->import_wh = (e > 0 ? e : 0) + both;
			f->export_wh = (e < 0 ? -e : 0) + both;
			f->reg_import = before->reg_import + f->import_wh;
			f->reg_export = before->reg_export + f->export_wh;
			energy[(size_t)k * n + i] = e;
		}
	}
}

/* ------------------------------------------------------------ records, as lib/clearing.c builds them */

/* The channel fields an interval carries (all but the nonce left out with -R). */
static jv channel_fields(jv o, int64_t start_ms, const struct flow *f)
{
	o = jvb_set(o, "nonce", jv_number((double)(start_ms / STEP_MS)));
	if (with_registers) {
		o = jvb_set(o, "import_wh", jv_number((double)f->import_wh));
		o = jvb_set(o, "export_wh", jv_number((double)f->export_wh));
		o = jvb_set(o, "register_import_wh", jv_number((double)f->reg_import));
		o = jvb_set(o, "register_export_wh", jv_number((double)f->reg_export));
	}
	return o;
}

/* What hive-clear keeps of a metered interval: the channel fields it carried (nonce only with -R). */
static struct clearing_channel channel_of(const struct flow *f)
{
	if (!with_registers)
		return (struct clearing_channel){ -1, -1, -1, -1 };
	return (struct clearing_channel){ f->import_wh, f->export_wh, f->reg_import, f->reg_export };
}

/* Canonical form of rec (taken) and a newline to f. */
static void put(FILE *f, struct buf *b, jv rec)
{
	const char *why;
	buf_reset(b);
	if (jcs_append(b, rec, NULL, &why) != 0)
		die(why);
	jv_free(rec);
	buf_putc(b, '\n');
	fwrite(b->data, 1, b->len, f);
}

/* ------------------------------------------------------------ files */

static void write_export(const char *dir, const struct worker *w, size_t n, uint64_t seed)
{
	uint8_t key[32], owner[20], coin[20], head[32];
	char owner_s[ETH_ADDR_STRLEN + 1], coin_s[ETH_ADDR_STRLEN + 1], head_s[67];
	derive_key(key, owner, "hive bench owner", seed, 0);
	derive_key(key, coin, "hive bench coin", seed, 0);
	keccak256("hive bench ledger", 17, head);
	eth_address_format(owner_s, owner);
	eth_address_format(coin_s, coin);
	hex_encode_0x(head, 32, head_s);
	FILE *f = open_out(dir, "export.ndjson");
	fprintf(f,
	        "{\"coin\":\"%s\",\"coin_code\":\"EURC\",\"coin_decimals\":6,\"coin_frozen\":false,"
	        "\"end\":\"2027-06-01T00:00:00Z\",\"hive\":%d,\"ledger_head\":\"%s\",\"members\":%zu,\"owner\":\"%s\","
	        "\"start\":\"2026-06-01T00:00:00Z\",\"status\":\"active\",\"type\":\"hive_export\"}\n",
	        coin_s, HIVE_ID, head_s, n, owner_s);
	for (size_t i = 0; i < n; i++) {
		char a[ETH_ADDR_STRLEN + 1];
		eth_address_format(a, w[i].addr);
		fprintf(f, "{\"hive\":%d,\"meter\":\"%s\",\"owner\":\"%s\",\"status\":\"certified\",\"type\":\"member\"}\n",
		        HIVE_ID, a, owner_s);
	}
	close_out(f);
}

static void write_intervals(const char *dir, const struct worker *w, size_t n, const struct flow *flow)
{
	struct recsig rs;
	struct buf b = BUF_INIT;
	const char *why;
	recsig_init(&rs);
	FILE *f = open_out(dir, "intervals.ndjson");
	for (int k = 0; k < SLOTS; k++)
		for (size_t i = 0; i < n; i++) {
			jv o = jv_object();
			o = jvb_set(o, "type", jv_string("interval"));
			o = jvb_set(o, "meter", jvb_address(w[i].addr));
			o = jvb_set(o, "start", jvb_time(DAY_MS + (int64_t)k * STEP_MS));
			o = jvb_set(o, "seconds", jv_number(STEP_MS / 1000));
			o = jvb_set(o, "energy_wh", jv_number((double)flow[(size_t)(k + 1) * n + i].energy));
			o = jvb_set(o, "complete", jv_true());
			o = channel_fields(o, DAY_MS + (int64_t)k * STEP_MS, &flow[(size_t)(k + 1) * n + i]);
			buf_reset(&b);
			if (recsig_sign(&rs, &b, o, w[i].key, &why) != 0)
				die(why);
			jv_free(o);
			buf_putc(&b, '\n');
			fwrite(b.data, 1, b.len, f);
		}
	close_out(f);
	recsig_free(&rs);
	buf_free(&b);
}

int main(int argc, char **argv)
{
	size_t n = 10000;
	uint64_t seed = 1;
	int intervals = 0, c;
	while ((c = getopt(argc, argv, "n:s:iR")) != -1) {
		switch (c) {
		case 'n': n = (size_t)strtoull(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'i': intervals = 1; break;
		case 'R': with_registers = 0; break;
		default: die("usage: gen-clearing [-n WORKERS] [-s SEED] [-R] [-i] DIR");
		}
	}
	if (optind != argc - 1 || n == 0 || n > 10000000)
		die("usage: gen-clearing [-n WORKERS] [-s SEED] [-R] [-i] DIR");
	const char *dir = argv[optind];

	struct worker *w = calloc(n, sizeof *w);
	int64_t *energy = calloc((size_t)SLOTS * n, sizeof *energy);
	struct flow *flow = calloc((size_t)(SLOTS + 1) * n, sizeof *flow);   /* row 0: the registers at the start */
	if (!w || !energy || !flow)
		die("out of memory");
	make_workers(w, n, seed);
	for (size_t i = 1; i < n; i++)
		if (memcmp(w[i - 1].addr, w[i].addr, 20) == 0)
			die("two Workers with the same address");
	make_energies(flow, energy, w, n, seed);

	/* The tariff, named as hive-clear names it: 0x and keccak256 of the file's bytes. */
	struct tariff *t;
	uint8_t th[32];
	char tariff_id[67];
	FILE *f = open_out(dir, "tariff.ndjson");
	fputs(tariff_text, f);
	close_out(f);
	if (tariff_load_text(&t, "tariff.ndjson", tariff_text, strlen(tariff_text)) != 0)
		die("the tariff does not load");
	keccak256(tariff_text, strlen(tariff_text), th);
	hex_encode_0x(th, 32, tariff_id);
	const struct clearing_config cfg = { HIVE_ID, STEP_MS, INT64_MIN, INT64_MAX, params, MISSING_AS_ZERO,
		                             NULL, NULL, tariff_id };

	f = open_out(dir, "clear-args");
	fprintf(f, "--rule %s --platform-fee %u:%s --owner-fee %u:%s --missing zero --from 2026-06-21T00:00:00Z "
	           "--to 2026-06-22T00:00:00Z --step 15m\n",
	        market_rule_name(params.rule), params.platform.bps, market_fee_basis_name(params.platform.basis),
	        params.owner.bps, market_fee_basis_name(params.owner.basis));
	close_out(f);

	write_export(dir, w, n, seed);

	f = open_out(dir, "clearing.ndjson");
	static char obuf[1 << 20];
	setvbuf(f, obuf, _IOFBF, sizeof obuf);
	struct buf b = BUF_INIT;
	mpz_t buy, sell;
	mpz_inits(buy, sell, NULL);
	for (int k = 0; k < SLOTS; k++) {
		int64_t ms = DAY_MS + (int64_t)k * STEP_MS;
		const int64_t *e = energy + (size_t)k * n;
		struct slot_result r;
		if (tariff_prices(t, ms, buy, sell) != 0)
			die("the tariff has no price for a slot");
		if (market_clear_slot(&r, e, n, buy, sell, &params) != 0)
			die("market_clear_slot refused a slot");
		put(f, &b, clearing_slot_record(&cfg, ms, n, &r, buy, sell, jv_array(), true));
		for (size_t i = 0; i < n; i++) {
			struct clearing_channel ch = channel_of(&flow[(size_t)(k + 1) * n + i]);
			put(f, &b, clearing_worker_record(&cfg, ms, w[i].addr, flow[(size_t)(k + 1) * n + i].energy, &ch, &r.w[i]));
		}
		market_result_free(&r);
	}
	close_out(f);
	mpz_clears(buy, sell, NULL);
	buf_free(&b);
	tariff_free(t);

	if (intervals)
		write_intervals(dir, w, n, flow);
	free(w);
	free(flow);
	free(energy);
	return 0;
}
