#!/usr/bin/env bats
# hive-settle: a period's clearing records settled per Worker in whole base
# units of the hive's stablecoin, conserved to the unit, signed, hash-chained
# into an archive; and the audit that derives the archive again.
load market

setup_file() { market_keys; }
setup() {
	market_setup
	deficit_slot > "$T/in.ndjson"
	hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" "$T/in.ndjson" > "$T/clear.ndjson"
}

DAY=(--from 2026-06-21T00:00:00Z --to 2026-06-22T00:00:00Z)
settle() { hive-settle --export "$T/export.ndjson" "$@"; }
hive_field() { jq -r --arg f "$2" 'select(.scope == "hive") | .[$f]' "$1"; }

@test "--help, --version and usage errors" {
	run -0 hive-settle --help
	assert_output --partial "hive-settle audit --export FILE [--export FILE]... --tariff FILE --archive FILE"
	run -0 hive-settle --version
	run -2 hive-settle "${DAY[@]}"
	assert_output --partial "--export FILE is required"
	run -2 settle
	assert_output --partial "the period is required"
	run -2 settle --day 2026-02-30
	assert_output --partial "is not a date"
	run -2 settle --day 2026-06-21 --tz Mars/Olympus_Mons
	run -2 settle --day 2026-06-21 --from 2026-06-21T00:00:00Z
	run -2 settle "${DAY[@]}" --key a --keystore b
	run -2 settle "${DAY[@]}" --tz Europe/Zurich
	assert_output --partial "--tz goes with --day"
	run -2 settle "${DAY[@]}" --export "$T/export.ndjson"
	assert_output --partial "one --export"
	run -2 hive-settle audit --export "$T/export.ndjson" --tariff "$TARIFF"
	assert_output --partial "audit needs --tariff FILE and --archive FILE"
	run -2 hive-settle audit --export "$T/export.ndjson" --tariff "$TARIFF" --archive x --csv y
	assert_output --partial "'audit' does not take --csv"
}

@test "the known deficit slot: whole units by largest remainder, stand-alone rounded up, conserved" {
	run -0 --separate-stderr settle "${DAY[@]}" "$T/clear.ndjson"
	echo "$output" > "$T/s.ndjson"
	assert_equal "$(count_lines "$T/s.ndjson")" 4
	# 386666.667, 193333.333, −205000: the one unit left over goes to A's larger remainder.
	assert_equal "$(field_of "$T/s.ndjson" "$A" amount)" 386667
	assert_equal "$(field_of "$T/s.ndjson" "$B" amount)" 193333
	assert_equal "$(field_of "$T/s.ndjson" "$C" amount)" -205000
	assert_equal "$(field_of "$T/s.ndjson" "$A" standalone) $(field_of "$T/s.ndjson" "$A" saving)" "500000 113333"
	assert_equal "$(field_of "$T/s.ndjson" "$C" standalone) $(field_of "$T/s.ndjson" "$C" saving)" "-120000 85000"
	assert_equal "$(hive_field "$T/s.ndjson" workers_pay) $(hive_field "$T/s.ndjson" dso)" "375000 375000"
	assert_equal "$(hive_field "$T/s.ndjson" owner_keeps) $(hive_field "$T/s.ndjson" platform_fee)" "0 0"
	assert_equal "$(field_of "$T/s.ndjson" "$A" coin_code) $(field_of "$T/s.ndjson" "$A" coin_decimals)" "USDC 6"
	# Workers by address, then the hive; the first record chains to 32 zero bytes.
	run jq -r '.worker // "hive"' "$T/s.ndjson"
	assert_output "$(printf '%s\n' "$A" "$B" "$C" | sort -f)
hive"
	assert_equal "$(head -n 1 "$T/s.ndjson" | jq -r .prev)" "0x$(printf '%064d' 0)"
}

@test "fees: platform floored, the owner keeps its fee and the rounding, Σ amounts = DSO + platform + owner" {
	{ deficit_slot 2026-06-21T10:00:00Z; deficit_slot 2026-06-21T10:15:00Z; } > "$T/in2.ndjson"
	interval "$A" 2026-06-21T10:30:00Z 333 | signed a >> "$T/in2.ndjson"
	interval "$C" 2026-06-21T10:30:00Z -77 | signed c >> "$T/in2.ndjson"
	hive-clear --export "$T/export.ndjson" --tariff "$TOP/share/tariffs/tou-ch.ndjson" --platform-fee 333 --owner-fee 777:traded \
		"$T/in2.ndjson" > "$T/c2.ndjson"
	settle "${DAY[@]}" "$T/c2.ndjson" > "$T/s.ndjson"
	run /usr/bin/python3 -c '
import json, sys
w = [json.loads(l) for l in open(sys.argv[1])]
h = w.pop()
paid = sum(int(r["amount"]) for r in w)
assert paid == int(h["workers_pay"]) == int(h["dso"]) + int(h["platform_fee"]) + int(h["owner_keeps"]), h
assert int(h["platform_fee"]) == int(h["platform_fee_mbu"]) // 1000
assert int(h["owner_keeps"]) >= int(h["owner_fee_mbu"]) // 1000 > 0
assert all(int(r["amount"]) <= int(r["standalone"]) and int(r["saving"]) >= 0 for r in w)
print("ok", h["slots_incomplete"], h["platform_fee_bps"], h["owner_fee_basis"])' "$T/s.ndjson"
	assert_output "ok 1 333 traded"
}

@test "signed by the Queen: hive-sign verifies every record; the key never shows" {
	settle "${DAY[@]}" --key "$K/queen.key" "$T/clear.ndjson" > "$T/s.ndjson"
	run -0 hive-sign verify --signer "$QUEEN" --require-sig < "$T/s.ndjson"
	assert_equal "$(echo "$output" | wc -l)" 4
	run grep -c "$(head -c 64 "$K/queen.key")" "$T/s.ndjson"
	assert_output 0
}

@test "the archive: appended, hash-chained across days, never the same period twice" {
	settle "${DAY[@]}" --key "$K/queen.key" --archive "$T/archive.ndjson" "$T/clear.ndjson" > "$T/day1.ndjson"
	cmp "$T/day1.ndjson" "$T/archive.ndjson"
	run -6 settle "${DAY[@]}" --key "$K/queen.key" --archive "$T/archive.ndjson" "$T/clear.ndjson"
	assert_output --partial "the period overlaps one already settled (2026-06-21T00:00:00Z to 2026-06-22T00:00:00Z)"
	cmp "$T/day1.ndjson" "$T/archive.ndjson"
	deficit_slot 2026-06-22T08:00:00Z > "$T/in2.ndjson"
	hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" "$T/in2.ndjson" > "$T/clear2.ndjson"
	settle --day 2026-06-22 --key "$K/queen.key" --archive "$T/archive.ndjson" "$T/clear2.ndjson" > "$T/day2.ndjson"
	assert_equal "$(count_lines "$T/archive.ndjson")" 8
	# A torn tail stops the next append.
	printf '{"type":"settle' >> "$T/archive.ndjson"
	run -3 settle --day 2026-06-23 --archive "$T/archive.ndjson" "$T/clear2.ndjson"
	assert_output --partial "line 9 is torn"
	# A broken chain is refused too.
	sed -i '2d;$d' "$T/archive.ndjson"
	run -4 settle --day 2026-06-23 --archive "$T/archive.ndjson" "$T/clear2.ndjson"
	assert_output --partial "archive line 2: its 'prev' does not name the line before it"
	# The second day's first record names the hash of the first day's last line (cast computes it;
	# last, as it skips where cast is missing).
	need_reference cast
	assert_equal "$(head -n 1 "$T/day2.ndjson" | jq -r .prev)" "$("$CAST" keccak "$(tail -n 1 "$T/day1.ndjson")")"
}

@test "inconsistent clearing input is refused, naming the slot, and nothing is written" {
	grep -v "$B" "$T/clear.ndjson" > "$T/less.ndjson"
	run -3 settle "${DAY[@]}" "$T/less.ndjson"
	assert_output --partial "slot 2026-06-21T10:00:00Z: the slot's clearing records are not one for each of its Workers"
	refute_output --partial '"type":"settlement"'
	sed 's/"payment_mbu":"386666667"/"payment_mbu":"386666668"/' "$T/clear.ndjson" > "$T/more.ndjson"
	run -3 settle "${DAY[@]}" "$T/more.ndjson"
	assert_output --partial "the Workers' payments do not add up to the hive's cost plus the fees"
	grep -v clearing_slot "$T/clear.ndjson" > "$T/noslot.ndjson"
	run -3 settle "${DAY[@]}" "$T/noslot.ndjson"
	assert_output --partial "without their slot's clearing_slot record"
	# The same records twice, or two different ones for a Worker's slot: not for the input's order to decide.
	run -3 settle "${DAY[@]}" "$T/clear.ndjson" "$T/clear.ndjson"
	assert_output --partial "a second clearing_slot record for the same slot"
	assert_output --partial "which one holds is not for the order of the input to decide"
	# Records that do not add up at the slot's own prices, or name a Worker outside the export.
	sed "s/\"standalone_mbu\":\"500000000\"/\"standalone_mbu\":\"500000001\"/; s/\"surplus_mbu\":\"255000000\"/\"surplus_mbu\":\"255000001\"/" \
		"$T/clear.ndjson" > "$T/priced.ndjson"
	run -3 settle "${DAY[@]}" "$T/priced.ndjson"
	assert_output --partial "the stand-alone costs are not the slot's prices times its energies"
	sed "s/$B/$OTHER/" "$T/clear.ndjson" > "$T/outsider.ndjson"
	run -3 settle "${DAY[@]}" "$T/outsider.ndjson"
	assert_output --partial "clearing refused: the Worker is not a member of the hive's export"
	# A refused record leaves no trace: no slot appears for it.
	{ cat "$T/clear.ndjson"; echo '{"hive":1,"slot":"2026-06-21T03:00:00Z","type":"clearing"}'; } > "$T/phantom.ndjson"
	run -1 --separate-stderr settle "${DAY[@]}" "$T/phantom.ndjson"
	assert_equal "$(echo "$output" | jq -r 'select(.scope == "hive") | .slots')" 1
	run -3 settle --day 2026-06-25 "$T/clear.ndjson"
	assert_output --partial "no clearing records in the period"
}

@test "a period with slots nobody cleared: settled, counted, and warned about" {
	run -0 --separate-stderr settle --day 2026-06-21 "$T/clear.ndjson"
	[[ "$stderr" == *"warning: 95 of the period's 96 slots have no clearing records"* ]]
	assert_equal "$(echo "$output" | jq -r 'select(.scope == "hive") | "\(.slots) \(.slots_expected)"')" "1 96"
}

@test "--day in the hive's zone: a local day computed in UTC, 23 hours on the spring DST day" {
	run -3 settle --day 2026-06-21 --tz Europe/Zurich < /dev/null
	settle --day 2026-06-21 --tz Europe/Zurich "$T/clear.ndjson" > "$T/s.ndjson"
	assert_equal "$(hive_field "$T/s.ndjson" period_start) $(hive_field "$T/s.ndjson" period_end)" \
		"2026-06-20T22:00:00Z 2026-06-21T22:00:00Z"
	deficit_slot 2026-03-29T05:00:00Z > "$T/in3.ndjson"
	hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" "$T/in3.ndjson" > "$T/c3.ndjson"
	settle --day 2026-03-29 --tz Europe/Zurich "$T/c3.ndjson" > "$T/s3.ndjson"
	assert_equal "$(hive_field "$T/s3.ndjson" period_start) $(hive_field "$T/s3.ndjson" period_end)" \
		"2026-03-28T23:00:00Z 2026-03-29T22:00:00Z"
}

@test "--day yesterday and today: the zone's calendar date now, for cron" {
	y=$(date -u -d yesterday +%F)
	deficit_slot "${y}T10:00:00Z" > "$T/iy.ndjson"
	hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" "$T/iy.ndjson" > "$T/cy.ndjson"
	settle --day yesterday "$T/cy.ndjson" > "$T/sy.ndjson" 2> /dev/null
	assert_equal "$(hive_field "$T/sy.ndjson" period_start)" "${y}T00:00:00Z"
	run -3 settle --day today "$T/cy.ndjson"
	assert_output --partial "no clearing records in the period"
	run -2 settle --day tomorrow "$T/cy.ndjson"
}

@test "--csv: the accountant's table, whose amount column sums to zero; an existing file is not replaced" {
	settle "${DAY[@]}" --csv "$T/day.csv" "$T/clear.ndjson" > /dev/null 2>&1
	run bash -c "head -n 1 '$T/day.csv' | tr -d '\r'"
	assert_output '"row","party","period_start","period_end","import_wh","export_wh","standalone","amount","standalone_USDC","amount_USDC","reputation_bps"'
	assert_equal "$(count_lines "$T/day.csv")" 7
	run /usr/bin/python3 -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); print(sum(int(x["amount"]) for x in r), [x["amount_USDC"] for x in r if x["row"]=="dso"])' "$T/day.csv"
	assert_output "0 ['-0.375000']"
	# An existing CSV stops the run before anything is settled or archived.
	run -5 settle "${DAY[@]}" --csv "$T/day.csv" --archive "$T/archive.ndjson" "$T/clear.ndjson"
	assert_output --partial "already exists"
	[ ! -e "$T/archive.ndjson" ]
	# A new archive that a failed run would leave empty is not left behind.
	run -3 settle --day 2026-06-25 --archive "$T/archive.ndjson" "$T/clear.ndjson"
	[ ! -e "$T/archive.ndjson" ]
	# CSV lines end in CRLF (RFC 4180).
	run grep -c $'\r$' "$T/day.csv"
	assert_output 7
}

@test "reputation: bids against metered energy; charges paid to accurate Workers, conserved, never above stand-alone" {
	printf '{"plan_wh":[2000,1900],"seconds":900,"start":"2026-06-21T10:00:00Z","type":"bid","worker":"%s"}\n' "$A" \
		| hive-sign sign --key "$K/a.key" --type bid > "$T/bids.ndjson"
	printf '{"plan_wh":[1500],"seconds":900,"start":"2026-06-21T10:00:00Z","type":"bid","worker":"%s"}\n' "$B" \
		| hive-sign sign --key "$K/b.key" --type bid >> "$T/bids.ndjson"
	settle "${DAY[@]}" --bids "$T/bids.ndjson" --deviation-price 100000 "$T/clear.ndjson" > "$T/s.ndjson"
	# A: exact, accuracy 10000, score 6250; B: 500 Wh off of 2500, accuracy 8000, score 5750; C: no bids.
	run jq -r 'select(.scope == "worker") | "\(.deviation_wh) \(.accuracy_bps) \(.reputation_bps) \(.reputation_charge) \(.reputation_reward) \(.amount)"' "$T/s.ndjson"
	assert_line "0 10000 6250 0 26042 360625"
	assert_line "500 8000 5750 50000 23958 219375"
	assert_line "null null null 0 0 -205000"
	assert_equal "$(hive_field "$T/s.ndjson" reputation_pot) $(hive_field "$T/s.ndjson" workers_pay)" "50000 375000"
	# A bid for other slots than those cleared is named and left out.
	printf '{"plan_wh":[900],"seconds":1800,"start":"2026-06-21T10:00:00Z","type":"bid","worker":"%s"}\n' "$C" \
		| hive-sign sign --key "$K/c.key" --type bid > "$T/long.ndjson"
	run -1 --separate-stderr settle "${DAY[@]}" --bids "$T/long.ndjson" "$T/clear.ndjson"
	[[ "$stderr" == *"the bid of Worker $C starting 2026-06-21T10:00:00Z is not for one cleared slot"* ]]
	assert_equal "$(echo "$output" | jq -r --arg c "$C" 'select(.worker == $c and .scope == "worker") | .accuracy_bps')" null
	# A bid signed by someone else is refused and counts for nothing.
	printf '{"plan_wh":[0],"seconds":900,"start":"2026-06-21T10:00:00Z","type":"bid","worker":"%s"}\n' "$C" \
		| hive-sign sign --key "$K/other.key" --type bid > "$T/forged.ndjson"
	run -1 settle "${DAY[@]}" --bids "$T/forged.ndjson" "$T/clear.ndjson"
	assert_output --partial "bid refused: a bid signed by another key than its Worker's"
	# The scores carry over through the archive.
	settle "${DAY[@]}" --bids "$T/bids.ndjson" --archive "$T/archive.ndjson" "$T/clear.ndjson" > /dev/null
	deficit_slot 2026-06-22T10:00:00Z > "$T/in2.ndjson"
	hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" "$T/in2.ndjson" > "$T/c2.ndjson"
	settle --day 2026-06-22 --archive "$T/archive.ndjson" "$T/c2.ndjson" > "$T/s2.ndjson"
	assert_equal "$(field_of "$T/s2.ndjson" "$A" reputation_bps) $(field_of "$T/s2.ndjson" "$C" reputation_bps)" "6250 null"
}

@test "determinism: the same clearing records in any order settle to the same bytes, signed" {
	settle "${DAY[@]}" --key "$K/queen.key" "$T/clear.ndjson" > "$T/one.ndjson"
	tac "$T/clear.ndjson" > "$T/rev.ndjson"
	settle "${DAY[@]}" --key "$K/queen.key" "$T/rev.ndjson" > "$T/two.ndjson"
	cmp "$T/one.ndjson" "$T/two.ndjson"
}

@test "other records pass through; malformed lines are named and the rest is settled" {
	{ echo '{"type":"reading","x":1}'; echo '{"broken'; cat "$T/clear.ndjson"; } > "$T/mixed.ndjson"
	run -1 --separate-stderr settle "${DAY[@]}" "$T/mixed.ndjson"
	assert_equal "$(echo "$output" | head -n 1)" '{"type":"reading","x":1}'
	assert_equal "$(echo "$output" | grep -c '"type":"settlement"')" 4
	[[ "$stderr" == *"'$T/mixed.ndjson' line 2:"* ]]
}

# Two simulated days of three meters, read, signed, cleared, settled and archived.
two_days() {
	local d w seed=10
	for w in a b c; do
		seed=$((seed + 1))
		pv=(); [ "$w" = a ] || pv=(--pv $((seed - 8)))
		eval "m=\$${w^^}"
		hive-read sim --seed $seed --start 2026-06-21T00:00:00Z --duration 2d --meter "$m" "${pv[@]}" \
			--interval 15m --no-readings | signed $w > "$T/$w.intervals"
	done
	cat "$T/a.intervals" "$T/b.intervals" "$T/c.intervals" > "$T/intervals.ndjson"
	for d in 21 22; do
		hive-clear --export "$T/export.ndjson" --tariff "$TOP/share/tariffs/tou-ch.ndjson" --platform-fee 200 \
			--from 2026-06-${d}T00:00:00Z --to 2026-06-$((d + 1))T00:00:00Z "$T/intervals.ndjson" 2> /dev/null |
			hive-settle --export "$T/export.ndjson" --day 2026-06-$d --key "$K/queen.key" --archive "$T/archive.ndjson" > /dev/null
	done
}
audit() {
	hive-settle audit --export "$T/export.ndjson" --tariff "$TOP/share/tariffs/tou-ch.ndjson" --archive "$T/archive.ndjson" "$@"
}

@test "audit: meters read, signed, cleared and settled over two days derive again byte for byte" {
	two_days
	# hive-read's registers close each meter's channel: 3 Workers, 3 balances and the hive per day.
	assert_equal "$(jq -r 'select(.type == "balance") | .chained_slots' "$T/archive.ndjson" | sort -u)" 96
	run -0 audit "$T/intervals.ndjson"
	assert_output --regexp '^\{"archive_head":"0x[0-9a-f]{64}","hive":1,"lines":14,"periods":2,"result":"identical","type":"audit"\}$'
	# Input order does not matter.
	run -0 audit "$T/c.intervals" "$T/a.intervals" "$T/b.intervals"
	# The registry moved on: the period needs the export of its own ledger head.
	sed 's/"ledger_head":"0x0*7"/"ledger_head":"0x'$(printf '%064d' 8)'"/' "$T/export.ndjson" > "$T/later.ndjson"
	run -3 hive-settle audit --export "$T/later.ndjson" --tariff "$TOP/share/tariffs/tou-ch.ndjson" --archive "$T/archive.ndjson" "$T/intervals.ndjson"
	assert_output --partial "no export given was taken at the period's ledger head"
	run -0 hive-settle audit --export "$T/later.ndjson" --export "$T/export.ndjson" --tariff "$TOP/share/tariffs/tou-ch.ndjson" \
		--archive "$T/archive.ndjson" "$T/intervals.ndjson"
}

@test "audit: one altered reading in the archived intervals is found, naming the record and the field" {
	two_days
	# The 40th interval of meter B claims 1 Wh more: its signature no longer holds, so it is refused as
	# hive-clear would refuse it, and the derivation differs from what was settled.
	awk 'NR == 40 { match($0, /"energy_wh":-?[0-9]+/); v = substr($0, RSTART + 12, RLENGTH - 12) + 1;
		$0 = substr($0, 1, RSTART - 1) "\"energy_wh\":" v substr($0, RSTART + RLENGTH) } { print }' \
		"$T/b.intervals" > "$T/b.altered"
	run -6 audit "$T/a.intervals" "$T/b.altered" "$T/c.intervals"
	assert_output --regexp "audit: archive '.*archive.ndjson' line 1, the settlement of Worker 0x[0-9a-fA-F]{40} for the period from 2026-06-21T00:00:00Z: field '[a-z_]+' is .*, re-derived .*"
}

@test "audit: an edited, reordered or foreign-signed archive fails on its chain or signatures" {
	two_days
	cp "$T/archive.ndjson" "$T/good.ndjson"
	sed -i '2s/"amount":"\(-\?\)\([0-9]\)/"amount":"\1\29/' "$T/archive.ndjson"
	run -4 audit "$T/intervals.ndjson"
	assert_output --partial "line 2: signed by 0x"
	{ sed -n 2p "$T/good.ndjson"; sed -n 1p "$T/good.ndjson"; sed -n '3,$p' "$T/good.ndjson"; } > "$T/archive.ndjson"
	run -4 audit "$T/intervals.ndjson"
	assert_output --partial "line 1: the hash chain is broken"
	cp "$T/good.ndjson" "$T/archive.ndjson"
	run -4 audit --queen "$OTHER" "$T/intervals.ndjson"
	assert_output --partial "not by the Queen $OTHER"
	run -6 hive-settle audit --export "$T/export.ndjson" --tariff "$TARIFF" --archive "$T/archive.ndjson" "$T/intervals.ndjson"
	assert_output --partial "field '"
}

@test "examples/daily.sh: the Queen's cron day clears, settles, archives and audits" {
	mkdir -p "$T/q/intervals"
	cp "$T/export.ndjson" "$T/q/export.ndjson"
	cp "$TARIFF" "$T/q/tariff.ndjson"
	cp "$T/in.ndjson" "$T/q/intervals/2026-06-21.ndjson"
	HIVE_TZ=UTC run -0 sh "$TOP/examples/daily.sh" "$T/q" "$K/queen.key" 2026-06-21
	assert_output --partial '"periods":1,"result":"identical","type":"audit"'
	assert_equal "$(count_lines "$T/q/settlements.ndjson")" 4
	[ -s "$T/q/csv/2026-06-21.csv" ]
	# The same day again is refused: the archive already holds it.
	HIVE_TZ=UTC run -6 sh "$TOP/examples/daily.sh" "$T/q" "$K/queen.key" 2026-06-21
}

# chan METER KEY START IMPORT EXPORT REG_IMPORT REG_EXPORT: a signed interval with the channel fields.
chan() {
	local n=$(( $(date -u -d "$3" +%s) / 900 ))
	printf '{"complete":true,"energy_wh":%d,"export_wh":%d,"import_wh":%d,"meter":"%s","nonce":%d,"register_export_wh":%d,"register_import_wh":%d,"seconds":900,"start":"%s","type":"interval"}\n' \
		$(($4 - $5)) "$5" "$4" "$1" $n "$7" "$6" "$3" | signed "$2"
}
channel_day() {
	chan "$A" a 2026-06-21T10:00:00Z 100 0 1100 0
	chan "$A" a 2026-06-21T10:15:00Z 200 0 "${1:-1300}" 0
	chan "$A" a 2026-06-21T10:45:00Z 50 0 1400 0
	chan "$C" c 2026-06-21T10:00:00Z 0 300 5 9300
	chan "$C" c 2026-06-21T10:15:00Z 0 250 5 9550
	chan "$C" c 2026-06-21T10:30:00Z 0 100 5 9650
	chan "$C" c 2026-06-21T10:45:00Z 0 20 5 9670
	interval "$B" 2026-06-21T10:00:00Z 40 | signed b
}

@test "state channels: each Worker's chain of registers checked and closed by a balance record" {
	channel_day > "$T/ch.ndjson"
	hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" "$T/ch.ndjson" > "$T/c.ndjson"
	run -0 --separate-stderr settle "${DAY[@]}" --key "$K/queen.key" "$T/c.ndjson"
	echo "$output" > "$T/s.ndjson"
	# Workers, then balances (B's intervals carry no registers: no channel), then the hive.
	run jq -r '.type + " " + (.scope // "") ' "$T/s.ndjson"
	assert_output "$(printf 'settlement worker\nsettlement worker\nsettlement worker\nbalance \nbalance \nsettlement hive')"
	n0=$(( $(date -u -d 2026-06-21T10:00:00Z +%s) / 900 ))
	run jq -r --arg a "$A" 'select(.type == "balance" and .worker == $a) | "\(.first_nonce - '$n0') \(.last_nonce - '$n0') \(.chained_slots) \(.gaps) \(.opening_import_wh) \(.closing_import_wh)"' "$T/s.ndjson"
	assert_output "0 3 3 1 1000 1400"
	run jq -r --arg c "$C" 'select(.type == "balance" and .worker == $c) | "\(.chained_slots) \(.gaps) \(.opening_export_wh) \(.closing_export_wh) \(.eip712_sig | length)"' "$T/s.ndjson"
	assert_output "4 0 9000 9670 132"
	# The balance names the Worker's settlement and carries its amount.
	assert_equal "$(jq -r --arg a "$A" 'select(.type == "balance" and .worker == $a) | .amount' "$T/s.ndjson")" \
		"$(field_of "$T/s.ndjson" "$A" amount | head -n 1)"
	assert_equal "$(hive_field "$T/s.ndjson" channels_closed) $(hive_field "$T/s.ndjson" channels_broken)" "2 0"
	# The archive of such a day audits clean, EIP-712 signatures included.
	settle "${DAY[@]}" --key "$K/queen.key" --archive "$T/archive.ndjson" "$T/c.ndjson" > /dev/null
	run -0 hive-settle audit --export "$T/export.ndjson" --tariff "$TARIFF" --archive "$T/archive.ndjson" "$T/ch.ndjson"
}

@test "state channels: a register that does not advance by the slot's energy breaks the chain, loudly" {
	channel_day 1250 > "$T/ch.ndjson"
	hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" "$T/ch.ndjson" > "$T/c.ndjson"
	run -1 --separate-stderr settle "${DAY[@]}" "$T/c.ndjson"
	[[ "$stderr" == *"the channel of Worker $A breaks at slot 2026-06-21T10:15:00Z: a register does not advance by the slot's energy"* ]]
	echo "$output" > "$T/s.ndjson"
	assert_equal "$(jq -r 'select(.type == "balance") | .worker' "$T/s.ndjson")" "$C"
	assert_equal "$(hive_field "$T/s.ndjson" channels_broken)" 1
	# Its settlement stands.
	[ -n "$(field_of "$T/s.ndjson" "$A" amount)" ]
}

@test "audit: a line hive-clear refuses (a repeated name ahead of the signed one) is refused by the audit too" {
	deficit_slot | sed '1s/^{/{"energy_wh":99999,/' > "$T/dup.ndjson"
	run -1 --separate-stderr hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" "$T/dup.ndjson"
	[[ "$stderr" == *"line 1: byte offset"*"duplicate member name"* ]]
	echo "$output" | hive-settle --export "$T/export.ndjson" "${DAY[@]}" --key "$K/queen.key" --archive "$T/archive.ndjson" > /dev/null 2>&1
	run -0 hive-settle audit --export "$T/export.ndjson" --tariff "$TARIFF" --archive "$T/archive.ndjson" "$T/dup.ndjson"
}

@test "audit: a period settled twice in a re-chained, re-signed archive is found" {
	need_reference cast
	settle "${DAY[@]}" --key "$K/queen.key" --archive "$T/archive.ndjson" "$T/clear.ndjson" > /dev/null 2>&1
	# The same four records again, each re-chained to the line before it and signed by the Queen anew.
	cp "$T/archive.ndjson" "$T/twice.ndjson"
	while read -r line; do
		prev=$("$CAST" keccak "$(tail -n 1 "$T/twice.ndjson")")
		echo "$line" | jq -c --arg p "$prev" 'del(.sig) | .prev = $p' | hive-sign sign --key "$K/queen.key" >> "$T/twice.ndjson"
	done < "$T/archive.ndjson"
	run -6 hive-settle audit --export "$T/export.ndjson" --tariff "$TARIFF" --archive "$T/twice.ndjson" "$T/in.ndjson"
	assert_output --partial "line 8: the period overlaps one settled before it"
}
