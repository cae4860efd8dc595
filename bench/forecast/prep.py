#!/usr/bin/python3
"""Prepares the series of the forecasting benchmark (bench/forecast/run).

Usage: prep.py SHARED_DATA_DIR TAYLOR_FROM_R.csv OUT_DIR

Writes OUT_DIR/data/NAME.csv (timestamp,value: RFC 3339 UTC start of each
half-hour, value the mean power over it, W; MW for taylor) and
OUT_DIR/series.tsv, which every other step reads (names, files, units,
origins, time zones, sites), so the origins are chosen in one place.

- taylor: R's full `taylor` (written by taylor.R, UTC). It is checked against
  shared/data/timeseries/taylor_uk_demand_halfhourly_MW_weeks9-12.csv (weeks
  9-12, UK local time BST = UTC+1): every one of its rows must be equal.
- households: shared/data/households/*.csv. PV files have no rows at night;
  such absent rows mean 0 W (the README), so a PV series is filled with 0 on
  the whole grid of its home's load file. Load files keep their gaps (absent
  rows); the R side fills them for its own use (models.R), hive-forecast gets
  them as gaps, and the scoring leaves out any slot whose actual is a gap.

Origins: the last 7 midnights from which a whole day (48 slots) of data
follows. taylor: UK local midnight (23:00Z). Households: UTC midnight.
"""
import os
import sys

import numpy as np
import pandas as pd

STEP = pd.Timedelta("30min")
NORIGINS = 7
HORIZON = 48

# name, source file (under households/), kind, zone, lat, lon, grid from this load file
HOUSEHOLDS = [
    ("emhass_load", "emhass_fr_home_load_30min_W.csv", "load", "Europe/Paris", 48.83, 6.86, None),
    ("emhass_pv", "emhass_fr_home_pv_30min_W.csv", "pv", "Europe/Paris", 48.83, 6.86, "emhass_fr_home_load_30min_W.csv"),
    ("ausgrid_load", "ausgrid_c12_load_30min_W.csv", "load", "Australia/Sydney", -33.9, 151.2, None),
    ("ausgrid_pv", "ausgrid_c12_pv_30min_W.csv", "pv", "Australia/Sydney", -33.9, 151.2, "ausgrid_c12_load_30min_W.csv"),
]


def die(msg):
    print("prep: " + msg, file=sys.stderr)
    sys.exit(1)


def read(path):
    d = pd.read_csv(path, dtype={"timestamp": str, "value": float})
    if list(d.columns) != ["timestamp", "value"]:
        die(f"{path}: header is not timestamp,value")
    d["timestamp"] = pd.to_datetime(d["timestamp"], utc=True)
    if not d["timestamp"].is_monotonic_increasing or d["timestamp"].duplicated().any():
        die(f"{path}: times not strictly increasing")
    if ((d["timestamp"] - d["timestamp"].iloc[0]) % STEP != pd.Timedelta(0)).any():
        die(f"{path}: a time off the 30-minute grid")
    return d.set_index("timestamp")["value"]


def origins(first, last, local_midnight_utc_hour):
    """The last NORIGINS origins at the given UTC hour with HORIZON slots of data after them."""
    end = last + STEP  # end of the data
    o = (end - HORIZON * STEP).floor("D") + pd.Timedelta(hours=local_midnight_utc_hour)
    while o + HORIZON * STEP > end:
        o -= pd.Timedelta("1D")
    out = [o - pd.Timedelta(days=k) for k in range(NORIGINS - 1, -1, -1)]
    if out[0] - first < pd.Timedelta("7D"):
        die("less than a week of history before the first origin")
    return out


def write(series, path):
    with open(path, "w") as f:
        f.write("timestamp,value\n")
        for t, v in series.items():
            f.write(f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{v:.10g}\n")


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    if len(sys.argv) != 4:
        die("usage: prep.py SHARED_DATA_DIR TAYLOR_FROM_R.csv OUT_DIR")
    shared, taylor_csv, out = sys.argv[1:]
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    rows = []

    # taylor, from R, against the shared weeks 9-12 (local BST = UTC+1, no zone suffix).
    tay = read(taylor_csv)
    if len(tay) != 4032 or tay.index[0] != pd.Timestamp("2000-06-04T23:00:00Z"):
        die(f"{taylor_csv}: not the 4032 values of taylor from 2000-06-04T23:00Z")
    w = pd.read_csv(os.path.join(shared, "timeseries", "taylor_uk_demand_halfhourly_MW_weeks9-12.csv"))
    wt = pd.to_datetime(w["timestamp"]).dt.tz_localize("UTC") - pd.Timedelta(hours=1)
    got = tay.reindex(pd.DatetimeIndex(wt))
    if got.isna().any() or not np.array_equal(got.values, w["value"].astype(float).values):
        die("R's taylor and shared/data/timeseries weeks 9-12 differ")
    print(f"prep: taylor from R equals the shared weeks 9-12 file on all {len(w)} rows", file=sys.stderr)
    write(tay, os.path.join(out, "data", "taylor.csv"))
    o = origins(tay.index[0], tay.index[-1], 23)
    rows.append(("taylor", "data/taylor.csv", "MWh", "load", "Europe/London", "", "", o, 0, 0))

    for name, src, kind, tz, lat, lon, grid_from in HOUSEHOLDS:
        s = read(os.path.join(shared, "households", src))
        filled = 0
        if kind == "pv":
            g = read(os.path.join(shared, "households", grid_from))
            grid = pd.date_range(g.index[0], g.index[-1], freq=STEP)
            if s.index[0] < grid[0] or s.index[-1] > grid[-1]:
                die(f"{src}: rows outside its load file's period")
            before = len(s)
            s = s.reindex(grid).fillna(0.0)
            filled = len(s) - before
        grid = pd.date_range(s.index[0], s.index[-1], freq=STEP)
        gaps = len(grid) - len(s)
        write(s, os.path.join(out, "data", name + ".csv"))
        o = origins(s.index[0], s.index[-1], 0)
        rows.append((name, f"data/{name}.csv", "Wh", kind, tz, lat, lon, o, filled, gaps))
        what = f"{filled} absent night rows filled with 0 W" if kind == "pv" else f"{gaps} missing slots left as gaps"
        print(f"prep: {name}: {len(s)} rows, {what}", file=sys.stderr)

    with open(os.path.join(out, "series.tsv"), "w") as f:
        f.write("name\tfile\tunit\tkind\ttz\tlat\tlon\torigins\tpv_zero_filled\tgaps\n")
        for name, file, unit, kind, tz, lat, lon, o, filled, gaps in rows:
            f.write(f"{name}\t{file}\t{unit}\t{kind}\t{tz}\t{lat}\t{lon}\t{','.join(fmt(t) for t in o)}\t{filled}\t{gaps}\n")


if __name__ == "__main__":
    main()
