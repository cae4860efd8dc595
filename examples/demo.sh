#!/bin/sh
# The hive demo: one market day on the embedded defaults. Five Workers'
# meters (two households, two with rooftop PV, one with PV and a battery) get
# keys and are listed in a hive on the Beekeeper's ledger; hive-read
# simulates the day of each meter; each meter signs its 15-minute interval
# records; the Queen verifies them, clears every slot under the whitepaper's
# rule with a time-of-use tariff, settles the day in EURC into a signed,
# hash-chained archive, audits it, and shows a tampered reading caught.
# Runs with the freshly built tools first on PATH.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf '\n== %s\n' "$*"; }
day=2026-06-21T00:00:00Z

say "1. each Worker's meter gets a key (Ethereum keystore v3, scrypt; password from HIVE_PASSWORD)"
HIVE_PASSWORD=demo-only-password
export HIVE_PASSWORD
for w in home flat pv roof battery; do
	hive-sign keygen --keystore "$work/$w.json" > "$work/$w.addr"
	echo "$w: $(cat "$work/$w.addr")"
done

say "2. the Beekeeper: a registry ledger, the five meters listed and certified, a hive that pays in EURC"
hive-sign keygen --key "$work/beekeeper.key" > /dev/null
hive-sign keygen --key "$work/building.key" > /dev/null
HIVE_LEDGER=$work/ledger.ndjson
export HIVE_LEDGER
sh "$(dirname "$0")/beekeeper.sh" "$work/beekeeper.key" "$work/building.key" \
	"$(cat "$work/home.addr")" "$(cat "$work/flat.addr")" "$(cat "$work/pv.addr")" "$(cat "$work/roof.addr")" \
	"$(cat "$work/battery.addr")" > "$work/hive-export.ndjson"
head -n 1 "$work/hive-export.ndjson"
jq -r 'select(.type == "member") | "member \(.meter) \(.status)"' "$work/hive-export.ndjson"
hive-beekeeper hvt supply | jq -r '"HVT: \(.burned) burned, \(.staked) staked (base units)"'
hive-beekeeper verify | jq -r '"ledger verified: \(.events) signed, hash-chained events"'

say "3. hive-read sim: one simulated day per Worker, 10 s readings apportioned into 15-minute intervals"
hive-read sim --seed 1 --start $day --duration 1d --meter "$(cat "$work/home.addr")" \
	--interval 15m --no-readings > "$work/home.ndjson"
hive-read sim --seed 7 --start $day --duration 1d --meter "$(cat "$work/flat.addr")" \
	--interval 15m --no-readings > "$work/flat.ndjson"
hive-read sim --seed 2 --start $day --duration 1d --pv 4 --meter "$(cat "$work/pv.addr")" \
	--interval 15m --no-readings > "$work/pv.ndjson"
hive-read sim --seed 5 --start $day --duration 1d --pv 2 --meter "$(cat "$work/roof.addr")" \
	--interval 15m --no-readings > "$work/roof.ndjson"
hive-read sim --seed 3 --start $day --duration 1d --pv 6 --battery 10 --battery-kw 5 \
	--meter "$(cat "$work/battery.addr")" --interval 15m --no-readings > "$work/battery.ndjson"
for w in home flat pv roof battery; do
	awk -v w=$w -F'"energy_wh":' '/"type":"interval"/ { split($2, a, ","); n++; e += a[1] }
		END { printf "%-8s %d intervals, net %+d Wh over the day\n", w, n, e }' "$work/$w.ndjson"
done
sed -n 49p "$work/pv.ndjson"

say "4. hive-forecast: each Worker forecasts the day from its meter's four weeks before (auto picks a model per series by backtest)"
printf '%-9s %-12s %14s %14s %16s\n' Worker model 'forecast net' 'metered net' 'MAE per slot'
for w in home flat pv roof battery; do
	case $w in   # the same meters as in step 3: seed and equipment
	home) seed=1 opts= ;;
	flat) seed=7 opts= ;;
	pv) seed=2 opts="--pv 4" ;;
	roof) seed=5 opts="--pv 2" ;;
	battery) seed=3 opts="--pv 6 --battery 10 --battery-kw 5" ;;
	esac
	# shellcheck disable=SC2086
	hive-read sim --seed "$seed" --start 2026-05-24T00:00:00Z --duration 28d $opts --meter "$(cat "$work/$w.addr")" \
		--interval 15m --no-readings > "$work/$w.history"
	hive-forecast --tz Europe/Zurich --lat 47.38 --lon 8.54 < "$work/$w.history" > "$work/$w.forecast" 2> /dev/null
	jq -rs --arg w "$w" '(map(select(.type == "forecast")) | .[0].series.net_wh) as $f
		| map(select(.type == "interval") | .energy_wh) as $m
		| [range($m | length)] | map(($f.point[.] - $m[.]) | fabs) as $err
		| "\($w | .[0:9] | . + " " * (9 - length)) \($f.model | . + " " * (12 - length)) \("\($f.point | add | round) Wh" | " " * (14 - length) + .) \("\($m | add) Wh" | " " * (14 - length) + .) \("\($err | add / length | round) Wh" | " " * (16 - length) + .)"' \
		"$work/$w.forecast" "$work/$w.ndjson"
done
echo "each forecast record also holds import and export apart, and the 10/50/90 % quantiles of every slot"

say "4b. hive-clear simulate: the flexible Workers plan the day on their forecasts, the Queen steers them to the hive's optimum"
share=$(dirname "$0")/../share
[ -d "$share/assets" ] || share=${HIVE_SHARE:-/usr/local/share/hive}
# The battery Worker's 10 kWh battery, and the roof Worker's EV, dishwasher and PV (share/assets), on their addresses.
jq -c --arg w "$(cat "$work/battery.addr")" 'if .type == "assets" then .worker = $w else . end' \
	"$share/assets/household-battery.ndjson" > "$work/battery.assets"
jq -c --arg w "$(cat "$work/roof.addr")" 'if .type == "assets" then .worker = $w else . end' \
	"$share/assets/household-ev.ndjson" > "$work/roof.assets"
cat "$work"/*.forecast | hive-clear simulate --tariff "$share/tariffs/tou-ch.ndjson" \
	"$work/battery.assets" "$work/roof.assets" > "$work/plan.ndjson"
jq -r 'select(.type == "coordination") | "\(.workers) Workers (\(.flexible) flexible), \(.iterations) iterations, converged: \(.converged)",
	"cost of the day (estimate), every Worker alone: \(.cost_alone / 1e4 | round / 100) EURC; pooled behind one meter: \(.cost_pooled / 1e4 | round / 100); coordinated: \(.cost_coordinated / 1e4 | round / 100)"' \
	"$work/plan.ndjson"
cat "$work"/*.forecast | hive-clear simulate --gap 0.001 --tariff "$share/tariffs/tou-ch.ndjson" \
	"$work/battery.assets" "$work/roof.assets" > "$work/plan-gap.ndjson"
jq -r 'select(.type == "coordination") | "with --gap 0.001: \(.iterations) iterations, the plans proven within \(.proven_gap * 1e4 | round / 100) % of the hive'"'"'s optimum (stopped by the gap: \(.stopped_by_gap))"' \
	"$work/plan-gap.ndjson"
jq -r --arg w "$(cat "$work/battery.addr")" 'select(.type == "bid" and .worker == $w) | .schedules["home-battery"].soc_wh
	| "battery state of charge at 06:00, 12:00, 18:00, 24:00: \(.[23] | round), \(.[47] | round), \(.[71] | round), \(.[95] | round) Wh"' "$work/plan.ndjson"

say "4c. the same day with a receding horizon (simulate --days 1): re-planned every 15 minutes, only each plan's first slot kept"
cat "$work"/*.forecast | hive-clear simulate --days 1 --tariff "$share/tariffs/tou-ch.ndjson" \
	"$work/battery.assets" "$work/roof.assets" > "$work/plan-days.ndjson"
jq -r 'select(.type == "coordination") | "\(.slots) slots committed, \(.iterations) iterations in all (\(.unconverged) plans not converged)",
	"the day as committed: every Worker alone \(.cost_alone / 1e4 | round / 100) EURC; coordinated \(.cost_coordinated / 1e4 | round / 100); surplus \(.surplus / 1e4 | round / 100)"' \
	"$work/plan-days.ndjson"

say "5. hive-sign sign: each meter signs its records (EIP-191 over the RFC 8785 canonical form)"
for w in home flat pv roof battery; do
	hive-sign sign --keystore "$work/$w.json" --type interval < "$work/$w.ndjson" > "$work/$w.signed"
done
cat "$work/home.signed" "$work/flat.signed" "$work/pv.signed" "$work/roof.signed" "$work/battery.signed" \
	> "$work/hive.ndjson"
sed -n 49p "$work/pv.signed"

say "6. the Queen verifies every record against the meter it names, a member of the hive"
members=$(jq -r 'select(.type == "member") | "--signer \(.meter)"' "$work/hive-export.ndjson")
# shellcheck disable=SC2086
hive-sign verify --signer-field meter $members --require-sig < "$work/hive.ndjson" > "$work/verified.ndjson"
echo "$(wc -l < "$work/verified.ndjson") of $(wc -l < "$work/hive.ndjson") records verified"

say "7. a tampered copy: record 20 claims less energy; verify names it and keeps the rest"
awk 'NR == 20 { sub(/"energy_wh":-?[0-9]+/, "\"energy_wh\":1") } { print }' "$work/hive.ndjson" > "$work/tampered.ndjson"
if hive-sign verify --signer-field meter < "$work/tampered.ndjson" > "$work/kept.ndjson"; then
	echo "demo: the tampered record was not caught" >&2
	exit 1
else
	echo "verify exited $? and kept $(wc -l < "$work/kept.ndjson") good records"
fi

say "8. hive-clear: every 15-minute slot cleared (whitepaper discount, Swiss-style time-of-use tariff, 2 % platform fee)"
hive-clear --export "$work/hive-export.ndjson" --tariff "$share/tariffs/tou-ch.ndjson" --platform-fee 200 \
	--rejects "$work/rejects.ndjson" "$work/verified.ndjson" > "$work/clearing.ndjson"
jq -r 'select(.type == "clearing_slot" and .slot == "2026-06-21T10:00:00Z")
	| "slot \(.slot): demand \(.demand_wh) Wh, generation \(.generation_wh) Wh, shared \(.shared_wh) Wh, surplus \(.surplus_mbu) mbu"' \
	"$work/clearing.ndjson"
echo "$(grep -c '"type":"clearing_slot"' "$work/clearing.ndjson") slots cleared, $(grep -c '"type":"clearing"' "$work/clearing.ndjson") Worker clearings"

say "9. hive-settle: the day (in Zurich) settled in whole EURC base units, signed by the Queen (the building owner), archived"
hive-settle --export "$work/hive-export.ndjson" --day 2026-06-21 --tz Europe/Zurich --key "$work/building.key" \
	--archive "$work/settlements.ndjson" --csv "$work/day.csv" "$work/clearing.ndjson" > "$work/settled.ndjson"
jq -r 'select(.scope == "hive") | "Workers pay \(.workers_pay), DSO \(.dso), platform \(.platform_fee), owner keeps \(.owner_keeps) (base units); Σ amounts = DSO + platform + owner",
	"state channels closed: \(.channels_closed) (each meter'"'"'s registers chained over the day; a balance record the Queen signs as EIP-712 typed data)"' \
	"$work/settled.ndjson"

say "10. hive-settle audit: the archive derived again from the signed intervals, tariff and export"
hive-settle audit --export "$work/hive-export.ndjson" --tariff "$share/tariffs/tou-ch.ndjson" \
	--archive "$work/settlements.ndjson" "$work/verified.ndjson"
awk 'NR == 30 { sub(/"energy_wh":-?[0-9]+/, "\"energy_wh\":9999") } { print }' "$work/verified.ndjson" > "$work/altered.ndjson"
if hive-settle audit --export "$work/hive-export.ndjson" --tariff "$share/tariffs/tou-ch.ndjson" \
	--archive "$work/settlements.ndjson" "$work/altered.ndjson" 2> "$work/audit.err"; then
	echo "demo: the altered reading was not caught" >&2
	exit 1
fi
echo "one altered reading: $(cut -c1-160 "$work/audit.err")..."

say "11. the day's bills in EURC: each Worker alone against in the hive (negative: paid to the Worker)"
for w in home flat pv roof battery; do echo "$(cat "$work/$w.addr") $w"; done > "$work/names"
# Base units to EURC by string operations only: no floating point touches money.
jq -r --rawfile names "$work/names" '
	def pad: if length < 7 then "0" + . | pad else . end;
	def eurc: (if startswith("-") then "-" else "" end) as $s | ltrimstr("-") | pad
		| "\($s)\(.[:-6]).\(.[-6:])";
	def right(n): if length < n then " " + . | right(n) else . end;
	def left(n): if length < n then . + " " | left(n) else . end;
	($names | split("\n") | map(select(. != "") | split(" ") | {(.[0]): .[1]}) | add) as $who
	| select(.type == "settlement")
	| if .scope == "worker" then
		"\($who[.worker] // .worker | left(9))\(.standalone | eurc | right(11))\(.amount | eurc | right(13))\(.saving | eurc | right(10))"
	  else
		"\nthe hive: Workers pay \(.workers_pay | eurc); the DSO gets \(.dso | eurc), the platform \(.platform_fee | eurc), the owner keeps \(.owner_keeps | eurc)"
	  end' "$work/settled.ndjson" | { printf '%-9s%11s%13s%10s\n' Worker alone 'in the hive' saving; cat; }
echo
echo "demo finished: 5 simulated Workers read, signed, cleared every 15 minutes, settled for the day and audited"
