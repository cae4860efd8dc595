#!/usr/bin/python3
"""Scores the forecasts of both sides of the forecasting benchmark with one
piece of code.

Usage: compare.py OUT_DIR [--md TABLE.md] FORECASTS.csv...

FORECASTS.csv: side,series,model,origin,slot_time,point,q10,q50,q90,seconds,used,note
(models.R and hive.py write it; an empty value is a missing one). The actual
values are not taken from those files but from the series themselves
(OUT_DIR/series.tsv and the CSVs prep.py wrote): the mean power over each
half-hour times 0.5 h, i.e. Wh per slot (MWh for taylor), with gaps (the
load files' absent rows) left out of every measure, as lib/fcmetrics does.

Per series × side × model, over the 7 origins × 48 slots:
  MAE, RMSE        of the point forecast
                   (every forecast value, point and quantiles, of either side is
                   clamped at 0 first: an energy per slot is never negative;
                   hive-forecast clamps its own, R's models do not, and the
                   output lists how many of R's were below 0 and the MAE
                   without clamping)
  MASE             MAE / the in-sample MAE of the previous-day seasonal naive
                   (lag 48) on the series' whole history before the FIRST
                   origin (pairs where both values are known)
  pinball          mean pinball loss over the 10, 50 and 90 % quantiles
                   (q50 = the point forecast where q50 is empty); "-" when a
                   model gives no q10/q90 (R's dshw)
  cover            share of actual values in [q10, q90] (aim: 80 %)
  s/fit            mean wall seconds per fit (per origin call for hive)
A fit that failed (empty point forecast) is left out and counted in "failed".
"""
import collections
import math
import os
import sys

import numpy as np
import pandas as pd

DAY = 48


def die(msg):
    print("compare.py: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    md = None
    if len(args) >= 2 and args[1] == "--md":
        md = args[2]
        del args[1:3]
    if len(args) < 2:
        die("usage: compare.py OUT_DIR [--md TABLE.md] FORECASTS.csv...")
    out, files = args[0], args[1:]
    info = pd.read_csv(os.path.join(out, "series.tsv"), sep="\t", dtype=str, keep_default_na=False)

    fc = pd.concat([pd.read_csv(f, dtype={"used": str, "note": str}, keep_default_na=False,
                                na_values={c: [""] for c in ("point", "q10", "q50", "q90", "seconds")})
                    for f in files], ignore_index=True)
    for c in ("point", "q10", "q50", "q90", "seconds"):
        fc[c] = pd.to_numeric(fc[c])
    fc["slot_time"] = pd.to_datetime(fc["slot_time"], utc=True)

    rows = []
    for _, s in info.iterrows():
        d = pd.read_csv(os.path.join(out, s["file"]))
        d["timestamp"] = pd.to_datetime(d["timestamp"], utc=True)
        grid = pd.date_range(d["timestamp"].iloc[0], d["timestamp"].iloc[-1], freq="30min")
        y = (d.set_index("timestamp")["value"] * 0.5).reindex(grid)   # energy per slot, NaN = gap
        origins = pd.to_datetime(s["origins"].split(","), utc=True)
        hist = y[y.index < origins[0]].values
        diff = np.abs(hist[DAY:] - hist[:-DAY])
        scale = float(np.nanmean(diff)) if np.isfinite(diff).any() else math.nan
        mine = fc[fc["series"] == s["name"]]
        if mine.empty:
            print(f"compare.py: no forecasts for {s['name']}", file=sys.stderr)
            continue
        want = {(o, o + pd.Timedelta(minutes=30 * i)) for o in origins for i in range(DAY)}
        for (side, model), g in mine.groupby(["side", "model"], sort=False):
            got = set(zip(pd.to_datetime(g["origin"], utc=True), g["slot_time"]))
            if got != want or len(g) != len(want):
                die(f"{s['name']} {side} {model}: its slots are not the 7 origins × 48 of series.tsv")
            a = y.reindex(g["slot_time"]).values
            # Energies per slot of an import register are never negative: every forecast, of either
            # side, is clamped at 0 before it is scored (hive-forecast clamps its own; R does not).
            raw = g["point"].values
            p = np.maximum(raw, 0)
            q50 = np.maximum(np.where(np.isnan(g["q50"].values), raw, g["q50"].values), 0)
            q10, q90 = np.maximum(g["q10"].values, 0), np.maximum(g["q90"].values, 0)
            per_origin = g.groupby("origin", sort=False).agg(ok=("point", lambda v: v.notna().all()),
                                                            seconds=("seconds", "first"),
                                                            used=("used", "first"))
            failed = int((~per_origin["ok"]).sum())
            ok = ~np.isnan(a) & ~np.isnan(p)
            n = int(ok.sum())
            r = dict(series=s["name"], unit=s["unit"], side=side, model=model, n=n, gaps=int(np.isnan(a).sum()),
                     failed=failed, scale=scale)
            if n:
                e = a[ok] - p[ok]
                r["mae"] = float(np.mean(np.abs(e)))
                r["rmse"] = float(math.sqrt(np.mean(e * e)))
                r["mase"] = r["mae"] / scale if scale > 0 else math.nan
                r["negative"] = float(np.mean(raw[ok] < 0))
                r["mae_raw"] = float(np.mean(np.abs(a[ok] - raw[ok])))
                if np.isnan(q10[ok]).any() or np.isnan(q90[ok]).any():
                    r["pinball"] = r["cover"] = math.nan
                else:
                    loss = 0.0
                    for tau, q in ((0.1, q10[ok]), (0.5, q50[ok]), (0.9, q90[ok])):
                        u = a[ok] - q
                        loss += float(np.mean(np.where(u >= 0, tau * u, (tau - 1) * u)))
                    r["pinball"] = loss / 3
                    r["cover"] = float(np.mean((a[ok] >= q10[ok]) & (a[ok] <= q90[ok])))
            else:
                r.update(mae=math.nan, rmse=math.nan, mase=math.nan, pinball=math.nan, cover=math.nan)
            good = per_origin[per_origin["ok"]]
            r["secs"] = float(good["seconds"].mean()) if len(good) else math.nan
            used = collections.Counter(u for u in good["used"] if u)
            r["used"] = "; ".join(f"{k} ×{v}" if v > 1 else k for k, v in used.most_common())
            notes = sorted({x for x in g["note"] if x})
            r["notes"] = " | ".join(notes)
            rows.append(r)

    order = {m: i for i, m in enumerate(["auto", "snaive-day", "snaive-week", "dshw", "dshw-log", "stlf-ets",
                                          "tbats", "linear", "combo", "clearsky"])}
    series_order = {n: i for i, n in enumerate(info["name"])}
    rows.sort(key=lambda r: (series_order[r["series"]], r["side"] != "R", order.get(r["model"], 99), r["model"]))

    def f(x, spec):
        return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)

    cols = [("series", 12, "s"), ("unit", 4, "s"), ("side", 4, "s"), ("model", 11, "s"), ("n", 4, "d"),
            ("mae", 9, ".1f"), ("rmse", 9, ".1f"), ("mase", 6, ".3f"), ("pinball", 8, ".2f"),
            ("cover", 6, ".1%"), ("secs", 8, ".3f"), ("failed", 6, "d")]
    head = " ".join(f"{(c if c != 'secs' else 's/fit'):>{w}}" if fmt_ != "s" else f"{c:<{w}}" for c, w, fmt_ in cols)
    print(head)
    for r in rows:
        print(" ".join(f"{f(r[c], fmt_):>{w}}" if fmt_ != "s" else f"{r[c]:<{w}}" for c, w, fmt_ in cols))
    print("unit: energy per 30-min slot (mean power × 0.5 h); MASE scale per series (seasonal naive lag 48, "
          "history before the first origin): " +
          ", ".join(f"{s} {sc:.1f}" for s, sc in dict((r["series"], r["scale"]) for r in rows).items()))
    for r in rows:
        # What made the forecasts, where it says more than the model's name: hive's auto picks and
        # fallbacks; R's fitted ETS and TBATS forms and dshw's offset.
        if r["used"] and r["used"] != r["model"] + (f" ×{7 - r['failed']}" if 7 - r["failed"] > 1 else "") and \
                (r["side"] == "hive" or r["model"] in ("stlf-ets", "tbats", "dshw")):
            print(f"{r['series']} {r['side']} {r['model']}: made by {r['used'][:400]}")
    for r in rows:
        if r.get("negative", 0) > 0:
            print(f"{r['series']} {r['side']} {r['model']}: {r['negative']:.0%} of its point forecasts were below 0 "
                  f"(clamped); MAE without clamping {r['mae_raw']:.1f}")
    for r in rows:
        if r["notes"]:
            print(f"{r['series']} {r['side']} {r['model']}: {r['notes'][:300]}")

    if md:
        with open(md, "w") as out_md:
            out_md.write("| series | side | model | MAE | RMSE | MASE | pinball | 10–90 % cover | s per fit |\n")
            out_md.write("|---|---|---|---:|---:|---:|---:|---:|---:|\n")
            for r in rows:
                name = r["model"] + (f" ({r['failed']} failed)" if r["failed"] else "")
                out_md.write(f"| {r['series']} ({r['unit']}) | {r['side']} | {name} | {f(r['mae'], '.1f')} | "
                             f"{f(r['rmse'], '.1f')} | {f(r['mase'], '.3f')} | {f(r['pinball'], '.2f')} | "
                             f"{f(r['cover'], '.1%')} | {f(r['secs'], '.3f')} |\n")


if __name__ == "__main__":
    main()
