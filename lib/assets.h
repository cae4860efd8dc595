/*
 * assets.h — a Worker's flexible assets and limits, read from an assets
 * file: what hive-bid plans (whitepaper §2.3.1, §4.3) and hive-clear
 * simulate plans for every Worker of a hive.
 *
 * An assets file is NDJSON (LF or CRLF, blank lines skipped, strict JSON as
 * jsonscan.h checks it, every record may carry "note", any other member not
 * listed is an error). The first record is the header:
 *
 *   {"type":"assets","worker":"0x…","import_max_w":17250,"export_max_w":10000,
 *    "tz":"Europe/Zurich"}
 *
 *   worker        the Worker's meter address (optional; hive-clear simulate
 *                 matches assets to forecasts by it): "0x" and 40 hex
 *                 digits, mixed case only as the EIP-55 checksum; kept in
 *                 EIP-55 case;
 *   import_max_w, export_max_w
 *                 the most the Worker's connection may draw or feed in, in W
 *                 (optional: no limit);
 *   tz, tz_posix  the zone whose clock daily windows "HH:MM" read, as in
 *                 tariff.h (optional, at most one of them: UTC).
 *
 * A header alone is a Worker with limits and nothing to plan.
 *
 * One record per asset follows (at most ASSETS_MAX), each with a "name"
 * unique in the file (1–63 bytes, letters, digits, '-', '_', '.'). Powers
 * are in W, energies in Wh: JSON numbers, finite, from 0 to 1e12 (more is a
 * typing error). Prices (cycle_cost, curtail_cost, value) are strings of
 * decimal digits, token base units per kWh as in tariff files, at most
 * 10^24 (a million whole tokens per kWh even at 18 decimals). Absolute
 * times are RFC 3339 in UTC, ending in Z.
 *
 *   {"type":"battery","name":"garage","capacity_wh":10000,"charge_w":5000,
 *    "discharge_w":5000,"charge_efficiency":0.95,"discharge_efficiency":0.95,
 *    "soc_min_wh":1000,"soc_max_wh":9500,"soc_wh":5000,"soc_final_wh":5000,
 *    "cycle_cost":"20000","source":"any",
 *    "goals":[{"by":"07:00","soc_wh":8000}]}
 *
 *     capacity_wh, charge_w, discharge_w, soc_wh required; efficiencies in
 *     (0, 1], default 1; soc_min_wh default 0, soc_max_wh default capacity,
 *     0 ≤ soc_min ≤ soc_max ≤ capacity, soc_wh within them; soc_final_wh the
 *     least state of charge at the end of the horizon (default soc_wh, so a
 *     plan does not empty the battery into the horizon's end); cycle_cost per
 *     kWh of charge plus discharge (default "0"); source "any" or "solar"
 *     (charges only from the Worker's own surplus: its forecast export);
 *     goals: at most ASSETS_MAX_GOALS {"by":…,"soc_wh":…}, a least state
 *     of charge (within soc_min_wh and soc_max_wh) by a time, "HH:MM"
 *     00:00–23:59 daily or RFC 3339 once.
 *
 *   {"type":"deferrable","name":"dishwasher","power_w":2000,"energy_wh":1500,
 *    "from":"18:00","to":"07:00","energy_min_wh":1500,"value":"300000",
 *    "source":"any","delivered_wh":0}
 *   {"type":"ev", …the same members…}
 *
 *     A load that draws up to power_w, any amount per slot, between a
 *     release and a deadline: "from"/"to" "HH:MM" daily (from 00:00–23:59,
 *     to 00:00–24:00; to ≤ from: the next day, so from = to is 24 hours),
 *     or "release"/"deadline" RFC 3339 UTC for one occurrence (release
 *     before deadline), never a mix of the two. It must
 *     receive energy_min_wh (default energy_wh) in each occurrence, and up to
 *     energy_wh where its value per kWh ("value", default "0") exceeds what
 *     the energy costs: a load that is optional, or served only on cheap
 *     energy; loads with higher values are served first. delivered_wh is what
 *     the occurrence in progress already had (default 0; energy_min_wh and
 *     delivered_wh at most energy_wh). source "solar": runs only on the
 *     Worker's own surplus. "ev" is the same, an electric vehicle with its
 *     plug-in window and energy goal; a heat pump is a deferrable load too.
 *
 *   {"type":"pv","name":"roof","curtail_cost":"0"}
 *
 *     The Worker's PV may be curtailed, up to its forecast export in a slot,
 *     at curtail_cost per kWh (default "0"). No other member (no "source").
 *
 * Refusals are one diagnostic "'FILE' line N: what is wrong" (diag.h).
 */
#ifndef HIVE_ASSETS_H
#define HIVE_ASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz;

#define ASSETS_FILE_MAX (1u << 20)
#define ASSETS_MAX 64          /* assets in one file */
#define ASSETS_MAX_GOALS 16    /* goals of one battery */
#define ASSET_NAME_MAX 63

enum asset_kind { ASSET_BATTERY, ASSET_DEFERRABLE, ASSET_EV, ASSET_PV };
enum asset_source { SOURCE_ANY, SOURCE_SOLAR };

/*
 * A time given either daily ("HH:MM" local: minute_of_day 0–1439, or 1440
 * for a "to" of 24:00) or absolute (RFC 3339 UTC, ms since the epoch).
 */
struct asset_time {
	bool daily;
	int minute_of_day;
	int64_t at_ms;
};

struct battery_goal {
	struct asset_time by;
	double soc_wh;
};

struct asset {
	enum asset_kind kind;
	char name[ASSET_NAME_MAX + 1];
	enum asset_source source;
	/* prices per Wh (the file's per-kWh base units / 1000), as doubles: plans are not money */
	double cost_per_wh;     /* battery: cycle_cost; pv: curtail_cost */
	double value_per_wh;    /* deferrable/ev: value */
	/* battery */
	double capacity_wh, charge_w, discharge_w, charge_eff, discharge_eff;
	double soc_min_wh, soc_max_wh, soc_wh, soc_final_wh;
	size_t ngoals;
	struct battery_goal goals[ASSETS_MAX_GOALS];
	/* deferrable, ev */
	double power_w, energy_wh, energy_min_wh, delivered_wh;
	struct asset_time release, deadline; /* both daily or both absolute */
};

struct assets {
	char worker[43];        /* "0x" + 40 hex in EIP-55 case, or "" */
	bool has_import_max, has_export_max;
	double import_max_w, export_max_w;
	struct tz *zone;        /* the zone of daily times (tz.h); NULL: UTC */
	size_t n;
	struct asset a[ASSETS_MAX];
};

/*
 * Reads and checks an assets file. Returns HIVE_OK and fills *out (free its
 * zone with assets_free; the entries past n are not written), or
 * HIVE_EINPUT after one diagnostic with *out empty: n 0, no zone
 * (assets_free on it does nothing).
 */
int assets_load(struct assets *out, const char *path);
int assets_load_text(struct assets *out, const char *name, const char *text, size_t len);
void assets_free(struct assets *a);

/*
 * The occurrences of a deferrable or ev asset's window that overlap
 * [from_ms, to_ms): win[k][0] its release and win[k][1] its deadline, UTC
 * ms, ascending; an absolute window is one occurrence. A daily window's
 * occurrence starts on each local day at "from" in the file's zone (UTC
 * when it has none) and ends at "to" that day, or the next when to ≤ from.
 * DST: a local time that does not exist that day (the clock skips it) is
 * taken as far later as the clock skipped, an hour in Europe (02:30 on the
 * spring night is 03:30 summer time); one that exists twice is its first
 * instant (02:30 summer time on the autumn night). So a window over those
 * nights is an hour shorter or longer, and an occurrence whose deadline so
 * comes at or before its release (02:30–03:00 on the spring night) does not
 * happen that day. Occurrences never overlap: one that would start before
 * the one before it ended (03:00–02:30 over the spring night, whose 02:30
 * is 03:30) starts when that one ends. Occurrences are one a local day, so the time taken grows
 * with the days in [from_ms, to_ms). Writes at most max; returns how many
 * there are (which may be more than max); 0 for an asset that is neither
 * deferrable nor ev, or when from_ms ≥ to_ms.
 */
size_t assets_windows(const struct assets *a, const struct asset *x, int64_t from_ms, int64_t to_ms,
                      int64_t (*win)[2], size_t max);

/*
 * The instants of a battery goal's "by" in [from_ms, to_ms), ascending: an
 * absolute one once, a daily one on each local day with the DST rule of
 * assets_windows. Writes at most max; returns how many there are.
 */
size_t assets_goal_times(const struct assets *a, const struct battery_goal *g, int64_t from_ms, int64_t to_ms,
                         int64_t *out, size_t max);

#endif
