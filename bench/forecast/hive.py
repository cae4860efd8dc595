#!/usr/bin/python3
"""The hive side of the forecasting benchmark: hive-forecast on one series, at
the origins listed in series.tsv (prep.py), written in the format of
models.R's output so that compare.py scores both sides with the same code.

Usage: hive.py OUT_DIR SERIES MODELS OUT.csv
  MODELS: comma-separated hive-forecast models (auto,snaive-day,...)
  hive-read and hive-forecast are taken from PATH.

- The series' CSV (mean power per half-hour; MW for taylor, which hive-read
  is told is W, so its "Wh" are MWh) goes once through
      hive-read csv --kind power --unit W --step 30m --import value FILE
  into interval records with whole Wh per slot (exact carry). Absent rows
  (the gaps of the load files) become hive-read gap events, not intervals.
- For each origin, hive-forecast gets on standard input the interval records
  of the 8 weeks before the origin (start in [origin - 56 d, origin)), the
  window models.R fits on, and is run as
      hive-forecast --model M --step 30m --horizon 24h --start ORIGIN
                    --quantiles 10,50,90 --tz ZONE [--lat DEG --lon DEG]
  with --lat/--lon for the PV series only (for every model, so that auto
  may consider clearsky).
- A call's time is the wall time of the whole process (time.perf_counter
  around subprocess.run): start-up, reading the records, the fit(s), the
  output.
- The forecast used is series.import_wh: point, q10, q50, q90 (Wh per slot);
  its "model" (what made the forecast: auto's pick, or a fallback) is kept
  as "used", its warnings and outliers, if any, as the note.
  A call that fails, or whose output is not one forecast record of 48
  slots starting at the origin, is written with empty values and the reason
  in the note, and reported on standard error.
"""
import datetime
import json
import os
import subprocess
import sys
import time

H = 48
STEP = 1800
WINDOW = datetime.timedelta(days=56)


def die(msg):
    print("hive.py: " + msg, file=sys.stderr)
    sys.exit(1)


def parse_t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def fmt_t(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def series_info(out, name):
    with open(os.path.join(out, "series.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(head, line.rstrip("\n").split("\t")))
            if row["name"] == name:
                return row
    die(f"no series {name} in series.tsv")


def csvnum(x):
    return "" if x is None else repr(float(x))


def main():
    if len(sys.argv) != 5:
        die("usage: hive.py OUT_DIR SERIES MODELS OUT.csv")
    out, name, models, outfile = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
    info = series_info(out, name)
    work = os.path.join(out, "hive")
    os.makedirs(work, exist_ok=True)

    # The whole series as interval records, once.
    nd = os.path.join(work, name + ".ndjson")
    with open(nd, "w") as f, open(nd + ".err", "w") as err:
        rc = subprocess.run(["hive-read", "csv", "--kind", "power", "--unit", "W", "--step", "30m", "--import", "value",
                             os.path.join(out, info["file"])], stdout=f, stderr=err).returncode
    if rc != 0:
        die(f"hive-read csv failed on {info['file']} (exit {rc}, see {nd}.err)")
    intervals = []
    events = 0
    with open(nd) as f:
        for line in f:
            r = json.loads(line)
            if r.get("type") == "interval":
                intervals.append((parse_t(r["start"]), line))
            else:
                events += 1
    print(f"hive.py: {name}: hive-read wrote {len(intervals)} interval records and {events} other records",
          file=sys.stderr)

    extra = ["--tz", info["tz"]]
    if info["kind"] == "pv":
        extra += ["--lat", info["lat"], "--lon", info["lon"]]

    origins = [parse_t(s) for s in info["origins"].split(",")]
    windows = {}
    for o in origins:
        path = os.path.join(work, f"{name}-{fmt_t(o)}.ndjson")
        with open(path, "w") as f:
            n = 0
            for t, line in intervals:
                if o - WINDOW <= t < o:
                    f.write(line)
                    n += 1
        windows[o] = (path, n)

    rows = []
    failures = 0
    for model in models:
        for o in origins:
            path, n = windows[o]
            cmd = ["hive-forecast", "--model", model, "--step", "30m", "--horizon", "24h", "--start", fmt_t(o),
                   "--quantiles", "10,50,90"] + extra
            with open(path, "rb") as stdin:
                t = time.perf_counter()
                p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                secs = time.perf_counter() - t
            err = p.stderr.decode(errors="replace").strip().replace("\n", " | ").replace(",", ";")
            vals, used, note = None, "", ""
            if p.returncode != 0:
                note = f"error: exit {p.returncode}: {err}"
            else:
                try:
                    recs = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
                    fc = [r for r in recs if r.get("type") == "forecast"]
                    if len(fc) != 1:
                        raise ValueError(f"{len(fc)} forecast records")
                    r = fc[0]
                    if r.get("start") != fmt_t(o) or r.get("step") != STEP or r.get("horizon") != H * STEP:
                        raise ValueError(f"start/step/horizon {r.get('start')}/{r.get('step')}/{r.get('horizon')}")
                    s = r["series"]["import_wh"]
                    vals = {k: s.get(k) for k in ("point", "q10", "q50", "q90")}
                    for k, v in vals.items():
                        if v is not None and len(v) != H:
                            raise ValueError(f"{k} has {len(v)} values")
                    if vals["point"] is None:
                        raise ValueError("no point forecast")
                    # The record's model is the one asked; the series' own, what made it (auto's pick,
                    # or a fallback).
                    used = str(s.get("model", r.get("model", ""))).replace(",", ";")
                    said = {k: s[k] for k in ("warnings", "outliers") if s.get(k)}
                    if said:
                        note = json.dumps(said, separators=(";", ":")).replace(",", ";")
                    if err:
                        note = (note + " " if note else "") + "stderr: " + err
                except (ValueError, KeyError, TypeError) as e:
                    vals = None
                    note = f"error: unexpected output: {e}".replace(",", ";")
            if vals is None:
                failures += 1
                print(f"hive.py: {name} {model} {fmt_t(o)}: failed: {note}", file=sys.stderr)
            print(f"hive.py: {name} {model:11s} {fmt_t(o)} {secs:7.3f} s  {n} records in  {used} {note}",
                  file=sys.stderr)
            for i in range(H):
                st = o + datetime.timedelta(seconds=i * STEP)
                get = (lambda k: None if vals is None or vals[k] is None else vals[k][i])
                rows.append(",".join(["hive", name, model, fmt_t(o), fmt_t(st), csvnum(get("point")),
                                      csvnum(get("q10")), csvnum(get("q50")), csvnum(get("q90")),
                                      f"{secs:.4f}", used, note]))
    with open(outfile + ".tmp", "w") as f:
        f.write("side,series,model,origin,slot_time,point,q10,q50,q90,seconds,used,note\n")
        f.write("\n".join(rows) + "\n")
    os.replace(outfile + ".tmp", outfile)
    if failures:
        print(f"hive.py: {name}: {failures} hive-forecast calls failed (written with empty forecasts)", file=sys.stderr)


if __name__ == "__main__":
    main()
