#!/usr/bin/env bats
# hive-forecast: day-ahead forecasts per Worker from readings and intervals,
# and rolling-origin backtests; synthetic series with known answers, and the
# real households' load and PV in tests/fixtures/forecast.
load helpers

setup() { setup_scratch; }

A=0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F
B=0x2c7536E3605D9C16a7a3D7b1898e529396a65c23

# gen DAYS [STEP_S] [METER] [EXPORT]: interval records from 2025-01-01 (a
# Wednesday) of a pure daily pattern: import 100 Wh per 15 min at night,
# 300 from 07:00 to 09:00 and 400 from 18:00 to 21:00 (scaled to the step);
# with EXPORT, PV-like export of 200 Wh per 15 min from 10:00 to 14:00.
gen() {
	awk -v days="$1" -v step="${2:-900}" -v meter="${3:-$A}" -v pv="${4:-}" 'BEGIN {
		t0 = 1735689600; n = days * 86400 / step
		for (i = 0; i < n; i++) {
			t = t0 + i * step; h = (t % 86400) / 3600
			v = (h >= 7 && h < 9) ? 300 : (h >= 18 && h < 21) ? 400 : 100
			v = v * step / 900
			e = (pv != "" && h >= 10 && h < 14) ? 200 * step / 900 : 0
			printf "{\"type\":\"interval\",\"meter\":\"%s\",\"start\":\"%s\",\"seconds\":%d,\"import_wh\":%d", meter, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), step, v
			if (pv != "") printf ",\"export_wh\":%d", e
			printf ",\"complete\":true}\n"
		}
	}'
}

# The expected value of slot k of the day after the history, at STEP_S.
expected() {
	awk -v k="$1" -v step="${2:-900}" 'BEGIN { h = (k * step % 86400) / 3600
		v = (h >= 7 && h < 9) ? 300 : (h >= 18 && h < 21) ? 400 : 100; print v * step / 900 }'
}

# csv_intervals FILE: a fixture CSV (mean W over 30 min) as interval records.
csv_intervals() {
	hive-read csv --kind power --unit W --step 30m --import value "$1" 2> /dev/null
}

@test "--help and --version" {
	run hive-forecast --help
	assert_success
	assert_output --partial "usage: hive-forecast [forecast]"
	assert_output --partial "hive-forecast backtest"
	run hive-forecast --version
	assert_success
	assert_output --regexp '^hive-forecast [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "usage errors exit 2 and name the problem" {
	run -2 hive-forecast --model arima < /dev/null
	assert_output --partial "unknown model 'arima'"
	run -2 hive-forecast --step 7m < /dev/null
	assert_output --partial "divides a day"
	run -2 hive-forecast --horizon 20m < /dev/null
	assert_output --partial "--horizon: a whole number of steps"
	run -2 hive-forecast --horizon 15d < /dev/null
	run -2 hive-forecast --start 2025-01-01T00:10:00Z < /dev/null
	assert_output --partial "not on the grid"
	run -2 hive-forecast --lat 47 < /dev/null
	assert_output --partial "--lat and --lon go together"
	run -2 hive-forecast --lat 91 --lon 8 < /dev/null
	run -2 hive-forecast --tilt 30 < /dev/null
	run -2 hive-forecast --model clearsky < /dev/null
	assert_output --partial "needs --lat and --lon"
	run -2 hive-forecast --quantiles 90,10 < /dev/null
	assert_output --partial "ascending percentages"
	run -2 hive-forecast --quantiles 0,50 < /dev/null
	run -2 hive-forecast --days 3 < /dev/null
	assert_output --partial "'hive-forecast' does not take --days"
	run -2 hive-forecast backtest --start 2025-01-01T00:00:00Z < /dev/null
	assert_output --partial "'backtest' does not take --start"
	run -2 hive-forecast backtest --model dshw,dshw < /dev/null
	assert_output --partial "named twice"
	run -2 hive-forecast --window 0 < /dev/null
	run -2 hive-forecast --step 1s < /dev/null
	assert_output --partial "exceed 2097152 slots"
	run -2 hive-forecast --quantiles 10.0000001,10.0000002,90 < /dev/null
	assert_output --partial "distinct in 6 digits"
	run -2 hive-forecast --quantiles 10,50, < /dev/null
	run -2 hive-forecast --quantiles 0x1A < /dev/null
	run -2 hive-forecast backtest --days 367 < /dev/null
}

@test "unreadable inputs, a bad holiday or exogenous file exit 3; a bad zone 2" {
	run -3 hive-forecast "$T/none.ndjson"
	assert_output --partial "none.ndjson"
	run -2 hive-forecast --tz Mars/Olympus < /dev/null
	assert_output --partial "Mars/Olympus"
	printf '2025-01-01\n2025-13-01 not a month\n' > "$T/hol.txt"
	run -3 hive-forecast --holidays "$T/hol.txt" < /dev/null
	assert_output --partial "line 2: not a date"
	printf 'time,temp\n2025-01-01T00:00:00Z,abc\n' > "$T/exog.csv"
	run -3 hive-forecast --exog "$T/exog.csv" < /dev/null
	assert_output --partial "row 2: a value is not a number"
	printf 'time,temp\n2025-01-01T01:00:00Z,1\n2025-01-01T00:00:00Z,2\n' > "$T/exog.csv"
	run -3 hive-forecast --exog "$T/exog.csv" < /dev/null
	assert_output --partial "not after the previous row"
	run -3 hive-forecast --exog "$T/missing.csv" < /dev/null
}

@test "a pure daily pattern is forecast exactly, with the record's layout" {
	gen 28 > "$T/in.ndjson"
	run --separate-stderr hive-forecast --model snaive-day < "$T/in.ndjson"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e --arg a "$A" '.type == "forecast" and .meter == $a and .start == "2025-01-29T00:00:00Z"
		and .step == 900 and .horizon == 86400 and .model == "snaive-day" and .quantiles == [0.1,0.5,0.9]
		and (.series | keys) == ["import_wh","net_wh"] and (.series.import_wh.point | length) == 96
		and .series.import_wh.model == "snaive-day" and .series.import_wh.warnings == []
		and .series.net_wh == .series.import_wh'
	for k in 0 28 30 40 72 80 95; do
		[ "$(echo "$output" | jq ".series.import_wh.point[$k]")" = "$(expected $k)" ]
	done
	# Every model, auto included, gets a noiseless pattern right; the quantiles collapse on it.
	for m in snaive-week dshw dshw-log linear combo auto; do
		run --separate-stderr hive-forecast --model "$m" < "$T/in.ndjson"
		assert_success
		echo "$output" | jq -e '.series.import_wh as $s | [range(96)] | all(. as $k |
			($s.point[$k] - ([100,300,400][if ($k >= 28 and $k < 36) then 1 elif ($k >= 72 and $k < 84) then 2 else 0 end]) | fabs) < 0.11
			and $s.q10[$k] == $s.point[$k] and $s.q90[$k] == $s.point[$k])'
	done
}

@test "import and export give three series; net is import minus export" {
	gen 21 900 "$A" pv > "$T/in.ndjson"
	run --separate-stderr hive-forecast --model snaive-day < "$T/in.ndjson"
	assert_success
	echo "$output" | jq -e '. as $r | (.series | keys) == ["export_wh","import_wh","net_wh"]
		and $r.series.export_wh.point[44] == 200 and $r.series.export_wh.point[0] == 0
		and ([range(96)] | all(. as $k | $r.series.net_wh.point[$k] ==
			($r.series.import_wh.point[$k] - $r.series.export_wh.point[$k])))'
}

@test "an address names one meter in any letter case" {
	lower=$(echo "$A" | tr 'A-F' 'a-f')
	{ gen 7 900 "$A" | head -n 300; gen 7 900 "$lower" | tail -n +301; } > "$T/in.ndjson"
	run --separate-stderr hive-forecast --model snaive-day < "$T/in.ndjson"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e --arg a "$A" '.meter == $a and .series.import_wh.known_slots == 672'
}

@test "any step in, any step out: 30-minute history, 15-minute and hourly forecasts" {
	gen 14 1800 > "$T/in.ndjson"
	run --separate-stderr hive-forecast --model snaive-day --step 15m < "$T/in.ndjson"
	assert_success
	echo "$output" | jq -e '.step == 900 and (.series.import_wh.point | length) == 96
		and .series.import_wh.point[0] == 100 and .series.import_wh.point[28] == 300'
	run --separate-stderr hive-forecast --model snaive-day --step 1h --horizon 48h < "$T/in.ndjson"
	assert_success
	echo "$output" | jq -e '.step == 3600 and .horizon == 172800 and (.series.import_wh.point | length) == 48
		and .series.import_wh.point[0] == 400 and .series.import_wh.point[7] == 1200 and .series.import_wh.point[31] == 1200'
}

@test "readings become energies; a register reset and a long silence are gaps, not energy" {
	# A register read every 5 minutes for 10 days at a constant 1200 W (100 Wh per 5 min),
	# reset to 0 on day 5 and silent for 3 hours on day 7.
	awk -v a="$A" 'BEGIN { t0 = 1735689600; r = 5000
		for (i = 0; i < 10 * 288; i++) {
			t = t0 + i * 300
			if (i >= 7 * 288 && i < 7 * 288 + 36) continue
			if (i == 5 * 288) r = 0
			printf "{\"type\":\"reading\",\"meter\":\"%s\",\"time\":\"%s\",\"import_wh\":%d}\n", a, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), r
			r += 100 }}' > "$T/r.ndjson"
	run --separate-stderr hive-forecast --model snaive-day < "$T/r.ndjson"
	assert_success
	[[ "$stderr" == *"1 register resets and 1 readings further apart than --max-gap: left as gaps"* ]]
	# 300 Wh per 15 min everywhere; the forecast starts at the end of the slot of the last reading.
	echo "$output" | jq -e '.start == "2025-01-11T00:00:00Z" and (.series.import_wh.point | all(. == 300))
		and .series.import_wh.known_slots < 959'
}

@test "gaps, a glitch and repeated intervals do not change a clean forecast" {
	gen 28 > "$T/clean.ndjson"
	# Drop every 7th record and a whole day, repeat some, and turn one value into a glitch.
	awk 'NR % 7 != 3 && !(NR > 1000 && NR <= 1096)' "$T/clean.ndjson" |
		sed '500s/"import_wh":[0-9]*/"import_wh":9000000/' > "$T/dirty.ndjson"
	sed -n '100,120p' "$T/clean.ndjson" >> "$T/dirty.ndjson"
	run --separate-stderr hive-forecast --model snaive-day < "$T/dirty.ndjson"
	assert_success
	[[ "$stderr" == *"records repeat another exactly: counted once"* ]]
	[[ "$stderr" == *"1 values beyond ten times the 99th percentile"* ]]
	clean=$(hive-forecast --model snaive-day < "$T/clean.ndjson" | jq -c '.series.import_wh.point')
	[ "$(echo "$output" | jq -c '.series.import_wh.point')" = "$clean" ]
	echo "$output" | jq -e '.series.import_wh.outliers == 1 and (.series.import_wh.warnings | length) == 1'
}

@test "the same input in another order gives the same bytes; other records pass through" {
	gen 21 > "$T/in.ndjson"
	printf '{"type":"event","event":"hello"}\n' >> "$T/in.ndjson"
	hive-forecast < "$T/in.ndjson" > "$T/a.out"
	shuf --random-source=<(yes) "$T/in.ndjson" | hive-forecast > "$T/b.out"
	[ "$(grep -c '"type":"event"' "$T/a.out")" -eq 1 ]
	grep -v '"event"' "$T/a.out" > "$T/a.fc"
	grep -v '"event"' "$T/b.out" > "$T/b.fc"
	cmp "$T/a.fc" "$T/b.fc"
	hive-forecast < "$T/in.ndjson" | cmp - "$T/a.out"
}

@test "bad records are named with their line and skipped; the rest is forecast (exit 1)" {
	gen 14 > "$T/in.ndjson"
	sed -i '3s/.*/{"type":"interval","meter":"'"$A"'","start":"yesterday","seconds":900,"import_wh":1}/; 5s/.*/not json/' "$T/in.ndjson"
	printf '{"type":"interval","meter":"%s","start":"2025-01-02T00:00:00Z","seconds":900,"import_wh":-5}\n' "$A" >> "$T/in.ndjson"
	run --separate-stderr hive-forecast "$T/in.ndjson"
	assert_failure 1
	[[ "$stderr" == *"line 3: no valid 'start' time"* ]]
	[[ "$stderr" == *"line 5:"* ]]
	[[ "$stderr" == *"line 1345: 'import_wh' is not a number of Wh, 0 to 2^40"* ]]
	echo "$output" | jq -e '.type == "forecast" and (.series.import_wh.point | length) == 96'
	run --separate-stderr hive-forecast --strict "$T/in.ndjson"
	assert_failure 1
	[ -z "$output" ]
}

@test "--start forecasts from the history before it only" {
	gen 28 > "$T/in.ndjson"
	head -n $((21 * 96)) "$T/in.ndjson" > "$T/head.ndjson"
	a=$(hive-forecast --start 2025-01-22T00:00:00Z < "$T/in.ndjson")
	b=$(hive-forecast < "$T/head.ndjson")
	[ "$a" = "$b" ]
	echo "$a" | jq -e '.start == "2025-01-22T00:00:00Z"'
	run --separate-stderr hive-forecast --start 2024-12-01T00:00:00Z < "$T/in.ndjson"
	assert_failure 1
	[[ "$stderr" == *"no history before the start"* ]]
}

@test "short histories fall back with a warning" {
	gen 3 > "$T/in.ndjson"
	run --separate-stderr hive-forecast --model linear < "$T/in.ndjson"
	assert_success
	[[ "$stderr" == *"history too short for the model asked: used snaive-day"* ]]
	echo "$output" | jq -e '.series.import_wh.model == "snaive-day" and (.series.import_wh.warnings | index("history too short for the model: fell back")) != null'
	head -n 40 "$T/in.ndjson" > "$T/tiny.ndjson"
	run --separate-stderr hive-forecast < "$T/tiny.ndjson"
	assert_success
	[[ "$stderr" == *"under a day of history"* ]]
	run --separate-stderr hive-forecast < /dev/null
	assert_failure 1
	[[ "$stderr" == *"no history"* ]]
}

@test "holidays and exogenous series reach the linear model" {
	# Load = 50 + 10 × temperature, the temperature a seeded random walk; with the
	# series as --exog, the linear model finds the relation; without, it cannot.
	awk -v a="$A" 'BEGIN { srand(7); t0 = 1735689600; temp = 10
		print "time,temp" > "'"$T"'/exog.csv"
		for (i = 0; i < 36 * 96; i++) {
			t = t0 + i * 900; temp += rand() - 0.5
			printf "%s,%.3f\n", strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), temp >> "'"$T"'/exog.csv"
			if (i < 35 * 96)
				printf "{\"type\":\"interval\",\"meter\":\"%s\",\"start\":\"%s\",\"seconds\":900,\"import_wh\":%d,\"complete\":true}\n", a, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), 50 + 10 * temp + 500 }}' > "$T/in.ndjson"
	with=$(hive-forecast backtest --model linear --days 3 --exog "$T/exog.csv" < "$T/in.ndjson" | jq '.mae')
	without=$(hive-forecast backtest --model linear --days 3 < "$T/in.ndjson" | jq '.mae')
	awk -v w="$with" -v wo="$without" 'BEGIN { exit !(w < 2 && wo > 5 * w) }'
	# Hourly rows serve the 15-minute slots: each value is held for the hour.
	awk -F, 'NR == 1 || $1 ~ /:00:00Z$/' "$T/exog.csv" > "$T/hourly.csv"
	hourly=$(hive-forecast backtest --model linear --days 3 --exog "$T/hourly.csv" < "$T/in.ndjson" | jq '.mae')
	awk -v h="$hourly" -v wo="$without" 'BEGIN { exit !(h < wo / 2) }'
	# Holidays on scattered weekdays add 200 Wh per slot; the last day is one. With the
	# holiday file the linear model (and auto, which then picks it) gets that day right.
	awk -v a="$A" 'BEGIN { t0 = 1735689600; split("2025-01-03 2025-01-09 2025-01-14 2025-01-20 2025-01-25 2025-01-28 2025-02-04", hs, " ")
		for (k in hs) hol[hs[k]] = 1
		for (i = 0; i < 35 * 96; i++) { t = t0 + i * 900; h = (t % 86400) / 3600; d = strftime("%Y-%m-%d", t, 1)
			v = (h >= 7 && h < 9) ? 300 : (h >= 18 && h < 21) ? 400 : 100; if (d in hol) v += 200
			printf "{\"type\":\"interval\",\"meter\":\"%s\",\"start\":\"%s\",\"seconds\":900,\"import_wh\":%d,\"complete\":true}\n", a, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), v }}' > "$T/hol.ndjson"
	printf '# scattered holidays\n2025-01-03 one\n2025-01-09\n2025-01-14\n2025-01-20\n2025-01-25\n2025-01-28\n2025-02-04 the last day\n' > "$T/hol.txt"
	with=$(hive-forecast backtest --model auto --days 1 --holidays "$T/hol.txt" < "$T/hol.ndjson" | jq '.mae')
	without=$(hive-forecast backtest --model auto --days 1 < "$T/hol.ndjson" | jq '.mae')
	awk -v w="$with" -v wo="$without" 'BEGIN { exit !(w < 1 && wo > 100) }'
}

@test "backtest: records per meter, series and model, the hive's aggregate, and a table" {
	{ gen 28 900 "$A"; gen 28 900 "$B" pv; } > "$T/in.ndjson"
	run --separate-stderr hive-forecast backtest --model snaive-day,dshw --days 3 < "$T/in.ndjson"
	assert_success
	# A: import (net is the same); B: import, export, net; the hive: net; two models each.
	[ "${#lines[@]}" -eq 10 ]
	echo "$output" | jq -se --arg a "$A" 'map(select(.meter == $a)) | length == 2 and .[0].series == "import_wh"
		and .[0].origins == 3 and .[0].first_origin == "2025-01-26T00:00:00Z" and .[0].last_origin == "2025-01-28T00:00:00Z"
		and .[0].slots == 288 and .[0].mae == 0 and .[0].coverage == 1 and .[0].interval == [0.1,0.9]
		and .[0].picked == {"snaive-day":3} and .[0].scope == "meter"'
	echo "$output" | jq -se 'map(select(.scope == "hive")) | length == 2 and all(.series == "net_wh" and (has("meter") | not))'
	run --separate-stderr hive-forecast backtest --table --days 3 --model auto < "$T/in.ndjson"
	assert_success
	assert_line --index 0 --regexp '^meter +series +model +MAE +RMSE +MASE +pinball +coverage +ms/fcast$'
	assert_line --index 5 --regexp '^hive +net_wh +auto +0\.0 '
	gen 1 > "$T/short.ndjson"
	run --separate-stderr hive-forecast backtest < "$T/short.ndjson"
	assert_failure 1
	[[ "$stderr" == *"no room for a backtest"* ]]
}

@test "clearsky: PV forecast from the site's clear sky is 0 at night" {
	csv_intervals "$FIX/forecast/ausgrid_c12_pv_30min_W.csv" > "$T/pv.ndjson"
	run --separate-stderr hive-forecast --model clearsky --step 30m --lat -33.9 --lon 151.2 < "$T/pv.ndjson"
	assert_success
	# The forecast starts at 2012-06-30T14:00Z, local midnight in Sydney: night, noon, night.
	echo "$output" | jq -e '.start == "2012-06-30T14:00:00Z" and .series.import_wh.point[0] == 0
		and .series.import_wh.point[20] > 50 and .series.import_wh.point[47] == 0'
}

# backtest_mase FILE MODEL [OPTIONS]: MASE and coverage of a 14-day backtest of a fixture.
backtest_scores() {
	local file=$1
	shift
	csv_intervals "$FIX/forecast/$file" | hive-forecast backtest --step 30m --days 14 "$@" 2> /dev/null |
		jq -r '"\(.model) \(.mase) \(.coverage)"'
}

# Real data: auto against the daily seasonal naive, MASE margins and coverage bands
# measured on these fixtures and written down in bench/README.md.
assert_beats() { # FILE MARGIN LO HI [OPTIONS]
	local file=$1 margin=$2 lo=$3 hi=$4
	shift 4
	scores=$(backtest_scores "$file" --model snaive-day,auto "$@")
	echo "$file: $scores"
	awk -v m="$margin" -v lo="$lo" -v hi="$hi" '
		$1 == "snaive-day" { base = $2 } $1 == "auto" { auto = $2; cov = $3 }
		END { exit !(auto <= base * (1 - m) && cov >= lo && cov <= hi) }' <<< "$scores"
}

@test "real households: auto beats the previous day's profile on load by at least 10 %" {
	assert_beats emhass_fr_home_load_30min_W.csv 0.10 0.70 0.92
	assert_beats ausgrid_c12_load_30min_W.csv 0.10 0.70 0.92
}

@test "real households: PV without weather data stays within 5 % of the previous day (no margin claimed)" {
	assert_beats emhass_fr_home_pv_30min_W_nights0.csv -0.05 0.75 0.95 --lat 48.83 --lon 6.86
	assert_beats ausgrid_c12_pv_30min_W.csv -0.05 0.70 0.95 --lat -33.9 --lon 151.2
}

@test "taylor's national demand: auto beats both seasonal naive forecasts on the last week" {
	# The origins are the last seven local midnights (BST), as in bench/forecast.
	scores=$(csv_intervals "$FIX/forecast/taylor_uk_demand_halfhourly_MW.csv" |
		hive-forecast backtest --step 30m --days 7 --tz Europe/London --model snaive-day,snaive-week,auto 2> /dev/null |
		jq -r '"\(.model) \(.mase) \(.coverage)"')
	echo "$scores"
	awk '{ m[$1] = $2; c[$1] = $3 } END { exit !(m["auto"] < 0.9 * m["snaive-week"] && m["auto"] < 0.5 * m["snaive-day"] &&
		c["auto"] >= 0.65 && c["auto"] <= 0.95) }' <<< "$scores"
}

@test "examples/forecast.sh: a backtest table and tomorrow's CSV from a utility export" {
	cd "$T"
	run sh "$TOP/examples/forecast.sh" "$FIX/forecast/ausgrid_c12_load_30min_W.csv" Australia/Sydney
	assert_success
	assert_line --regexp '^\(unnamed\) +import_wh +auto '
	[ "$(count_lines forecast.csv)" -eq 49 ]
	[ "$(head -n 1 forecast.csv)" = "slot_start,forecast_wh,q10_wh,q90_wh" ]
	[ "$(sed -n 2p forecast.csv | cut -d, -f1)" = '"2012-06-30T14:00:00Z"' ]
	awk -F, 'NR > 1 && !($3 <= $2 && $2 <= $4) { bad = 1 } END { exit bad }' forecast.csv
	run -2 sh "$TOP/examples/forecast.sh"
}

@test "one record from long ago does not make the grid huge; an energy beyond 2^40 Wh is refused" {
	gen 21 > "$T/in.ndjson"
	printf '{"type":"interval","meter":"%s","start":"1971-01-01T00:00:00Z","seconds":1,"import_wh":1}\n' "$A" >> "$T/in.ndjson"
	run --separate-stderr hive-forecast --step 1s --horizon 1h --window 2 --model snaive-day < "$T/in.ndjson"
	assert_success
	echo "$output" | jq -e '.step == 1 and (.series.import_wh.point | length) == 3600'
	printf '{"type":"interval","meter":"%s","start":"2025-01-22T00:00:00Z","seconds":900,"import_wh":2e12}\n' "$A" >> "$T/in.ndjson"
	run --separate-stderr hive-forecast < "$T/in.ndjson"
	assert_failure 1
	[[ "$stderr" == *"line 2018: 'import_wh' is not a number of Wh, 0 to 2^40"* ]]
}

@test "a meter whose data ended before the window gets no invented forecast" {
	{ gen 7 900 "$A"; gen 80 900 "$B"; } > "$T/in.ndjson"
	run --separate-stderr hive-forecast --model snaive-day < "$T/in.ndjson"
	assert_failure 1
	[[ "$stderr" == *"meter $A: import_wh: no known slot in the 56 days before the start (2025-03-22T00:00:00Z): no forecast"* ]]
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e --arg b "$B" '.meter == $b'
}

@test "a meter with only an export register: net is minus its export, quantiles mirrored; all-zero export still forecast" {
	gen 21 900 "$A" pv | sed 's/"import_wh":[0-9]*,//' > "$T/pv.ndjson"
	run --separate-stderr hive-forecast --model snaive-day < "$T/pv.ndjson"
	assert_success
	echo "$output" | jq -e '(.series | keys) == ["export_wh","net_wh"] and .series.export_wh.point[44] == 200
		and .series.net_wh.point[44] == -200 and .series.net_wh.q10 == (.series.export_wh.q90 | map(-.))
		and .series.net_wh.q90 == (.series.export_wh.q10 | map(-.))'
	sed 's/"export_wh":[0-9]*/"export_wh":0/' "$T/pv.ndjson" > "$T/zero.ndjson"
	run --separate-stderr hive-forecast --model snaive-day < "$T/zero.ndjson"
	assert_success
	echo "$output" | jq -e '(.series | keys) == ["export_wh","net_wh"] and (.series.export_wh.point | all(. == 0))'
}

@test "a holiday file with a long comment; a backtest that can compare nothing exits 1" {
	gen 14 > "$T/in.ndjson"
	{ printf '# %0600d\n' 0; echo 2025-01-06; } > "$T/hol.txt"
	run --separate-stderr hive-forecast --holidays "$T/hol.txt" < "$T/in.ndjson"
	assert_success
	# The last day's records are incomplete: the origin's horizon has no known slot.
	{ head -n $((13 * 96)) "$T/in.ndjson"; tail -n 96 "$T/in.ndjson" | sed 's/"complete":true/"complete":false/'; } > "$T/gap.ndjson"
	printf '{"type":"interval","meter":"%s","start":"2025-01-15T00:00:00Z","seconds":900,"import_wh":1,"complete":true}\n' "$A" >> "$T/gap.ndjson"
	run --separate-stderr hive-forecast backtest --days 1 --model snaive-day < "$T/gap.ndjson"
	assert_failure 1
	[[ "$stderr" == *"no slot of the horizons was known: nothing compared"* ]]
	echo "$output" | jq -e '.slots == 0 and .mae == null'
}

@test "backtest origins are local midnights across a DST change (Europe/Paris, 2025-10-26)" {
	hive-read sim --seed 4 --start 2025-09-25T00:00:00Z --duration 35d --interval 15m --no-readings > "$T/in.ndjson"
	run --separate-stderr hive-forecast backtest --days 7 --tz Europe/Paris --model snaive-day < "$T/in.ndjson"
	assert_success
	# The last origin whose day fits before 2025-10-30T00:00Z: Paris midnight of the 29th (CET, UTC+1);
	# the first, six days before: the 23rd, still summer time (UTC+2).
	echo "$output" | jq -e '.origins == 7 and .first_origin == "2025-10-22T22:00:00Z"
		and .last_origin == "2025-10-28T23:00:00Z" and .slots == 7 * 96'
}

@test "progress on stderr only when it is a terminal" {
	{ gen 14 900 "$A"; gen 14 900 "$B"; } > "$T/in.ndjson"
	run --separate-stderr hive-forecast --model snaive-day "$T/in.ndjson"
	assert_success
	[[ "$stderr" != *"meter 1/2"* ]]
	command -v script > /dev/null || skip "script (util-linux) is not installed"
	script -qec "hive-forecast --model snaive-day '$T/in.ndjson' > '$T/out' 2> /dev/tty" /dev/null > "$T/tty" < /dev/null
	grep -q 'hive-forecast: meter 2/2' "$T/tty"
	[ "$(count_lines "$T/out")" -eq 2 ]
}
