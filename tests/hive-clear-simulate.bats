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

# simulate DIR [OPTION...]: hive-clear simulate on a hiveref.py instance, with its coupling options.
simulate() {
	local d=$1 opts=()
	shift
	opts+=($(jq -r 'to_entries[] | if .key == "import_max_w" then "--import-max-w=\(.value)"
		elif .key == "export_max_w" then "--export-max-w=\(.value)"
		elif .key == "peak_price_per_kw" then "--peak-price=\(.value)" else empty end' "$d/hive.json"))
	local assets=("$d"/assets-*.ndjson)
	[ -e "${assets[0]}" ] || assets=()
	hive-clear simulate --tariff "$d/tariff.ndjson" "${opts[@]}" "$@" "${assets[@]}" < "$d/forecasts.ndjson"
}

# A time-of-use tariff, UTC: nights (00:00–07:00) at half the day's price.
night_tariff() {
	cat <<-'END'
	{"type":"tariff","kind":"tou","tz_posix":"UTC0"}
	{"type":"tou","days":"all","from":"00:00","to":"07:00","buy":"150000","sell":"50000"}
	{"type":"tou","days":"all","from":"07:00","to":"24:00","buy":"300000","sell":"50000"}
	END
}

@test "hive-clear simulate: usage" {
	run -2 hive-clear simulate
	assert_output --partial "--tariff FILE is required"
	run -2 hive-clear simulate --tariff x --rho -1
	assert_output --partial "--rho: '-1' is not a number"
	run -2 hive-clear simulate --tariff x --gap 0
	assert_output --partial "--gap: '0' is not a number"
	run -2 hive-clear simulate --tariff x --relax 2
	assert_output --partial "--relax: '2' is not a number"
	run -2 hive-clear coordinate --tariff x --workers 2 --relax 1.5
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

@test "hive-clear simulate: forecasts read as jq reads them: escaped strings, and a flat record's bad number named" {
	need_scipy
	# simulate reads a forecast from its flat view, without jq values; escapes still mean what they say
	/usr/bin/python3 "$REF" gen "$T/h" --seed 8 --workers 3 --slots 24
	d=$T/h
	hive-clear simulate --tariff "$d/tariff.ndjson" "$d"/assets-*.ndjson < "$d/forecasts.ndjson" > "$T/plain.ndjson"
	sed '1s/"type":"forecast"/"type":"forec\\u0061st"/; 1s/"meter":"0x/"meter":"\\u0030x/' "$d/forecasts.ndjson" \
		> "$T/escaped.ndjson"
	grep -q 'forec\\u0061st' "$T/escaped.ndjson"
	hive-clear simulate --tariff "$d/tariff.ndjson" "$d"/assets-*.ndjson < "$T/escaped.ndjson" > "$T/esc.ndjson"
	cmp "$T/plain.ndjson" "$T/esc.ndjson"
	# a record without nested values skips the strict pass until it is read otherwise: then it gets it
	{ echo '{"type":"forecast","meter":"0x00","x":1e400}'; cat "$d/forecasts.ndjson"; } > "$T/bad.ndjson"
	run -1 --separate-stderr hive-clear simulate --tariff "$d/tariff.ndjson" "$d"/assets-*.ndjson < "$T/bad.ndjson"
	[[ "$stderr" == *"line 1: byte offset 38: number is too large for a double"* ]]
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
	# the lane's hives generated, and later checked, by one Python process each (a start with scipy's
	# imports takes a third of a second)
	for seed in $(seq "$first" "$step" 200); do
		n=$(( seed % 50 + 1 )); extra=()
		(( seed % 2 )) && extra+=(--limits)
		(( seed % 3 == 0 )) && extra+=(--peak)
		echo "- gen $T/h$seed --seed $seed --workers $n --slots 24 ${extra[*]}"
	done | /usr/bin/python3 "$REF" batch || echo "lane $first: hiveref.py gen failed"
	for seed in $(seq "$first" "$step" 200); do
		d=$T/h$seed
		if ! simulate "$d" > "$d/out.ndjson" 2> "$d/err"; then
			echo "seed $seed: exit: $(cat "$d/err")"
			continue
		fi
		tol=$(jq -s 'last | (.workers | sqrt) * .r_tol' "$d/out.ndjson")
		echo "$d/check.json central $d --check $d/out.ndjson --limit-tol $tol"
	done > "$T/checks$first"
	/usr/bin/python3 "$REF" batch < "$T/checks$first" || echo "lane $first: hiveref.py central failed"
	for seed in $(seq "$first" "$step" 200); do
		d=$T/h$seed
		[ -s "$d/out.ndjson" ] || continue
		n=$(( seed % 50 + 1 ))
		jq -e '.feasible and (.gap | fabs) <= 0.005' "$d/check.json" > /dev/null ||
			echo "seed $seed ($n Workers): $(cat "$d/check.json") $(tail -n 1 "$d/out.ndjson")"
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

# --gap: the rounds stop when the plans' cost is proven within F of the
# optimum. On 24 random hives (as above, a third with a peak charge, which
# has no bound; half over-relaxed by --relax 1.5): the lower bound is below
# HiGHS's optimum; the plans' cost (the record's, before the bids round
# them to 0.001 Wh) is no more above it than the proven gap says; every
# plan is feasible and the aggregate within the limits up to the
# residuals' tolerance; and most hives stop by the gap, some with polished
# plans (those without limits). (bench/coord: how many rounds it saves.)
@test "hive-clear simulate --gap: the proven gap holds against the centralized optimum" {
	need_scipy
	local seed n extra d by_gap=0 bounded=0 polished=0 relax tol
	for seed in $(seq 301 324); do # the hives, and later their checks, by one Python process (hiveref.py batch)
		n=$(( seed % 50 + 1 )); extra=()
		(( seed % 2 )) && extra+=(--limits)
		(( seed % 3 == 0 )) && extra+=(--peak)
		echo "- gen $T/g$seed --seed $seed --workers $n --slots 24 ${extra[*]}"
	done | /usr/bin/python3 "$REF" batch
	for seed in $(seq 301 324); do
		relax=()
		(( seed % 4 < 2 )) && relax=(--relax 1.5)
		(( seed % 3 == 0 )) && relax+=(--max-iter 20) # a peak charge: no bound, no need to converge
		d=$T/g$seed
		simulate "$d" --gap 0.005 "${relax[@]}" > "$d/gap.ndjson" 2> "$d/err"
		jq -s -c 'last' "$d/gap.ndjson" > "$d/summary.json"
		tol=$(jq '(.workers | sqrt) * .r_tol' "$d/summary.json")
		echo "$d/check.json central $d --check $d/gap.ndjson --limit-tol $tol"
	done | /usr/bin/python3 "$REF" batch
	for seed in $(seq 301 324); do
		d=$T/g$seed
		if (( seed % 3 == 0 )); then
			jq -e 'has("lower_bound") | not' "$d/summary.json" > /dev/null || fail "seed $seed: a bound with a peak charge"
			continue
		fi
		bounded=$((bounded + 1))
		jq -e -n --slurpfile c "$d/check.json" --slurpfile s "$d/summary.json" '
			$c[0] as $c | $s[0] as $s | $c.feasible and $c.within_limits != false
			and $s.lower_bound <= $c.optimum + 1e-9 * ($c.optimum | fabs) + 1
			and (if $s.stopped_by_gap then $s.proven_gap <= 0.005 else true end)
			and (if $s.proven_gap != null then ($s.cost_coordinated - $c.optimum) <= $s.proven_gap * ($c.optimum | fabs) + 1
			     else true end)' > /dev/null ||
			fail "seed $seed: $(cat "$d/check.json") $(cat "$d/summary.json")"
		jq -e '.stopped_by_gap' "$d/summary.json" > /dev/null && by_gap=$((by_gap + 1))
		jq -e '.polished' "$d/summary.json" > /dev/null && polished=$((polished + 1))
	done
	echo "$by_gap of $bounded bounded hives stopped by the gap, $polished with polished plans"
	(( bounded >= 16 && by_gap >= bounded * 3 / 4 && polished >= 1 ))
}

# --days: the receding horizon.

# rolling_check DIR OUT: recomputes the committed slots from OUT's one-slot bids and DIR's
# assets and tariff: every battery's state follows from the one before it and its flows, within its
# bounds, and the coordination record's cost_coordinated is what the bids cost.
rolling_check() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import glob, json, sys
d, out = sys.argv[1], sys.argv[2]
recs = [json.loads(l) for l in open(out)]
bids, summary = [r for r in recs if r["type"] == "bid"], recs[-1]
prices = {r["start"]: (int(r["buy"]) / 1000, int(r["sell"]) / 1000)
          for r in map(json.loads, open(d + "/tariff.ndjson")) if r["type"] == "price"}
batteries = {}
for f in glob.glob(d + "/assets-*.ndjson"):
    rs = [json.loads(l) for l in open(f)]
    for r in rs[1:]:
        if r["type"] == "battery":
            batteries[(rs[0]["worker"], r["name"])] = dict(r)
bad, agg, own = [], {}, 0.0
for b in bids:
    assert len(b["plan_wh"]) == 1, b
    agg[b["start"]] = agg.get(b["start"], 0) + b["first_wh"]
    own += b["own_cost"]
    for name, s in b["schedules"].items():
        k = (b["worker"], name)
        if k not in batteries:
            continue
        bt = batteries[k]
        soc = bt["soc_wh"] + bt.get("charge_efficiency", 1) * s["charge_wh"][0] - s["discharge_wh"][0] / bt.get("discharge_efficiency", 1)
        lo, hi = bt.get("soc_min_wh", 0), bt.get("soc_max_wh", bt["capacity_wh"])
        if abs(soc - s["soc_wh"][0]) > 0.01 or not lo - 0.01 <= s["soc_wh"][0] <= hi + 0.01:
            bad.append(f"{k} at {b['start']}: {s['soc_wh'][0]} after {bt['soc_wh']}")
        bt["soc_wh"] = s["soc_wh"][0]
hive = json.load(open(d + "/hive.json"))
hours = summary["seconds"] / 3600
peak = hive.get("peak_price_per_kw", 0) / (1000 * hours) * max(0, max(agg.values()))
cost = own + sum(e * (prices[t][0] if e >= 0 else prices[t][1]) for t, e in agg.items()) + peak
if summary["slots"] != len(agg) or abs(cost - summary["cost_coordinated"]) > 1 + 1e-6 * abs(cost):
    bad.append(f"{len(agg)} slots cost {cost:.0f}, the record says {summary}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

# Polishing (--gap, no limits): on hives of Workers with one battery each,
# the plans come out polished, every one feasible (checked plan by plan by
# hiveref.py), their cost within the proven gap of HiGHS's optimum. The
# same hive under a connection limit it never meets is not polished
# (limits rule it out): it takes at least as many rounds to the gap
# (here 22, 14, 16 against 36, 22, 34).
@test "hive-clear simulate --gap: polished plans of battery hives are feasible and proven" {
	need_scipy
	local seed d rounds=0 limited_rounds=0
	for seed in 41 42 43; do
		echo "- gen $T/b$seed --seed $seed --workers 40 --slots 48 --batteries"
	done | /usr/bin/python3 "$REF" batch
	for seed in 41 42 43; do
		d=$T/b$seed
		simulate "$d" --gap 0.005 --relax 1.5 > "$d/gap.ndjson"
		simulate "$d" --gap 0.005 --relax 1.5 --import-max-w 1e9 --export-max-w 1e9 > "$d/limited.ndjson"
		echo "$d/check.json central $d --check $d/gap.ndjson"
	done | /usr/bin/python3 "$REF" batch
	for seed in 41 42 43; do
		d=$T/b$seed
		jq -e -n --slurpfile c "$d/check.json" --slurpfile s <(jq -s last "$d/gap.ndjson") \
			--slurpfile l <(jq -s last "$d/limited.ndjson") '
			$c[0] as $c | $s[0] as $s | $l[0] as $l
			| $c.feasible and $c.within_limits != false and $s.polished and $s.stopped_by_gap
			and ($s.cost_coordinated - $c.optimum) <= $s.proven_gap * ($c.optimum | fabs) + 1
			and ($l.polished | not) and $l.stopped_by_gap and $s.iterations <= $l.iterations' > /dev/null ||
			fail "seed $seed: $(cat "$d/check.json") $(jq -s -c last "$d/gap.ndjson") $(jq -s -c last "$d/limited.ndjson")"
		rounds=$((rounds + $(jq -s 'last | .iterations' "$d/gap.ndjson")))
		limited_rounds=$((limited_rounds + $(jq -s 'last | .iterations' "$d/limited.ndjson")))
	done
	echo "rounds: $rounds polished, $limited_rounds not"
	(( rounds < limited_rounds ))
}

@test "hive-clear simulate: two batteries under an import limit: goals lowered as hive-bid(1) says, plans proven" {
	need_scipy
	# Workers with two batteries and an import limit, whose goals full power under the limit cannot reach:
	# each is lowered to what its battery alone reaches with what the connection leaves over the uncontrolled
	# net (hive-bid(1)); hiveref.py lowers them by the same rule (it once left the limit out, and called these
	# plans infeasible).
	d=$T/two
	/usr/bin/python3 "$REF" gen "$d" --seed 20 --workers 21 --slots 12
	jq -s -e 'map(select(.type == "assets" and has("import_max_w"))) | length > 0' "$d"/assets-*.ndjson > /dev/null
	simulate "$d" --gap 0.005 --relax 1.5 > "$d/plan.ndjson"
	/usr/bin/python3 "$REF" central "$d" --check "$d/plan.ndjson" > "$d/check.json"
	jq -e -n --slurpfile c "$d/check.json" --slurpfile s <(jq -s last "$d/plan.ndjson") '
		$c[0] as $c | $s[0] as $s | $c.feasible and $s.stopped_by_gap and $s.lower_bound <= $c.optimum + 1
		and ($s.cost_coordinated - $c.optimum) <= $s.proven_gap * ($c.optimum | fabs) + 1' > /dev/null ||
		fail "$(cat "$d/check.json") $(jq -s -c last "$d/plan.ndjson")"
}

@test "hive-clear simulate: Workers at MWh scale with several assets each plan to the optimum" {
	need_scipy
	# Solar parks with storage and a fleet depot, 2 to 6 MWh: each Worker's step goes to CLP's QP,
	# which, in Wh, stopped short or ran for more than ten minutes on this hive.
	d=$T/mwh
	mkdir -p "$d"
	echo '{}' > "$d/hive.json"
	cp "$TOP/share/tariffs/dynamic-example.ndjson" "$d/tariff.ndjson"
	for f in 2 3 6; do
		w=$(printf '0x%040x' "$f")
		jq -n -c --arg w "$w" --argjson f "$f" '
			{type:"assets",worker:$w,import_max_w:(1000000 * $f),export_max_w:(750000 * $f)},
			{type:"pv",name:"park"},
			{type:"battery",name:"store",capacity_wh:(520000 * $f),charge_w:(250000 * $f),discharge_w:(250000 * $f),
			 charge_efficiency:0.95,discharge_efficiency:0.95,soc_min_wh:(50000 * $f),soc_wh:(200000 * $f),
			 cycle_cost:"20000"},
			{type:"ev",name:"fleet",power_w:(400000 * $f),energy_wh:(1500000 * $f),
			 release:"2026-06-21T17:00:00Z",deadline:"2026-06-22T00:00:00Z"}' > "$d/assets-$f.ndjson"
		jq -n -c --arg w "$w" --argjson f "$f" '{type:"forecast",meter:$w,start:"2026-06-21T00:00:00Z",step:900,
			horizon:86400,series:{net_wh:{point:[range(96) | if . > 28 and . < 76
				then -60000 * (1 - ((. - 52) / 24) * ((. - 52) / 24)) else 8000 + (. % 7) * 1000 end | . * $f | round]}}}'
	done > "$d/forecasts.ndjson"
	timeout 300 hive-clear simulate --tariff "$d/tariff.ndjson" "$d"/assets-*.ndjson < "$d/forecasts.ndjson" > "$T/plan.ndjson"
	run jq -s -c 'last | [.workers, .flexible, .converged]' "$T/plan.ndjson"
	assert_output "[3,3,true]"
	run /usr/bin/python3 "$REF" central "$d" --check "$T/plan.ndjson"
	assert_success
	run jq -c '[.feasible, .within_limits, .gap < 1e-4]' <<< "$output"
	assert_output "[true,true,true]"
}

@test "hive-clear simulate: a connection limit far above a household's energies changes nothing" {
	# The limits are not the problem's size: a household declaring 10^12 W plans as with its 17250 W.
	for lim in 17250 1e12; do
		for k in 1 2 3; do
			w=$(printf '0x%040x' $((k + 10)))
			jq -c --arg w "$w" --argjson l "$lim" --argjson k "$k" 'if .type == "assets"
				then .worker = $w | .import_max_w = $l | .export_max_w = $l else . end |
				if .capacity_wh then .capacity_wh *= (1 + $k / 4) else . end' \
				"$TOP/share/assets/household-ev.ndjson" > "$T/a$k.ndjson"
			jq -n -c --arg w "$w" --argjson k "$k" '{type:"forecast",meter:$w,start:"2026-06-21T00:00:00Z",
				step:900,horizon:86400,series:{net_wh:{point:[range(96) | if . > 28 and . < 76
					then -1500 * $k * (1 - ((. - 52) / 24) * ((. - 52) / 24)) else 300 + (. % 5) * 40 end | round]}}}'
		done > "$T/f.ndjson"
		hive-clear simulate --tariff "$TOP/share/tariffs/dynamic-example.ndjson" "$T"/a[123].ndjson < "$T/f.ndjson" |
			jq -c 'select(.type == "coordination") | [.converged, .iterations, .cost_coordinated]' > "$T/limit-$lim.json"
	done
	run cat "$T/limit-17250.json"
	[[ "$output" == "[true,"* ]]
	[ "$(cat "$T/limit-1e12.json")" = "$output" ]
}

@test "hive-clear simulate --days: a shrinking horizon commits the day's optimum slot by slot, states carried over" {
	need_scipy
	# Forecasts of exactly one day: each slot is planned to the day's end. With nothing new
	# learnt, the committed slots of the plans alone cost what the day's plan alone does (the
	# principle of optimality: a sum of linear programs), and coordinated within ADMM's tolerance.
	for seed in 7 11 13; do
		extra=()
		(( seed == 11 || seed == 13 )) && extra+=(--limits)
		(( seed == 13 )) && extra+=(--peak)
		/usr/bin/python3 "$REF" gen "$T/h$seed" --seed "$seed" --workers 5 --slots 24 --step 3600 "${extra[@]}"
		simulate "$T/h$seed" > "$T/day$seed.ndjson"
		opts=($(jq -r 'to_entries[] | "--\(.key | sub("_per_kw"; "") | gsub("_"; "-"))=\(.value)"' "$T/h$seed/hive.json"))
		hive-clear simulate --days 1 --tariff "$T/h$seed/tariff.ndjson" "${opts[@]}" "$T/h$seed"/assets-*.ndjson \
			< "$T/h$seed/forecasts.ndjson" > "$T/roll$seed.ndjson"
		run jq -r .type "$T/roll$seed.ndjson"
		[ "${#lines[@]}" -eq $(( 24 * 5 + 1 )) ]
		[ "${lines[120]}" = coordination ]
		run jq -s -c --slurpfile day "$T/day$seed.ndjson" 'last as $r | ($day | last) as $d |
			[$r.slots, $r.converged, $r.limit_excess_wh, ($r.cost_alone - $d.cost_alone | fabs) <= 2,
			 (($r.cost_coordinated - $d.cost_coordinated) | fabs) <= 0.005 * ($d.cost_coordinated | fabs) + 2,
			 $r.surplus == $r.cost_alone - $r.cost_coordinated]' "$T/roll$seed.ndjson"
		assert_output "[24,true,0,true,true,true]"
		run rolling_check "$T/h$seed" "$T/roll$seed.ndjson"
		assert_success
	done
}

@test "hive-clear simulate --days: each slot is planned from the latest forecast that covers it" {
	need_scipy
	/usr/bin/python3 "$REF" gen "$T/h" --seed 21 --workers 3 --slots 48 --step 3600 --flexible-share 0.5
	fixed=$(jq -r '.meter' "$T/h/forecasts.ndjson" | while read -r m; do
		grep -lq "$m" "$T/h"/assets-*.ndjson 2> /dev/null || echo "$m"; done | head -n 1)
	[ -n "$fixed" ] || skip "every Worker drew assets"
	# A fresh forecast from 06:00 for the inflexible Worker, 100 Wh more than the first in every slot.
	jq -c --arg m "$fixed" 'select(.meter == $m) | .start = "2026-06-21T06:00:00Z" |
		.series.net_wh.point = (.series.net_wh.point[6:] | map(. + 100)) | del(.series.export_wh)' \
		"$T/h/forecasts.ndjson" > "$T/fresh.ndjson"
	cat "$T/h/forecasts.ndjson" "$T/fresh.ndjson" |
		hive-clear simulate --days 1 --tariff "$T/h/tariff.ndjson" "$T/h"/assets-*.ndjson > "$T/out.ndjson"
	run jq -r --arg m "$fixed" 'select(.type == "bid" and .worker == $m) | .first_wh' "$T/out.ndjson"
	[ "${#lines[@]}" -eq 24 ]
	expected=$(jq -r --arg m "$fixed" 'select(.meter == $m) | .series.net_wh.point[0:24][]' "$T/h/forecasts.ndjson" |
		awk 'NR <= 6 { print $1 + 0; next } { print $1 + 100 }')
	[ "$(printf '%s\n' "${lines[@]}" | awk '{ printf "%.1f\n", $1 }')" = "$(awk '{ printf "%.1f\n", $1 }' <<< "$expected")" ]
	# Horizon: a day, or what the forecasts still cover (the first ones end at 48 slots).
	run jq -s -c 'last | [.slots, .horizon]' "$T/out.ndjson"
	assert_output "[24,24]"
}

@test "hive-clear simulate --days: a daily load gets its energy in every occurrence, over days" {
	night_tariff > "$T/tariff.ndjson"
	cat > "$T/assets.ndjson" <<-'END'
	{"type":"assets","worker":"0x00000000000000000000000000000000000000a1"}
	{"type":"battery","name":"home","capacity_wh":8000,"charge_w":2000,"discharge_w":2000,"soc_wh":4000,"cycle_cost":"10000"}
	{"type":"deferrable","name":"boiler","from":"20:00","to":"06:00","power_w":1500,"energy_wh":4000,"energy_min_wh":3000,"value":"200000"}
	END
	for m in a1 b2; do
		jq -n -c --arg m "0x00000000000000000000000000000000000000$m" '{type:"forecast",meter:$m,
			start:"2026-03-01T00:00:00Z",step:3600,horizon:(72*3600),
			series:{net_wh:{point:[range(72) | 300 + 200 * ((. % 24) / 24)]}}}'
	done > "$T/forecasts.ndjson"
	hive-clear simulate --days 2 --tariff "$T/tariff.ndjson" "$T/assets.ndjson" < "$T/forecasts.ndjson" > "$T/out.ndjson"
	# The occurrences: the one open at the start (00:00–06:00 of it left, nothing delivered), then
	# 20:00–06:00 over the first night and over the second (its last 4 hours past the 48 slots).
	# An occurrence is named by the day it ends on.
	run jq -s -r '[.[] | select(.type == "bid" and .schedules.boiler) |
		{day: (.start | fromdateiso8601 + 14400 | todate[0:10]), wh: .schedules.boiler.energy_wh[0]}] |
		group_by(.day)[] | "\(.[0].day) \(map(.wh) | add)"' "$T/out.ndjson"
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	# The two that end within the days get at least their minimum, and none more than its energy.
	echo "$output" | awk '{ if ((NR < 3 && $2 < 3000 - 0.01) || $2 > 4000 + 0.01) bad = 1 } END { exit bad }'
	run jq -s -c 'last | [.slots, .workers, .flexible, .converged]' "$T/out.ndjson"
	assert_output "[48,2,1,true]"
}

@test "hive-clear simulate --days --horizon: plans look SLOTS ahead, no further" {
	night_tariff > "$T/tariff.ndjson"
	cat > "$T/assets.ndjson" <<-'END'
	{"type":"assets","worker":"0x00000000000000000000000000000000000000a1"}
	{"type":"battery","name":"home","capacity_wh":8000,"charge_w":2000,"discharge_w":2000,"soc_wh":2000,"cycle_cost":"10000"}
	END
	jq -n -c '{type:"forecast",meter:"0x00000000000000000000000000000000000000a1",
		start:"2026-03-01T00:00:00Z",step:3600,horizon:(48*3600),series:{net_wh:{point:[range(48) | 400]}}}' \
		> "$T/forecasts.ndjson"
	# Night energy (150000 per kWh) is worth storing for the day (300000) once a plan reaches 07:00;
	# each plan must end with the battery's state at the start (soc_final_wh defaults to soc_wh).
	# first SLOTS: the committed slots' net, rounded, then the record's slots and horizon.
	first() {
		hive-clear simulate --days 1 "$@" --tariff "$T/tariff.ndjson" "$T/assets.ndjson" < "$T/forecasts.ndjson" |
			jq -s -c '[.[] | select(.type == "bid") | .first_wh | round], (last | [.slots, .horizon])'
	}
	run first
	[[ "${lines[0]}" != "[400,"* ]]            # a day ahead: it charges from the first hour
	assert_line -n 1 "[24,24]"
	run first --horizon 3
	[[ "${lines[0]}" == "[400,400,400,400,400,"* ]]  # from 05:00 the plan reaches the day's prices
	[[ "${lines[0]}" != "[400,400,400,400,400,400,400,"* ]]
	assert_line -n 1 "[24,3]"
	run first --horizon 1
	assert_line -n 0 "[$(printf '400,%.0s' {1..23})400]"  # one slot ahead: nothing is worth moving
	assert_line -n 1 "[24,1]"
	run -2 hive-clear simulate --days 1 --horizon 0 --tariff "$T/tariff.ndjson" "$T/assets.ndjson"
	assert_output --partial "--horizon"
}

@test "hive-clear simulate: a second forecast for a meter (with --days, of a start) is refused by line, the rest planned" {
	need_scipy
	/usr/bin/python3 "$REF" gen "$T/h" --seed 5 --workers 2 --slots 24 --step 3600
	{ cat "$T/h/forecasts.ndjson"; head -n 1 "$T/h/forecasts.ndjson"; } > "$T/dup.ndjson"
	meter=$(head -n 1 "$T/h/forecasts.ndjson" | jq -r .meter)
	run -1 --separate-stderr hive-clear simulate --tariff "$T/h/tariff.ndjson" "$T/h"/assets-*.ndjson < "$T/dup.ndjson"
	[[ "$stderr" == *"line 3: forecast refused: a second forecast for meter '$meter'"* ]]
	[ "$(jq -s '[.[] | select(.type == "bid")] | length' <<< "$output")" = 2 ]
	[ "$(jq -s 'last | .type' <<< "$output")" = '"coordination"' ]
	run -1 --separate-stderr hive-clear simulate --days 1 --tariff "$T/h/tariff.ndjson" "$T/h"/assets-*.ndjson < "$T/dup.ndjson"
	[[ "$stderr" == *"line 3: forecast refused: a second forecast of this start for its meter"* ]]
	# another start of the same meter is a newer forecast, not a second one
	{ cat "$T/h/forecasts.ndjson"; head -n 1 "$T/h/forecasts.ndjson" | jq -c '.start = "2026-06-21T05:00:00Z"'; } > "$T/newer.ndjson"
	run -0 --separate-stderr hive-clear simulate --days 1 --tariff "$T/h/tariff.ndjson" "$T/h"/assets-*.ndjson < "$T/newer.ndjson"
	[ -z "$stderr" ]
}

@test "hive-clear simulate --days: slots without a forecast and forecasts off the grid are errors" {
	need_scipy
	/usr/bin/python3 "$REF" gen "$T/h" --seed 5 --workers 2 --slots 24 --step 3600
	run -3 --separate-stderr hive-clear simulate --days 2 --tariff "$T/h/tariff.ndjson" "$T/h"/assets-*.ndjson < "$T/h/forecasts.ndjson"
	[[ "$stderr" == *"no forecast covers the slot at 2026-06-22T00:00:00Z"* ]]
	{ cat "$T/h/forecasts.ndjson"; head -n 1 "$T/h/forecasts.ndjson" | jq -c '.start = "2026-06-21T00:30:00Z"'; } > "$T/off.ndjson"
	run -1 --separate-stderr hive-clear simulate --days 1 --tariff "$T/h/tariff.ndjson" "$T/h"/assets-*.ndjson < "$T/off.ndjson"
	[[ "$stderr" == *"line 3: forecast refused: its step or start is off the first forecast's grid"* ]]
	run -2 hive-clear simulate --horizon 4 --tariff "$T/h/tariff.ndjson"
	assert_output --partial "--horizon goes with --days"
}
