#!/usr/bin/env bats
# hive-clear simulate: a whole hive's coordinated plan in one process,
# against the centralized optimum that tests/tools/hiveref.py computes with
# scipy's HiGHS from the documented semantics (not from hive's code).
load helpers

setup() { setup_scratch; }

REF=$TOP/tests/tools/hiveref.py

need_scipy() {
	/usr/bin/python3 -c 'import scipy, cvxopt' 2> /dev/null && return 0
	[ -z "${CI:-}" ] || fail "python3-scipy and python3-cvxopt are not installed (scripts/deps check)"
	skip "python3-scipy and python3-cvxopt are not installed (scripts/deps check)"
}

# simulate DIR: hive-clear simulate on a hiveref.py instance, with its coupling options.
simulate() {
	local d=$1 opts=()
	opts+=($(jq -r 'to_entries[] | if .key == "import_max_w" then "--import-max-w=\(.value)"
		elif .key == "export_max_w" then "--export-max-w=\(.value)"
		elif .key == "peak_price_per_kw" then "--peak-price=\(.value)" else empty end' "$d/hive.json"))
	local assets=("$d"/assets-*.ndjson)
	[ -e "${assets[0]}" ] || assets=()
	hive-clear simulate --tariff "$d/tariff.ndjson" "${opts[@]}" "${assets[@]}" < "$d/forecasts.ndjson"
}

@test "hive-clear simulate: usage" {
	run -2 hive-clear simulate
	assert_output --partial "--tariff FILE is required"
	run -2 hive-clear simulate --tariff x --rho -1
	assert_output --partial "--rho: '-1' is not a number"
}

@test "hive-clear simulate: one bid per Worker and the coordination record; the hive costs less than its Workers alone" {
	need_scipy
	/usr/bin/python3 "$REF" gen "$T/h" --seed 7 --workers 6 --slots 96
	simulate "$T/h" > "$T/out.ndjson"
	run jq -r .type "$T/out.ndjson"
	assert_output "$(printf 'bid\n%.0s' 1 2 3 4 5 6; echo coordination)"
	run jq -s -c 'last | [.converged, .workers, (.cost_coordinated <= .cost_pooled), (.cost_pooled <= .cost_alone),
		((.surplus - (.cost_alone - .cost_coordinated)) | fabs <= 1)]' "$T/out.ndjson"
	assert_output "[true,6,true,true,true]"
}

@test "hive-clear simulate: assets without a forecast, and malformed forecasts, are refused" {
	need_scipy
	/usr/bin/python3 "$REF" gen "$T/h" --seed 8 --workers 3 --slots 24
	head -n 2 "$T/h/forecasts.ndjson" > "$T/two.ndjson"
	f=$(ls "$T/h"/assets-*.ndjson | tail -n 1)
	w=$(jq -r 'select(.type == "assets") | .worker' "$f")
	grep -q "$w" "$T/two.ndjson" && skip "the last assets file's Worker is among the first two"
	run -3 hive-clear simulate --tariff "$T/h/tariff.ndjson" "$T/h"/assets-*.ndjson < "$T/two.ndjson"
	assert_output --partial "no forecast for worker $w"
	{ echo '{"type":"forecast","meter":"0x00"}'; cat "$T/h/forecasts.ndjson"; } > "$T/bad.ndjson"
	run -1 --separate-stderr hive-clear simulate --tariff "$T/h/tariff.ndjson" "$T/h"/assets-*.ndjson < "$T/bad.ndjson"
	[[ "$stderr" == *"line 1: forecast refused: "* ]]
	[ "$(jq -s -c 'last | .workers' <<< "$output")" = 3 ]
}

# The optimality check of issue 7: 200 random hives (1 to 50 Workers of
# 6-hour days of 15-minute slots: batteries, deferrable loads, EVs and PV,
# asymmetric and varying prices; with and without coupling limits and a
# peak charge), the converged plans within 0.5 % of the centralized
# optimum, every Worker's plan feasible for its own constraints, and the
# aggregate within the coupling limits up to the stopping rule's primal
# tolerance (√N·r_tol: ADMM meets the coupling only to its tolerance).
# Two lanes of seeds run side by side.
optimal_lane() {
	local first=$1 step=$2 seed n extra d tol
	for seed in $(seq "$first" "$step" 200); do
		n=$(( seed % 50 + 1 )); extra=()
		(( seed % 2 )) && extra+=(--limits)
		(( seed % 3 == 0 )) && extra+=(--peak)
		d=$T/h$seed
		/usr/bin/python3 "$REF" gen "$d" --seed "$seed" --workers "$n" --slots 24 "${extra[@]}"
		if ! simulate "$d" > "$d/out.ndjson" 2> "$d/err"; then
			echo "seed $seed: exit: $(cat "$d/err")"
			continue
		fi
		tol=$(jq -s 'last | (.workers | sqrt) * .r_tol' "$d/out.ndjson")
		/usr/bin/python3 "$REF" central "$d" --check "$d/out.ndjson" --limit-tol "$tol" > "$d/check.json"
		jq -e '.feasible and (.gap | fabs) <= 0.005' "$d/check.json" > /dev/null ||
			echo "seed $seed ($n Workers ${extra[*]}): $(cat "$d/check.json") $(tail -n 1 "$d/out.ndjson")"
		jq -s -e 'last | .converged' "$d/out.ndjson" > /dev/null || echo "$seed" >> "$T/unconverged"
	done
}

@test "hive-clear simulate: 200 random hives within 0.5 % of the centralized optimum" {
	need_scipy
	optimal_lane 1 2 > "$T/lane1" &
	optimal_lane 2 2 > "$T/lane2"
	wait
	cat "$T/lane1" "$T/lane2"
	[ ! -s "$T/lane1" ] && [ ! -s "$T/lane2" ]
	# Some stop at the iteration cap (2,000) before the stopping rule holds, though within 0.5 %: at most 3 %.
	touch "$T/unconverged"
	echo "not converged: $(count_lines "$T/unconverged") of 200"
	[ "$(count_lines "$T/unconverged")" -le 6 ]
}
