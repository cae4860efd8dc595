#!/bin/sh
# The hive demo, on the embedded defaults: three Workers' meters (a household,
# one with rooftop PV, one with PV and a battery) get keys and are listed in a
# hive on the Beekeeper's ledger; hive-read simulates one day of each meter;
# each meter signs its 15-minute interval records; the Queen's side verifies
# every record against the meter named in it and the hive's members, a
# tampered copy is caught line by line, and each record gets the hash an
# archive chains on. Runs with the freshly built tools first on PATH.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf '\n== %s\n' "$*"; }
day=2026-06-21T00:00:00Z

say "1. each Worker's meter gets a key (Ethereum keystore v3, scrypt; password from HIVE_PASSWORD)"
HIVE_PASSWORD=demo-only-password
export HIVE_PASSWORD
for w in home pv battery; do
	hive-sign keygen --keystore "$work/$w.json" > "$work/$w.addr"
	echo "$w: $(cat "$work/$w.addr")"
done

say "2. the Beekeeper: a registry ledger, the three meters listed and certified, a hive that pays in EURC"
hive-sign keygen --key "$work/beekeeper.key" > /dev/null
hive-sign keygen --key "$work/building.key" > /dev/null
HIVE_LEDGER=$work/ledger.ndjson
export HIVE_LEDGER
sh "$(dirname "$0")/beekeeper.sh" "$work/beekeeper.key" "$work/building.key" \
	"$(cat "$work/home.addr")" "$(cat "$work/pv.addr")" "$(cat "$work/battery.addr")" > "$work/hive-export.ndjson"
head -n 1 "$work/hive-export.ndjson"
jq -r 'select(.type == "member") | "member \(.meter) \(.status)"' "$work/hive-export.ndjson"
hive-beekeeper hvt supply | jq -r '"HVT: \(.burned) burned, \(.staked) staked (base units)"'
hive-beekeeper verify | jq -r '"ledger verified: \(.events) signed, hash-chained events"'

say "3. hive-read sim: one simulated day per Worker, 10 s readings apportioned into 15-minute intervals"
hive-read sim --seed 1 --start $day --duration 1d --meter "$(cat "$work/home.addr")" \
	--interval 15m --no-readings > "$work/home.ndjson"
hive-read sim --seed 2 --start $day --duration 1d --pv 4 --meter "$(cat "$work/pv.addr")" \
	--interval 15m --no-readings > "$work/pv.ndjson"
hive-read sim --seed 3 --start $day --duration 1d --pv 6 --battery 10 --battery-kw 5 \
	--meter "$(cat "$work/battery.addr")" --interval 15m --no-readings > "$work/battery.ndjson"
for w in home pv battery; do
	awk -v w=$w -F'"energy_wh":' '/"type":"interval"/ { split($2, a, ","); n++; e += a[1] }
		END { printf "%-8s %d intervals, net %+d Wh over the day\n", w, n, e }' "$work/$w.ndjson"
done
sed -n 49p "$work/pv.ndjson"

say "4. hive-sign sign: each meter signs its records (EIP-191 over the RFC 8785 canonical form)"
for w in home pv battery; do
	hive-sign sign --keystore "$work/$w.json" --type interval < "$work/$w.ndjson" > "$work/$w.signed"
done
cat "$work/home.signed" "$work/pv.signed" "$work/battery.signed" > "$work/hive.ndjson"
sed -n 49p "$work/pv.signed"

say "5. the Queen verifies every record against the meter it names, a member of the hive"
members=$(jq -r 'select(.type == "member") | "--signer \(.meter)"' "$work/hive-export.ndjson")
# shellcheck disable=SC2086
hive-sign verify --signer-field meter $members --require-sig < "$work/hive.ndjson" > "$work/verified.ndjson"
echo "$(wc -l < "$work/verified.ndjson") of $(wc -l < "$work/hive.ndjson") records verified"

say "6. a tampered copy: record 20 claims less energy; verify names it and keeps the rest"
awk 'NR == 20 { sub(/"energy_wh":-?[0-9]+/, "\"energy_wh\":1") } { print }' "$work/hive.ndjson" > "$work/tampered.ndjson"
if hive-sign verify --signer-field meter < "$work/tampered.ndjson" > "$work/kept.ndjson"; then
	echo "demo: the tampered record was not caught" >&2
	exit 1
else
	echo "verify exited $? and kept $(wc -l < "$work/kept.ndjson") good records"
fi

say "7. hive-sign hash: keccak256 of each canonical record, what an archive chains on"
hive-sign hash < "$work/verified.ndjson" | tail -n 1 | sed 's/.*"hash":"\([^"]*\)".*/\1/'

echo
echo "demo finished: $(wc -l < "$work/verified.ndjson") signed, verified interval records from 3 simulated Workers"
echo "(the market tools that clear and settle these records — hive-clear, hive-settle — are not built yet)"
