#!/usr/bin/env bats
# hive-clear: every slot of a hive's signed intervals cleared under a sharing
# rule, in exact integers; what is refused goes to stderr and the rejects file.
load market

setup_file() { market_keys; }
setup() { market_setup; }

clear() { hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" "$@"; }

@test "--help and --version" {
	run hive-clear --help
	assert_success
	assert_output --partial "usage: hive-clear --export FILE --tariff FILE"
	run hive-clear --version
	assert_success
	assert_output --regexp '^hive-clear [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "usage errors exit 2 and name the problem" {
	run -2 hive-clear --tariff "$TARIFF"
	assert_output --partial "--export FILE is required"
	run -2 hive-clear --export "$T/export.ndjson"
	assert_output --partial "--tariff FILE is required"
	run -2 clear --rule robin-hood
	assert_output --partial "unknown rule 'robin-hood'"
	run -2 clear --platform-fee 10001
	run -2 clear --owner-fee 5:volume
	assert_output --partial "neither 'surplus' nor 'traded'"
	run -2 clear --missing guess
	run -2 clear --from 2026-06-22T00:00:00Z --to 2026-06-21T00:00:00Z
	assert_output --partial "--from must be before --to"
	run -2 clear --step 7m
	assert_output --partial "divides a day"
}

@test "unreadable or malformed export and tariff files exit 3" {
	run -3 hive-clear --export "$T/none.ndjson" --tariff "$TARIFF" < /dev/null
	assert_output --partial "none.ndjson"
	echo '{"type":"member","hive":1}' > "$T/bad.ndjson"
	run -3 hive-clear --export "$T/bad.ndjson" --tariff "$TARIFF" < /dev/null
	assert_output --partial "line 1: the first record is not 'hive_export'"
	run -3 hive-clear --export "$T/export.ndjson" --tariff "$T/export.ndjson" < /dev/null
}

@test "the deficit slot of MARKET.md, whitepaper discount: exact payments in mbu that sum to C_h" {
	deficit_slot > "$T/in.ndjson"
	run -0 clear "$T/in.ndjson"
	echo "$output" > "$T/out.ndjson"
	assert_equal "$(count_lines "$T/out.ndjson")" 4
	run jq -r 'select(.type == "clearing_slot") | [.demand_wh, .generation_wh, .shared_wh, .hive_cost_mbu, .surplus_mbu, .complete, .rule, .price_shared] | @tsv' "$T/out.ndjson"
	assert_output "$(printf '3000\t1500\t1500\t375000000\t255000000\ttrue\tdiscount\t410000/3')"
	# 0.386667, 0.193333, −0.205: savings 113333333.3, 56666666.7, 85000000 mbu; the leftover unit goes to B.
	assert_equal "$(field_of "$T/out.ndjson" "$A" payment_mbu)" 386666667
	assert_equal "$(field_of "$T/out.ndjson" "$B" payment_mbu)" 193333333
	assert_equal "$(field_of "$T/out.ndjson" "$C" payment_mbu)" -205000000
	assert_equal "$(field_of "$T/out.ndjson" "$A" standalone_mbu)" 500000000
	assert_equal "$(field_of "$T/out.ndjson" "$C" standalone_mbu)" -120000000
	# The split: consumers take the 1.5 kWh shared in proportion, the rest from the grid.
	assert_equal "$(field_of "$T/out.ndjson" "$A" from_community_wh) $(field_of "$T/out.ndjson" "$A" from_grid_wh)" "1000 1000"
	assert_equal "$(field_of "$T/out.ndjson" "$C" to_community_wh) $(field_of "$T/out.ndjson" "$C" to_grid_wh)" "1500 0"
}

@test "mid-market and bill-sharing give MARKET.md's known answers exactly" {
	deficit_slot > "$T/in.ndjson"
	clear --rule mid-market "$T/in.ndjson" > "$T/mm.ndjson"
	assert_equal "$(field_of "$T/mm.ndjson" "$A" payment_mbu)" 415000000
	assert_equal "$(field_of "$T/mm.ndjson" "$B" payment_mbu)" 207500000
	assert_equal "$(field_of "$T/mm.ndjson" "$C" payment_mbu)" -247500000
	clear --rule bill-sharing "$T/in.ndjson" > "$T/bs.ndjson"
	assert_equal "$(field_of "$T/bs.ndjson" "$A" payment_mbu)" 330000000
	assert_equal "$(field_of "$T/bs.ndjson" "$B" payment_mbu)" 165000000
	assert_equal "$(field_of "$T/bs.ndjson" "$C" payment_mbu)" -120000000
	clear --rule sdr "$T/in.ndjson" > "$T/sdr.ndjson"
	run jq -s '[.[] | select(.type == "clearing") | .payment_mbu | tonumber] | add' "$T/sdr.ndjson"
	assert_output 375000000
}

@test "fees come out of the surplus and are capped at it" {
	deficit_slot > "$T/in.ndjson"
	clear --platform-fee 1000 --owner-fee 500 "$T/in.ndjson" > "$T/out.ndjson"
	run jq -r 'select(.type == "clearing_slot") | "\(.platform_fee_mbu) \(.owner_fee_mbu) \(.fee_capped) \(.platform_fee_bps) \(.owner_fee_basis)"' "$T/out.ndjson"
	assert_output "25500000 12750000 false 1000 surplus"
	run jq -s '[.[] | select(.type == "clearing") | .payment_mbu | tonumber] | add' "$T/out.ndjson"
	assert_output $((375000000 + 25500000 + 12750000))
	clear --platform-fee 9000 --owner-fee 9000 "$T/in.ndjson" > "$T/cap.ndjson"
	run jq -r 'select(.type == "clearing_slot") | "\(.platform_fee_mbu) \(.owner_fee_mbu) \(.fee_capped)"' "$T/cap.ndjson"
	assert_output "229500000 25500000 true"
	# Nobody pays more than alone, even when the fees take the whole surplus.
	run jq -r 'select(.type == "clearing") | select((.payment_mbu | tonumber) > (.standalone_mbu | tonumber))' "$T/cap.ndjson"
	assert_output ""
}

@test "refused intervals: each reason on stderr with its line, in the rejects file, the rest still cleared" {
	t=2026-06-21T10:00:00Z
	{
		interval "$A" $t 2000 | signed a
		interval "$B" $t 1000 | signed other                          # forged: signed by another key
		interval "$C" $t -1500                                       # unsigned
		interval "$OTHER" $t 5 | signed other                         # not a member
		interval "$A" $t 7 | signed a                                 # a fork: another one for A's slot
		interval "$C" 2026-06-21T10:05:00Z -1 | signed c              # not aligned to the slot
		interval "$C" 2026-06-21T10:15:00Z -1 1800 | signed c         # not one slot long
		interval "$A" 2026-06-21T10:15:00Z 3 900 false | signed a     # incomplete
		echo 'not json'
		echo '{"type":"reading","meter":"x"}'
	} > "$T/in.ndjson"
	run -1 clear --rejects "$T/rejects.ndjson" "$T/in.ndjson"
	assert_line --partial "line 2: interval refused: signed by another key than its meter's"
	assert_line --partial "line 3: interval refused: unsigned"
	assert_line --partial "line 4: interval refused: the meter is not a member of the hive"
	assert_line --partial "line 5: interval refused: a fork: a second, different interval for the same meter and slot"
	assert_line --partial "line 6: interval refused: not one whole slot"
	assert_line --partial "line 7: interval refused: not one whole slot"
	assert_line --partial "line 8: interval refused: incomplete"
	assert_line --partial "line 9: byte offset 0"
	assert_equal "$(count_lines "$T/rejects.ndjson")" 8
	run jq -r '"\(.line) \(.program) \(.reason)"' "$T/rejects.ndjson"
	assert_line "3 hive-clear interval refused: unsigned"
	# Each reject is one line in RFC 8785 form.
	run jq -cS . "$T/rejects.ndjson"
	assert_output "$(cat "$T/rejects.ndjson")"
	run jq -r 'select(.line == 9) | .text' "$T/rejects.ndjson"
	assert_output "not json"
	# A's record stands; the slot is cleared with B and C missing, and says so.
	hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" "$T/in.ndjson" > "$T/out.ndjson" 2> /dev/null || true
	run jq -r 'select(.type == "clearing_slot" and .slot == "2026-06-21T10:00:00Z") | "\(.complete) \(.missing | length)"' "$T/out.ndjson"
	assert_output "false 2"
	run jq -r 'select(.type == "clearing_slot" and .slot == "2026-06-21T10:15:00Z") | "\(.complete) \(.cleared)"' "$T/out.ndjson"
	assert_output "false true"
	assert_equal "$(field_of "$T/out.ndjson" "$A" energy_wh | head -n 1)" 2000
	# The reading passed through untouched.
	run grep -c '"type":"reading"' "$T/out.ndjson"
	assert_output 1
}

@test "replays and channel fields: the same interval twice, a wrong nonce, parts that do not add up" {
	t=2026-06-21T10:00:00Z
	n=$(( $(date -u -d $t +%s) / 900 ))
	ok='{"complete":true,"energy_wh":5,"export_wh":2,"import_wh":7,"meter":"'$A'","nonce":'$n',"register_export_wh":100,"register_import_wh":507,"seconds":900,"start":"'$t'","type":"interval"}'
	{
		echo "$ok" | signed a
		echo "$ok" | signed a
		echo "$ok" | sed "s/\"nonce\":$n/\"nonce\":$((n + 5))/; s/$t/2026-06-21T10:15:00Z/" | signed a
		echo "$ok" | sed 's/"import_wh":7/"import_wh":8/; s/10:00:00Z/10:30:00Z/; s/"nonce":[0-9]*/"nonce":'$((n + 2))'/' | signed a
		echo "$ok" | sed 's/"register_import_wh":507/"register_import_wh":-1/; s/10:00:00Z/10:45:00Z/; s/"nonce":[0-9]*,//' | signed a
	} > "$T/in.ndjson"
	run -1 clear "$T/in.ndjson"
	assert_line --partial "line 2: interval refused: a replay: the same interval again"
	assert_line --partial "line 3: interval refused: its 'nonce' is not the slot's index since the epoch"
	assert_line --partial "line 4: interval refused: 'import_wh' − 'export_wh' is not 'energy_wh'"
	assert_line --partial "line 5: interval refused: a malformed 'nonce', 'import_wh', 'export_wh' or register field"
	# The fields travel on to the clearing record.
	run jq -r --arg a "$A" 'select(.worker == $a and .slot == "'$t'") | "\(.nonce) \(.import_wh) \(.export_wh) \(.register_import_wh) \(.register_export_wh)"' <(clear "$T/in.ndjson" 2> /dev/null)
	assert_output "$n 7 2 507 100"
}

@test "an unreadable input file: nothing is cleared (its meters would look missing)" {
	deficit_slot > "$T/in.ndjson"
	run -3 --separate-stderr clear "$T/in.ndjson" "$T/absent.ndjson"
	assert_equal "$output" ""
	[[ "$stderr" == *"nothing cleared: an input file could not be read"* ]]
}

@test "energies beyond any meter are refused, so no sum can overflow" {
	interval "$A" 2026-06-21T10:00:00Z 274877906945 | signed a > "$T/in.ndjson"
	run -1 clear "$T/in.ndjson"
	assert_output --partial "beyond what any meter measures in a slot"
}

@test "an incomplete interval next to a complete one of the same slot: the same result in either order" {
	{ interval "$A" 2026-06-21T10:00:00Z 3 900 false | signed a; deficit_slot; } > "$T/one.ndjson"
	{ deficit_slot; interval "$A" 2026-06-21T10:00:00Z 3 900 false | signed a; } > "$T/two.ndjson"
	run -1 --separate-stderr clear --missing skip "$T/one.ndjson"
	echo "$output" > "$T/one.out"
	run -1 --separate-stderr clear --missing skip "$T/two.ndjson"
	cmp "$T/one.out" - <<< "$output"
	run jq -r 'select(.type == "clearing_slot") | "\(.complete) \(.cleared)"' "$T/one.out"
	assert_output "true true"
}

@test "out of order: an interval before one already taken from the same meter" {
	{
		interval "$A" 2026-06-21T10:15:00Z 5 | signed a
		interval "$A" 2026-06-21T10:00:00Z 5 | signed a
	} > "$T/in.ndjson"
	run -1 clear "$T/in.ndjson"
	assert_line --partial "line 2: interval refused: out of order"
}

@test "--missing: zero clears with the missing Worker at 0 Wh; skip leaves the slot uncleared" {
	{
		interval "$A" 2026-06-21T10:00:00Z 2000 | signed a
		interval "$C" 2026-06-21T10:00:00Z -1500 | signed c
	} > "$T/in.ndjson"
	clear "$T/in.ndjson" > "$T/zero.ndjson"
	run jq -r 'select(.type == "clearing") | "\(.metered) \(.energy_wh) \(.payment_mbu)"' "$T/zero.ndjson"
	assert_line "false 0 0"
	run jq -r 'select(.type == "clearing_slot") | "\(.cleared) \(.complete) \(.missing[0]) \(.missing_policy)"' "$T/zero.ndjson"
	assert_output "true false $B zero"
	clear --missing skip "$T/in.ndjson" > "$T/skip.ndjson"
	assert_equal "$(count_lines "$T/skip.ndjson")" 1
	run jq -r '"\(.type) \(.cleared) \(.missing_policy)"' "$T/skip.ndjson"
	assert_output "clearing_slot false skip"
}

@test "--from and --to select the period; a slot without prices is an error and nothing is written" {
	{ deficit_slot 2026-06-21T10:00:00Z; deficit_slot 2026-06-21T10:15:00Z; } > "$T/in.ndjson"
	# Another period's intervals are skipped, not refused: a day's file can hold its neighbours' edges.
	run -0 --separate-stderr clear --from 2026-06-21T10:15:00Z --to 2026-06-21T10:30:00Z "$T/in.ndjson"
	assert_equal "$stderr" ""
	assert_equal "$(echo "$output" | jq -r .slot | sort -u)" 2026-06-21T10:15:00Z
	run -3 hive-clear --export "$T/export.ndjson" --tariff "$FIX/market/gap.ndjson" "$T/in.ndjson"
	assert_output --partial "slot 2026-06-21T10:15:00Z: the tariff has no valid prices for this slot"
	refute_output --partial '"type":"clearing'
}

@test "--day: a local day's slots, as hive-settle takes the day" {
	{ deficit_slot 2026-06-20T21:45:00Z; deficit_slot 2026-06-20T22:00:00Z; deficit_slot 2026-06-21T21:45:00Z;
	  deficit_slot 2026-06-21T22:00:00Z; } > "$T/in.ndjson"
	clear --day 2026-06-21 --tz Europe/Zurich "$T/in.ndjson" > "$T/out.ndjson"
	run jq -r 'select(.type == "clearing_slot") | .slot' "$T/out.ndjson"
	assert_output "$(printf '2026-06-20T22:00:00Z\n2026-06-21T21:45:00Z')"
	run -2 clear --day 2026-06-21 --from 2026-06-21T00:00:00Z
	run -2 clear --tz Europe/Zurich
	assert_output --partial "--tz goes with --day"
}

@test "the same intervals in any order clear to the same bytes" {
	{ deficit_slot 2026-06-21T10:00:00Z; deficit_slot 2026-06-21T10:15:00Z; } > "$T/in.ndjson"
	clear "$T/in.ndjson" > "$T/one.ndjson"
	# Per meter the order must stay; across meters anything goes.
	{ grep "$C" "$T/in.ndjson"; grep "$B" "$T/in.ndjson"; grep "$A" "$T/in.ndjson"; } > "$T/shuffled.ndjson"
	clear "$T/shuffled.ndjson" > "$T/two.ndjson"
	cmp "$T/one.ndjson" "$T/two.ndjson"
}

@test "a simulated day: every Worker at or below stand-alone in every slot, every slot balanced" {
	hive-read sim --seed 4 --start 2026-06-21T00:00:00Z --duration 1d --meter "$A" --interval 15m --no-readings | signed a > "$T/a.ndjson"
	hive-read sim --seed 5 --start 2026-06-21T00:00:00Z --duration 1d --pv 5 --meter "$B" --interval 15m --no-readings | signed b > "$T/b.ndjson"
	hive-read sim --seed 6 --start 2026-06-21T00:00:00Z --duration 1d --pv 8 --meter "$C" --interval 15m --no-readings | signed c > "$T/c.ndjson"
	hive-clear --export "$T/export.ndjson" --tariff "$TOP/share/tariffs/tou-ch.ndjson" --platform-fee 300 --owner-fee 200:traded \
		"$T/a.ndjson" "$T/b.ndjson" "$T/c.ndjson" > "$T/out.ndjson"
	assert_equal "$(jq -r 'select(.type == "clearing_slot" and .complete) | .slot' "$T/out.ndjson" | wc -l)" 96
	run jq -r 'select(.type == "clearing") | select((.payment_mbu | tonumber) > (.standalone_mbu | tonumber) or (.saving_mbu | tonumber) < 0)' "$T/out.ndjson"
	assert_output ""
	# Budget balance per slot, summed exactly by Python's integers.
	run /usr/bin/python3 -c '
import json, sys, collections
pay = collections.Counter(); slot = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] == "clearing": pay[r["slot"]] += int(r["payment_mbu"])
    else: slot[r["slot"]] = int(r["hive_cost_mbu"]) + int(r["platform_fee_mbu"]) + int(r["owner_fee_mbu"])
bad = [s for s in slot if slot[s] != pay[s]]
print(len(slot), len(bad))' "$T/out.ndjson"
	assert_output "96 0"
}
