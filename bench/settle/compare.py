#!/usr/bin/python3
"""compare.py SETTLEMENT PANDAS: hive-settle's output against settle_pandas.py's.
Every Worker's standalone, amount and saving and the hive's workers_pay, dso,
platform_fee and owner_keeps must be equal, with the same Workers in the same
order; where hive-settle closed state channels, its balance records must be
for the Workers whose chains pandas found whole, with the same nonces, slots,
gaps, registers and amount. Any difference is printed and the exit status is 1."""
import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    settled, pandas = load(sys.argv[1]), load(sys.argv[2])
    bad = []
    hw = [r for r in settled if r.get("scope") == "worker"]
    hh = [r for r in settled if r.get("scope") == "hive"]
    pw = [r for r in pandas if r.get("scope") != "hive"]
    ph = [r for r in pandas if r.get("scope") == "hive"]
    if len(hh) != 1 or len(ph) != 1:
        bad.append(f"hive records: {len(hh)} from hive-settle, {len(ph)} from pandas (one each expected)")
    if [r["worker"] for r in hw] != [r["worker"] for r in pw]:
        bad.append(f"not the same Workers in the same order ({len(hw)} from hive-settle, {len(pw)} from pandas)")
    else:
        for a, b in zip(hw, pw):
            for k in ("standalone", "amount", "saving"):
                if a[k] != b[k]:
                    bad.append(f"{a['worker']} {k}: hive-settle {a[k]}, pandas {b[k]}")
    # Balance records (state channels): one per Worker whose chain of registers holds.
    balances = {r["worker"]: r for r in settled if r.get("type") == "balance"}
    chained = {r["worker"]: r for r in pw if r.get("first_nonce") is not None}
    if set(balances) != set(chained):
        bad.append(f"balance records for {len(balances)} Workers from hive-settle, channels of {len(chained)} "
                   f"from pandas, not the same Workers")
    else:
        amounts = {r["worker"]: r["amount"] for r in pw}
        for who, b in balances.items():
            if b["amount"] != amounts[who]:
                bad.append(f"{who} balance amount: hive-settle {b['amount']}, pandas {amounts[who]}")
            for k in ("first_nonce", "last_nonce", "chained_slots", "gaps", "opening_import_wh",
                      "closing_import_wh", "opening_export_wh", "closing_export_wh"):
                if b[k] != chained[who][k]:
                    bad.append(f"{who} balance {k}: hive-settle {b[k]}, pandas {chained[who][k]}")
    if len(hh) == 1 and len(ph) == 1:
        for k in ("workers_pay", "dso", "platform_fee", "owner_keeps"):
            if hh[0][k] != ph[0][k]:
                bad.append(f"hive {k}: hive-settle {hh[0][k]}, pandas {ph[0][k]}")
    if bad:
        for line in bad[:50]:
            print(f"compare: MISMATCH {line}", file=sys.stderr)
        print(f"compare: {len(bad)} mismatches", file=sys.stderr)
        sys.exit(1)
    print(f"compare: {len(hw)} Workers (standalone, amount, saving), {len(balances)} balance records (nonces, "
          f"slots, gaps, opening and closing registers, amount) and the hive's workers_pay, dso, platform_fee, "
          f"owner_keeps: all equal")


if __name__ == "__main__":
    main()
