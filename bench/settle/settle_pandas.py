#!/usr/bin/python3
"""hive-settle's amounts in pandas, for the benchmark in bench/settle/run.

    settle_pandas.py [--read-json] EXPORT FROM TO CLEARING > amounts.ndjson

Reads the "clearing" and "clearing_slot" records hive-clear writes (CLEARING,
NDJSON) for the hive of EXPORT (its hive_export record) and settles the
period [FROM, TO) (RFC 3339, UTC, "2026-06-21T00:00:00Z") with the rounding
of lib/settle.h, exactly:

    standalone_i = ceil(C_i / 1000)        C_i = the Worker's stand-alone mbu
    W            = ceil(sum X_i / 1000)    X_i = the Worker's payments, mbu
    amount_i     = floor(X_i / 1000), plus one unit for the W - sum floor(X_i/1000)
                   largest remainders X_i mod 1000, ties to the lower address
                   (byte order of the 20 bytes = order of the lower-case hex)
    saving_i     = standalone_i - amount_i
    dso          = ceil(C_hive / 1000), platform = floor(F_platform / 1000),
    owner_keeps  = W - dso - platform

(no bids here, so no reputation charges: amount = market amount), and,
where the records carry the meters' registers (register_import_wh,
register_export_wh with the slot's import_wh and export_wh), each Worker's
chain of registers as settle.h checks it for its state channel: in time
order a register never decreases and advances by exactly the slot's energy
from one slot to the next (across missing slots it must not go back); for a
chain that holds, its first and last nonce (slot index), slots, gaps and
opening and closing registers, which hive-settle's balance record carries.
Before
that it checks what hive-settle checks of the input: one clearing_slot per
slot, all slots cleared under the same parameters, one clearing record per
Worker the slot names and none twice, each record's energy split adds up and
its payment is at most its stand-alone cost, and per slot the payments add
up to the hive's cost plus the fees and the stand-alone costs minus the
hive's cost to the surplus. (It does not check EIP-55 address checksums:
Python has no keccak256 in its standard library.)

Integers: the amounts are decimal strings; they are read into int64
columns, which is exact only when no sum can overflow. The script checks a
bound that guarantees it (the largest magnitude times the number of records
stays below 2^63) and refuses the input otherwise; for one day of 10,000
Workers in a 6-decimal coin the largest sum is about 10^13 mbu.

The records are read line by line with the json module into columns (the
faster way found), or with --read-json by pandas.read_json(lines=True).

Writes one JSON line per Worker (by address) with standalone, amount and
saving (and its channel's fields), then one for the hive with workers_pay,
dso, platform_fee and owner_keeps, amounts as decimal strings as hive-settle
writes them. On stderr: how the largest-remainder step's tie rule decided.
"""
import json
import sys

import numpy as np
import pandas as pd

INT64_MAX = 2**63 - 1


def fail(msg):
    sys.exit(f"settle_pandas: {msg}")


REC_FIELDS = ("hive", "slot", "worker", "metered", "energy_wh", "from_community_wh", "from_grid_wh",
              "to_community_wh", "to_grid_wh", "standalone_mbu", "payment_mbu")
# The state-channel fields a metered Worker's record carries when its meter reports its registers.
CHANNEL_FIELDS = ("import_wh", "export_wh", "register_import_wh", "register_export_wh")


def read_lines(path):
    """The clearing records as columns and the clearing_slot records as rows, by the json module line by line."""
    cols = {k: [] for k in REC_FIELDS + CHANNEL_FIELDS}
    items = tuple((k, cols[k]) for k in REC_FIELDS)
    optional = tuple((k, cols[k]) for k in CHANNEL_FIELDS)
    slots = []
    loads = json.loads
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = loads(line)
            t = r.get("type")
            if t == "clearing":
                try:
                    for k, v in items:
                        v.append(r[k])
                except KeyError as e:
                    fail(f"a clearing record without {e}")
                for k, v in optional:
                    v.append(r.get(k))
            elif t == "clearing_slot":
                slots.append(r)
    return pd.DataFrame(cols), pd.DataFrame(slots)


def read_json(path):
    """The same by pandas.read_json: every record in one frame, then split by type."""
    df = pd.read_json(path, lines=True, dtype=False, convert_dates=False)
    rec = df[df["type"] == "clearing"]
    if rec[list(REC_FIELDS)].isna().any().any():
        fail("a clearing record without one of its fields")
    for k in CHANNEL_FIELDS:
        if k not in rec.columns:
            rec = rec.assign(**{k: None})
    return rec, df[df["type"] == "clearing_slot"]


def slot_times(frame):
    """The UTC time of each record's slot; each distinct text is parsed once."""
    text = frame["slot"].astype("category")
    times = pd.Series(pd.to_datetime(text.cat.categories, format="%Y-%m-%dT%H:%M:%SZ", utc=True),
                      index=text.cat.categories)
    return text.map(times).astype("datetime64[ns, UTC]")


def channels(rec, step_ms):
    """Each Worker's chain of registers over the period, as settle.h says: in time order, a register
    never decreases and advances by the slot's energy from one slot to the next (across missing slots
    it must not go back). Returns, per Worker whose chain holds, the first and last nonce, the slots
    chained, the gaps and the opening and closing registers (a frame indexed like the Workers), or
    None when no record carries registers. Only meters that report both registers in every metered
    slot, or none, are handled here (what the benchmark's input has)."""
    cols = ["register_import_wh", "register_export_wh", "import_wh", "export_wh"]
    m = rec[rec["metered"] == True]  # noqa: E712
    present = m[cols].notna()
    if not present.to_numpy().any():
        return None
    if not present.to_numpy().all():
        fail("a metered record without all four register fields: not handled by this script")
    c = m[["key", "t"] + cols].astype({k: "int64" for k in cols})
    if (c[cols] < 0).to_numpy().any():
        fail("a negative register or register energy")
    c = c.sort_values("t", kind="stable")
    g = c.groupby("key", sort=False)
    prev = g[["t", "register_import_wh", "register_export_wh"]].shift()
    has_prev = prev["t"].notna()
    # Slots since the chained slot before (1: the next slot); NaN for a Worker's first slot.
    span = (c["t"] - prev["t"]).dt.total_seconds() * 1000 / step_ms
    broken = pd.Series(False, index=c.index)
    for reg, part in (("register_import_wh", "import_wh"), ("register_export_wh", "export_wh")):
        p = prev[reg]
        broken |= has_prev & ((c[reg] < p) | ((span == 1) & (c[reg] != p + c[part])) |
                              ((span != 1) & (c[reg] - c[part] < p)))
    c["gaps"] = (span.fillna(1) - 1).astype("int64")
    c["broken"] = broken
    first, last = g.head(1).set_index("key"), g.tail(1).set_index("key")
    per = pd.DataFrame({
        "first_nonce": first["t"].astype("int64") // 10**6 // step_ms,
        "last_nonce": last["t"].astype("int64") // 10**6 // step_ms,
        "chained_slots": g.size(),
        "gaps": g["gaps"].sum(),
        "opening_import_wh": first["register_import_wh"] - first["import_wh"],
        "closing_import_wh": last["register_import_wh"],
        "opening_export_wh": first["register_export_wh"] - first["export_wh"],
        "closing_export_wh": last["register_export_wh"],
        "broken": g["broken"].any(),
    })
    if per["broken"].any():
        print(f"settle_pandas: {int(per['broken'].sum())} broken channels", file=sys.stderr)
    return per[~per["broken"]].drop(columns="broken")


def main():
    args = sys.argv[1:]
    reader = read_lines
    if args[:1] == ["--read-json"]:
        reader = read_json
        args = args[1:]
    if len(args) != 4:
        fail("usage: settle_pandas.py [--read-json] EXPORT FROM TO CLEARING")
    export, t_from, t_to, path = args
    with open(export) as f:
        header = json.loads(f.readline())
    if header.get("type") != "hive_export":
        fail(f"{export}: the first record is not hive_export")
    hive = header["hive"]
    t_from = pd.Timestamp(t_from)
    t_to = pd.Timestamp(t_to)

    # The records as strings and plain numbers (no type guessing: the
    # amounts must stay exact decimal strings until they are converted).
    rec, slots = reader(path)
    if len(slots) == 0:
        fail("no clearing records in the period")
    if (rec["hive"] != hive).any() or (slots["hive"] != hive).any():
        fail("a record of another hive than the export's")
    rec = rec.assign(t=slot_times(rec))
    slots = slots.assign(t=slot_times(slots))
    rec = rec[(rec["t"] >= t_from) & (rec["t"] < t_to)]
    slots = slots[(slots["t"] >= t_from) & (slots["t"] < t_to)]

    if len(slots) == 0:
        fail("no clearing records in the period")
    if slots["t"].duplicated().any():
        fail("a second clearing_slot record for the same slot")
    params = ["rule", "platform_fee_bps", "platform_fee_basis", "owner_fee_bps", "owner_fee_basis",
              "missing_policy", "tariff", "seconds"]
    if len(slots[params].drop_duplicates()) != 1:
        fail("slots cleared under other parameters than the period's other slots")
    step_ms = int(slots["seconds"].iloc[0]) * 1000
    if not (slots["cleared"] == True).all():  # noqa: E712 (a JSON true, not any truthy value)
        fail("an uncleared slot (not in this benchmark's input)")

    amounts = ["standalone_mbu", "payment_mbu"]
    slot_amounts = ["hive_cost_mbu", "surplus_mbu", "platform_fee_mbu", "owner_fee_mbu"]
    rec = rec[["t", "worker", "metered", "energy_wh", "from_community_wh", "from_grid_wh", "to_community_wh",
               "to_grid_wh"] + list(CHANNEL_FIELDS) + amounts].copy()
    slots = slots[["t", "workers"] + slot_amounts].copy()
    for frame, cols in ((rec, amounts), (slots, slot_amounts)):
        for c in cols:
            s = frame[c]
            if not s.str.fullmatch(r"-?(0|[1-9][0-9]{0,17})").all():
                fail(f"'{c}': not a decimal string that fits int64")
            frame[c] = s.astype("int64")
    bound = max(int(np.abs(rec[amounts].to_numpy()).max()), int(np.abs(slots[slot_amounts].to_numpy()).max()))
    if bound * (len(rec) + len(slots)) > INT64_MAX:
        fail("amounts too large for exact int64 sums")

    for c in ("energy_wh", "from_community_wh", "from_grid_wh", "to_community_wh", "to_grid_wh"):
        if rec[c].isna().any() or (rec[c] != rec[c].round()).any():
            fail(f"a missing or malformed '{c}'")
        rec[c] = rec[c].astype("int64")

    # Each record: the energy split adds up, the payment is at most stand-alone.
    e = rec["energy_wh"]
    fc, fg, tc, tg = (rec[c] for c in ("from_community_wh", "from_grid_wh", "to_community_wh", "to_grid_wh"))
    if ((fc < 0) | (fg < 0) | (tc < 0) | (tg < 0)).any() or \
            ((fc + fg) != e.clip(lower=0)).any() or ((tc + tg) != (-e).clip(lower=0)).any():
        fail("an energy split that does not add up to 'energy_wh'")
    if (rec["payment_mbu"] > rec["standalone_mbu"]).any():
        fail("a payment above the stand-alone cost")
    if rec.duplicated(["t", "worker"]).any():
        fail("a second clearing record for the same Worker and slot")

    # Each slot: one record per Worker, payments and surplus add up.
    per_slot = rec.groupby("t").agg(seen=("worker", "size"), paid=("payment_mbu", "sum"),
                                    standalone=("standalone_mbu", "sum"))
    s = slots.set_index("t").join(per_slot, how="outer")
    if s["workers"].isna().any():
        fail("clearing records without their slot's clearing_slot record")
    if (s["seen"].fillna(0) != s["workers"]).any():
        fail("a slot's clearing records are not one for each of its Workers")
    if (s["paid"] != s["hive_cost_mbu"] + s["platform_fee_mbu"] + s["owner_fee_mbu"]).any():
        fail("the Workers' payments do not add up to the hive's cost plus the fees")
    if (s["standalone"] - s["hive_cost_mbu"] != s["surplus_mbu"]).any():
        fail("the stand-alone costs minus the hive's cost are not the slot's surplus")

    # The period per Worker, in address order, rounded as settle.h says.
    rec["key"] = rec["worker"].str.lower()
    w = rec.groupby("key").agg(worker=("worker", "first"), C=("standalone_mbu", "sum"), X=("payment_mbu", "sum"))
    w = w.sort_index()
    standalone = -((-w["C"]) // 1000)
    floor, rem = w["X"] // 1000, w["X"] % 1000
    total_x = int(w["X"].sum())
    workers_pay = -((-total_x) // 1000)
    left = workers_pay - int(floor.sum())
    if not 0 <= left <= len(w):
        fail("rounding: units left over out of range")
    # w is in address order, so a stable sort by remainder (largest first) breaks ties to the lower address.
    order = np.argsort(-rem.to_numpy(), kind="stable")
    extra = np.zeros(len(w), dtype="int64")
    extra[order[:left]] = 1
    amount = floor + extra
    if 0 < left < len(w):
        # What the tie rule decided: Workers with the remainder at the cut, and how many of them got a unit.
        cut = rem.to_numpy()[order[left - 1]]
        tied = rem.to_numpy() == cut
        print(f"settle_pandas: {left} units handed out by largest remainder; {int(tied.sum())} Workers share the "
              f"remainder at the cut ({cut} mbu), {int(extra[tied].sum())} of them by the lower address",
              file=sys.stderr)
    saving = standalone - amount

    dso = -((-int(s["hive_cost_mbu"].sum())) // 1000)
    platform = int(s["platform_fee_mbu"].sum()) // 1000
    owner_keeps = workers_pay - dso - platform
    if owner_keeps < int(s["owner_fee_mbu"].sum()) // 1000:
        fail("the owner keeps less than its fee")

    out = pd.DataFrame({"worker": w["worker"], "standalone": standalone.astype(str),
                        "amount": amount.astype(str), "saving": saving.astype(str)})
    chan = channels(rec, step_ms)
    if chan is not None:
        out = out.join(chan)
    sys.stdout.write(out.to_json(orient="records", lines=True))
    sys.stdout.write("\n")
    json.dump({"scope": "hive", "workers_pay": str(workers_pay), "dso": str(dso), "platform_fee": str(platform),
               "owner_keeps": str(owner_keeps)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
