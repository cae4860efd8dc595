#!/usr/bin/env bats
# hive-bid: a Worker's plan alone from its forecast and the tariff
# (iteration 0), its next plan per signal of the Queen, stale and closing
# signals, signatures (the key naming the Worker when the assets do not),
# refusals; and the plans against the independent
# reference of tests/tools/hiveref.py.
load helpers

setup() {
	setup_scratch
	TARIFF=$TOP/share/tariffs/constant.ndjson
	# A 10 kWh battery, for EIP-155's example address.
	cat > "$T/assets.ndjson" <<-EOF2
	{"type":"assets","worker":"$EIP155_ADDR","import_max_w":13800,"export_max_w":8000}
	{"type":"battery","name":"garage","capacity_wh":10000,"charge_w":4000,"discharge_w":4000,"charge_efficiency":0.95,"discharge_efficiency":0.95,"soc_wh":5000,"cycle_cost":"10000"}
	EOF2
	forecast "$EIP155_ADDR" > "$T/fc.ndjson"
}

# forecast METER: a day of 15-minute slots, 300 Wh at night and -500 Wh (PV) from 10:00 to 16:00.
forecast() {
	awk -v m="$1" 'BEGIN {
		printf "{\"type\":\"forecast\",\"meter\":\"%s\",\"start\":\"2026-06-21T00:00:00Z\",\"step\":900,\"horizon\":86400,\"series\":{\"net_wh\":{\"point\":[", m
		for (t = 0; t < 96; t++) printf "%s%d", t ? "," : "", (t >= 40 && t < 64) ? -500 : 300
		printf "]},\"export_wh\":{\"point\":["
		for (t = 0; t < 96; t++) printf "%s%d", t ? "," : "", (t >= 40 && t < 64) ? 500 : 0
		printf "]}}}\n"
	}'
}

# signal ITERATION [STATUS]: a signal of 50 Wh in every slot.
signal() {
	awk -v k="$1" -v s="${2:-iterate}" 'BEGIN {
		printf "{\"type\":\"signal\",\"start\":\"2026-06-21T00:00:00Z\",\"seconds\":900,\"iteration\":%d,\"rho\":2,\"signal_wh\":[", k
		for (t = 0; t < 96; t++) printf "%s50", t ? "," : ""
		printf "],\"status\":\"%s\"}\n", s
	}'
}

bid() { hive-bid --assets "$T/assets.ndjson" --tariff "$TARIFF" "$@"; }

@test "hive-bid: usage, --help and --version" {
	run -2 hive-bid
	assert_output --partial "usage: hive-bid"
	run -2 hive-bid --assets "$T/assets.ndjson"
	assert_output --partial "--tariff FILE are required"
	run -0 hive-bid --help
	assert_output --partial "--assets FILE"
	run -0 hive-bid --version
	assert_output --regexp '^hive-bid [0-9]'
}

@test "hive-bid: a forecast gives the plan alone, iteration 0, whose first slot is whole Wh" {
	bid < "$T/fc.ndjson" > "$T/bid.ndjson"
	[ "$(count_lines "$T/bid.ndjson")" = 1 ]
	run jq -c '[.type, .worker, .start, .seconds, .iteration, (.plan_wh | length), (.plan_wh[0] | floor == .),
		(.schedules.garage | keys)]' "$T/bid.ndjson"
	assert_output "[\"bid\",\"$EIP155_ADDR\",\"2026-06-21T00:00:00Z\",900,0,96,true,[\"charge_wh\",\"discharge_wh\",\"soc_wh\"]]"
	# Buying at 250 and selling at 80 per kWh: the battery stores the PV surplus rather than sell it,
	# within its power, and the net is the forecast plus charge minus discharge.
	run jq -c '[.schedules.garage.charge_wh[50], (.plan_wh[50] + 500 - .schedules.garage.charge_wh[50] | fabs < 0.01),
		(.schedules.garage.soc_wh | max <= 10000), (.schedules.garage.soc_wh[95] >= 4999.999)]' "$T/bid.ndjson"
	assert_output "[500,true,true,true]"
}

@test "hive-bid: each signal gives the next bid, after missed ones too; stale and closing signals give none" {
	{ cat "$T/fc.ndjson"; signal 0; signal 0; signal 1; signal 5; signal 3; signal 6 converged; signal 7; } > "$T/in.ndjson"
	run -0 --separate-stderr bid "$T/in.ndjson"
	run jq -c '.iteration' <<< "$output"
	assert_output $'0\n1\n2\n6'
	[ "$(grep -c 'signal ignored' <<< "$stderr")" = 3 ]
	[[ "$stderr" == *"line 3: signal ignored: a signal for an earlier iteration than this Worker's last bid"* ]]
	[[ "$stderr" == *"line 6: signal ignored: a signal for an earlier iteration than this Worker's last bid"* ]]
	[[ "$stderr" == *"line 8: signal ignored: a signal after the round ended"* ]]
}

@test "hive-bid: a step pulls the plan towards the plan less the signal" {
	{ cat "$T/fc.ndjson"; signal 0; } | bid > "$T/bids.ndjson"
	# With a signal of +50 Wh everywhere, the Worker is asked to draw less: its total falls.
	run jq -s -c '(.[1].plan_wh | add) < (.[0].plan_wh | add)' "$T/bids.ndjson"
	assert_output true
}

@test "hive-bid: other Workers' forecasts and other records pass through untouched" {
	forecast 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23 > "$T/other.ndjson"
	{ echo '{"type":"reading","b":1,  "a":2}'; cat "$T/other.ndjson"; } | bid > "$T/out.ndjson"
	run head -n 1 "$T/out.ndjson"
	assert_output '{"type":"reading","b":1,  "a":2}'
	cmp <(sed -n 2p "$T/out.ndjson") "$T/other.ndjson"
}

@test "hive-bid: bids are signed with the Worker's key, and a key of another Worker is refused" {
	printf '4646464646464646464646464646464646464646464646464646464646464646\n' > "$T/w.key"
	chmod 600 "$T/w.key"
	bid --key "$T/w.key" < "$T/fc.ndjson" > "$T/signed.ndjson"
	run -0 hive-sign verify --signer "$EIP155_ADDR" "$T/signed.ndjson"
	hive-sign keygen --key "$T/other.key" > /dev/null
	run -4 bid --key "$T/other.key" < "$T/fc.ndjson"
	assert_output --partial "not the assets' worker $EIP155_ADDR"
}

@test "hive-bid: malformed records and impossible plans are refused by line, the rest goes on" {
	{ echo '{"type":"signal","iteration":0}'; echo '{"type":"forecast","meter":"'"$EIP155_ADDR"'"}'; cat "$T/fc.ndjson"; } > "$T/in.ndjson"
	run -1 --separate-stderr bid "$T/in.ndjson"
	[ "$(jq -c .iteration <<< "$output")" = 0 ]
	[[ "$stderr" == *"line 1: signal refused: "* ]]
	[[ "$stderr" == *"line 2: forecast refused: "* ]]
	# A signal whose prices (coordinate --gap) do not cover its slots.
	echo '{"type":"signal","start":"2026-06-21T00:00:00Z","seconds":900,"iteration":0,"rho":1,"status":"iterate","signal_wh":[1,2],"price":[250]}' > "$T/priced.ndjson"
	run -1 --separate-stderr bid "$T/fc.ndjson" "$T/priced.ndjson"
	[[ "$stderr" == *"line 1: signal refused: the signal's price and signal_wh differ in length"* ]]
	# A load that must run at night from PV only cannot be planned.
	cat > "$T/night.ndjson" <<-EOF2
	{"type":"assets","worker":"$EIP155_ADDR"}
	{"type":"deferrable","name":"pump","power_w":1000,"energy_wh":500,"release":"2026-06-21T00:00:00Z","deadline":"2026-06-21T04:00:00Z","source":"solar"}
	EOF2
	run -1 hive-bid --assets "$T/night.ndjson" --tariff "$TARIFF" "$T/fc.ndjson"
	assert_output --partial "line 1: no plan: asset 'pump': 500 Wh do not fit its window in the horizon (at most 0)"
}

@test "hive-bid: the example assets files plan" {
	for f in "$TOP"/share/assets/*.ndjson; do
		jq -c --arg w "$(jq -r 'select(.type == "assets") | .worker // empty' "$f")" \
			'if $w != "" then .meter = $w else . end' "$T/fc.ndjson" > "$T/fcw.ndjson"
		run -0 hive-bid --assets "$f" --tariff "$TARIFF" "$T/fcw.ndjson"
		[ "$(jq -r .type <<< "$output")" = bid ] || fail "$f: $output"
	done
}

@test "hive-bid: with --key and assets naming no worker, the key's address is the worker: its forecasts only, its bids signed by it" {
	sed 1d "$T/assets.ndjson" > "$T/battery.ndjson"
	{ echo '{"type":"assets","import_max_w":13800,"export_max_w":8000}'; cat "$T/battery.ndjson"; } > "$T/anon.ndjson"
	printf '4646464646464646464646464646464646464646464646464646464646464646\n' > "$T/w.key"   # EIP-155's example key
	chmod 600 "$T/w.key"
	forecast 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23 > "$T/other.ndjson"
	# The key's own forecast, given in lower case, and another meter's.
	{ sed "s/$EIP155_ADDR/${EIP155_ADDR,,}/" "$T/fc.ndjson"; cat "$T/other.ndjson"; } > "$T/in.ndjson"
	grep -q "${EIP155_ADDR,,}" "$T/in.ndjson"
	run -0 --separate-stderr hive-bid --assets "$T/anon.ndjson" --tariff "$TARIFF" --key "$T/w.key" "$T/in.ndjson"
	[ "$stderr" = "" ]
	echo "$output" > "$T/out.ndjson"
	[ "$(count_lines "$T/out.ndjson")" = 2 ]
	# The bid names the key's address, in EIP-55 case, and is signed by it.
	run jq -c '[.type, .worker, .iteration]' <(head -n 1 "$T/out.ndjson")
	assert_output "[\"bid\",\"$EIP155_ADDR\",0]"
	head -n 1 "$T/out.ndjson" > "$T/bid.ndjson"
	run -0 hive-sign verify --signer-field worker --require-sig "$T/bid.ndjson"
	run -0 hive-sign verify --signer "$EIP155_ADDR" --require-sig "$T/bid.ndjson"
	# The other meter's forecast is not this Worker's: passed through untouched, not planned.
	cmp <(sed -n 2p "$T/out.ndjson") "$T/other.ndjson"
	# The same plan as with the worker named in the assets file.
	run -0 bid --key "$T/w.key" "$T/fc.ndjson"
	[ "$(jq -c 'del(.sig)' <<< "$output")" = "$(jq -c 'del(.sig)' "$T/bid.ndjson")" ]
}

@test "hive-bid: a battery goal that falls more than 64 times in the forecast's horizon is refused by line" {
	# 2016 slots of an hour: 84 days, so a daily goal falls 84 times. 1560 slots (65 days): 65 times.
	# 1536 slots (64 days from midnight): a goal at 07:00 falls 64 times, and is planned.
	long_forecast() {
		awk -v n="$1" -v m="$EIP155_ADDR" 'BEGIN {
			printf "{\"type\":\"forecast\",\"meter\":\"%s\",\"start\":\"2026-06-21T00:00:00Z\",\"step\":3600,\"horizon\":%d,\"series\":{\"net_wh\":{\"point\":[", m, n * 3600
			for (t = 0; t < n; t++) printf "%s%d", t ? "," : "", 300
			printf "]}}}\n"
		}'
	}
	sed 's/"cycle_cost":"10000"}/"cycle_cost":"10000","goals":[{"by":"07:00","soc_wh":8000}]}/' "$T/assets.ndjson" > "$T/goal.ndjson"
	grep -q goals "$T/goal.ndjson"
	{ long_forecast 2016; long_forecast 1560; echo '{"type":"reading"}'; } > "$T/in.ndjson"
	run -1 --separate-stderr hive-bid --assets "$T/goal.ndjson" --tariff "$TARIFF" "$T/in.ndjson"
	[ "$stderr" = "hive-bid: '$T/in.ndjson' line 1: no plan: asset 'garage': a goal falls more than 64 times in the horizon
hive-bid: '$T/in.ndjson' line 2: no plan: asset 'garage': a goal falls more than 64 times in the horizon" ]
	assert_output '{"type":"reading"}'
	long_forecast 1536 > "$T/64.ndjson"
	run -0 --separate-stderr hive-bid --assets "$T/goal.ndjson" --tariff "$TARIFF" "$T/64.ndjson"
	[ "$stderr" = "" ]
	run jq -c '[.type, .iteration, (.plan_wh | length), (.schedules.garage.soc_wh[6] >= 7999.999)]' <<< "$output"
	assert_output '["bid",0,1536,true]'
	# A goal at midnight falls at the horizon's start too, which leaves nothing to plan: 64 times, not 65.
	sed 's/"by":"07:00"/"by":"00:00"/' "$T/goal.ndjson" > "$T/midnight.ndjson"
	run -0 --separate-stderr hive-bid --assets "$T/midnight.ndjson" --tariff "$TARIFF" "$T/64.ndjson"
	[ "$stderr" = "" ]
	run jq -c '[(.plan_wh | length), (.schedules.garage.soc_wh | .[23] >= 7999.999 and .[1535] >= 7999.999)]' <<< "$output"
	assert_output '[1536,true]'
}
