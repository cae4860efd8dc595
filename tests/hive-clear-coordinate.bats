#!/usr/bin/env bats
# hive-clear coordinate: the Queen's side of sharing ADMM over a stream
# (lib/queen.h). Usage; the signal of an iteration against the z-update,
# residuals documented in lib/sharing.h and the ρ of
# lib/coord.h, recomputed here in Python from those formulas (not from the
# C code); the rules of who may bid what and when; timeouts and Workers that
# drop out and come back; the end of a round (status, --bids, --rounds, input
# ending mid-round); and a real loop of hive-bid Workers and the Queen over
# named pipes, against hive-clear simulate.
load market

setup_file() { market_keys; }

setup() {
	market_setup
	TARIFF=$TOP/share/tariffs/constant.ndjson   # buy 250 and sell 80 per Wh (base units of a 6-decimal coin)
	START=2026-06-21T00:00:00Z
	# Plans of 4 slots of 15 minutes for Workers A, B and C.
	PA=1000,100,-300,0 PB=200,100,-100,50 PC=-50,-50,20,20
}

# bid WORKER ITERATION PLAN [SECONDS [START]]: an unsigned bid as a test writes it.
bid() {
	printf '{"type":"bid","worker":"%s","start":"%s","seconds":%s,"iteration":%s,"plan_wh":[%s]}\n' \
		"$1" "${5:-$START}" "${4:-900}" "$2" "$3"
}

# signed_bid KEYNAME WORKER ITERATION PLAN: a bid signed with that key (of the market's keys).
signed_bid() {
	local k=$1
	shift
	bid "$@" | hive-sign sign --key "$K/$k.key" --type bid
}

queen() { hive-clear coordinate --tariff "$TARIFF" "$@"; }

# ms: the time now, in milliseconds.
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# await SECONDS PID...: waits until the processes are gone; after SECONDS they are killed and the test fails.
await() {
	local limit=$1 end=$((SECONDS + $1)) p alive
	shift
	while :; do
		alive=
		for p in "$@"; do kill -0 "$p" 2> /dev/null && alive=$p; done
		[ -n "$alive" ] || return 0
		if (( SECONDS >= end )); then
			ps -o pid,stat,args -p "$*" >&2 || true
			for p in "$@"; do kill "$p" 2> /dev/null || true; done
			fail "still running after $limit s: $alive"
		fi
		sleep 0.05
	done
}

# check_signals SPEC SIGNALS: the Queen's signals (NDJSON) against the rounds of sharing ADMM recomputed from
# the formulas of lib/sharing.h and lib/coord.h. SPEC is JSON: "plans", per iteration the plans of the
# round's participants (in a fixed order) that the Queen had when the iteration closed; optional "rho"
# (default: the tariff's mean spread over the first plans' mean absolute value, at least 1), "max_iter",
# "eps_abs", "eps_rel". The constant tariff: buy 250, sell 80 per Wh; no limits, no peak charge.
check_signals() {
	/usr/bin/python3 - "$1" "$2" <<-'EOF'
	import json, math, sys
	spec = json.load(open(sys.argv[1]))
	got = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
	buy, sell = 250.0, 80.0
	eps_abs, eps_rel = spec.get("eps_abs", 0.01), spec.get("eps_rel", 0)
	max_iter = spec.get("max_iter", 2000)
	plans = spec["plans"]
	N, T = len(plans[0]), len(plans[0][0])
	norm = lambda v: math.sqrt(sum(e * e for e in v))

	def z_update(a, rho):
	    # per slot, in the aggregate w = N z: min f(w) + kappa/2 (w - N a)^2, kappa = rho / N
	    kappa, z = rho / N, []
	    for at in a:
	        w_buy, w_sell = N * at - buy / kappa, N * at - sell / kappa
	        w = w_buy if w_buy > 0 else w_sell if w_sell < 0 else 0.0
	        z.append(w / N)
	    return z

	rho = spec.get("rho") or 0.25 * (buy - sell) / max(sum(abs(v) for p in plans[0] for v in p) / (N * T), 1)
	u, zi_prev, want = [0.0] * T, None, []
	for k, x in enumerate(plans):
	    xbar = [sum(p[t] for p in x) / N for t in range(T)]
	    z = z_update([xbar[t] + u[t] for t in range(T)], rho)
	    d = [xbar[t] - z[t] for t in range(T)]
	    u = [u[t] + d[t] for t in range(T)]
	    sig = [d[t] + u[t] for t in range(T)]
	    zi = [[p[t] - xbar[t] + z[t] for t in range(T)] for p in x]
	    r = math.sqrt(N) * norm(d)
	    s = 0.0 if zi_prev is None else rho * norm([zi[i][t] - zi_prev[i][t] for i in range(N) for t in range(T)])
	    r_tol = math.sqrt(N * T) * eps_abs + eps_rel * max(norm([v for p in x for v in p]), math.sqrt(N) * norm(z))
	    s_tol = math.sqrt(N * T) * eps_abs + eps_rel * rho * math.sqrt(N) * norm(u)
	    if zi_prev is not None and r <= r_tol and s <= s_tol:
	        status = "converged"
	    elif k + 1 >= max_iter:
	        status = "stopped"
	    else:
	        status = "iterate"
	    zi_prev = zi
	    want.append({"iteration": k, "rho": rho, "signal_wh": sig, "status": status, "r": r, "s": s})

	close = lambda a, b: abs(a - b) <= 1e-9 * (1 + abs(b))
	bad = []
	if len(got) != len(want):
	    bad.append("%d signals, want %d" % (len(got), len(want)))
	for g, w in zip(got, want):
	    for key in ("iteration", "status"):
	        if g.get(key) != w[key]:
	            bad.append("iteration %d: %s %r, want %r" % (w["iteration"], key, g.get(key), w[key]))
	    for key in ("rho", "r", "s"):
	        if not isinstance(g.get(key), (int, float)) or not close(g[key], w[key]):
	            bad.append("iteration %d: %s %r, want %r" % (w["iteration"], key, g.get(key), w[key]))
	    gs = g.get("signal_wh")
	    if not isinstance(gs, list) or len(gs) != T or not all(close(a, b) for a, b in zip(gs, w["signal_wh"])):
	        bad.append("iteration %d: signal_wh %r, want %r" % (w["iteration"], gs, w["signal_wh"]))
	print("\n".join(bad) if bad else "ok")
	EOF
}

@test "hive-clear coordinate: usage" {
	run -2 hive-clear coordinate --workers 2 < /dev/null
	assert_line --index 0 "hive-clear: --tariff FILE is required"
	assert_line --index 1 --partial "usage: hive-clear"
	assert_line --partial "hive-clear coordinate --tariff FILE (--export FILE | --workers N)"
	run -2 queen < /dev/null
	assert_line --index 0 "hive-clear: give --export FILE (the hive's members) or --workers N, one of them"
	run -2 queen --export "$T/export.ndjson" --workers 3 < /dev/null
	assert_line --index 0 "hive-clear: give --export FILE (the hive's members) or --workers N, one of them"
	bid "$A" 0 "$PA" > "$T/bids.ndjson"
	run -2 queen --workers 2 "$T/bids.ndjson" < /dev/null
	assert_line --index 0 "hive-clear: coordinate reads its bids from standard input, not from files"
	run -2 queen --export "$T/export.ndjson" - < /dev/null
	assert_line --index 0 "hive-clear: coordinate reads its bids from standard input, not from files"
	run -2 queen --workers 0 < /dev/null
	assert_line --index 0 "hive-clear: --workers '0': want a whole number from 1 to 1000000"
	run -2 queen --workers 2 --timeout 0 < /dev/null
	assert_line --index 0 "hive-clear: --timeout '0': want a duration such as 900, 15m, 1h or 1d"
	run -2 queen --workers 2 --rounds 0 < /dev/null
	assert_line --index 0 "hive-clear: --rounds '0': want a whole number from 1 to 1000000000"
	run -2 queen --workers 2 --rho 0 < /dev/null
	assert_line --index 0 "hive-clear: --rho: '0' is not a number from 1e-12 to 1e+12"
	run -0 hive-clear coordinate --help
	assert_line --partial "hive-clear coordinate --tariff FILE (--export FILE | --workers N)"
	run -3 queen --export "$T/nonexistent.ndjson" < /dev/null
	assert_output "hive-clear: '$T/nonexistent.ndjson': No such file or directory"
}

@test "hive-clear coordinate: after every Worker's bid of iteration 0, one signal: the documented z-update" {
	# One bid: the Queen waits (no signal); the input then ends in the middle of the round.
	bid "$A" 0 "$PA" > "$T/one.ndjson"
	run -3 --separate-stderr queen --workers 2 --rho 1 < "$T/one.ndjson"
	assert_output ""
	[ "$stderr" = "hive-clear: the input ended in the middle of a round: its plans were not final" ]

	# Both: by hand, with rho 1 and N 2 (kappa = rho/N = 1/2) and u = 0, the aggregate E = 2 x̄ =
	# [1200,200,-400,50]; the buy piece's optimum E - 250/kappa = E - 500, the sell piece's E - 160:
	# w = [700, 0 (the kink), -560, -110], z̄ = w/2 = [350,0,-280,-55]; x̄ = [600,100,-200,25];
	# u = x̄ - z̄ and the signal x̄ - z̄ + u = 2 (x̄ - z̄) = [500,200,160,160]; r = √2 ‖x̄ - z̄‖ = √170600.
	{ bid "$A" 0 "$PA"; bid "$B" 0 "$PB"; } > "$T/two.ndjson"
	before=$(date +%s)
	run -3 --separate-stderr queen --workers 2 --rho 1 < "$T/two.ndjson"
	# The round is named by when the Queen opened it, on her clock.
	opened=$(date -d "$(jq -r .round <<< "$output")" +%s)
	(( before <= opened && opened <= $(date +%s) ))
	output=$(jq -c 'del(.round)' <<< "$output")
	assert_output '{"iteration":0,"r":413.0375285612677,"rho":1,"s":0,"seconds":900,"signal_wh":[500,200,160,160],"start":"2026-06-21T00:00:00Z","status":"iterate","type":"signal"}'
	[ "$stderr" = "hive-clear: the input ended in the middle of a round: its plans were not final" ]
	run /usr/bin/python3 -c 'import math; print(abs(math.sqrt(2 * (250**2 + 100**2 + 80**2 + 80**2)) - 413.0375285612677) < 1e-9)'
	assert_output True
	# One bid and no other before the timeout: iteration 0 closes with A alone, the round's one participant
	# (N 1, kappa 1: w = [750, 0, -380, -80], the signal 2 (x - z) is again [500,200,160,160]).
	rc=0
	# Timeout 2 s: iteration 0 closes at 2 s; the input ends at 3 s, before iteration 1's timeout at 4 s.
	{ bid "$A" 0 "$PA"; sleep 3; } | queen --workers 2 --rho 1 --timeout 2s --max-iter 2 --bids "$T/bids.ndjson" \
		> "$T/alone.ndjson" 2> "$T/err" || rc=$?
	[ "$rc" = 3 ] || fail "exit $rc: $(cat "$T/err")"
	run cat "$T/err"
	assert_output "hive-clear: the input ended in the middle of a round: its plans were not final"
	run jq -c '[.iteration, .status, .signal_wh]' "$T/alone.ndjson"
	assert_output '[0,"iterate",[500,200,160,160]]'
	echo "{\"rho\":1,\"max_iter\":2,\"plans\":[[[$PA]]]}" > "$T/spec.json"
	run check_signals "$T/spec.json" "$T/alone.ndjson"
	assert_output ok
	# B's bid of iteration 0 comes too late: stale; A's of iteration 1 ends the round, A its one participant.
	{ bid "$A" 0 "$PA"; sleep 3; bid "$B" 0 "$PB"; bid "$A" 1 "$PA"; } |
		queen --workers 2 --rho 1 --timeout 2s --max-iter 2 --bids "$T/bids.ndjson" > "$T/alone.ndjson" 2> "$T/err"
	run cat "$T/err"
	assert_output "hive-clear: line 2: a stale bid, for an earlier iteration or from a Worker not in this round"
	run jq -c '[.iteration, .status]' "$T/alone.ndjson"
	assert_output $'[0,"iterate"]\n[1,"stopped"]'
	run cat "$T/bids.ndjson"
	assert_output "$(bid "$A" 1 "$PA")"
}

@test "hive-clear coordinate: four iterations, rho from the tariff, against the documented formulas" {
	a1=950,500,-500,-500 b1=250,-450,-250,-100 a3=900,400,-450,-450 b3=260,-400,-240,-90
	{
		bid "$A" 0 "$PA"; bid "$B" 0 "$PB"
		bid "$B" 1 "$b1"; bid "$A" 1 "$a1"
		bid "$A" 2 "$a1"; bid "$B" 2 "$b1"
		bid "$B" 3 "$b3"; bid "$A" 3 "$a3"
	} > "$T/in.ndjson"
	run -0 --separate-stderr queen --workers 2 --max-iter 4 < "$T/in.ndjson"
	[ "$stderr" = "" ]
	echo "$output" > "$T/signals.ndjson"
	run jq -c '[.type, .iteration, .status, .rho > 0, (.signal_wh | length), .start, .seconds, has("hive")]' "$T/signals.ndjson"
	assert_output '["signal",0,"iterate",true,4,"2026-06-21T00:00:00Z",900,false]
["signal",1,"iterate",true,4,"2026-06-21T00:00:00Z",900,false]
["signal",2,"iterate",true,4,"2026-06-21T00:00:00Z",900,false]
["signal",3,"stopped",true,4,"2026-06-21T00:00:00Z",900,false]'
	# A Worker's row stays its own (A first, whatever the order the bids came in).
	cat > "$T/spec.json" <<-EOF2
	{"max_iter":4,"plans":[[[$PA],[$PB]],[[$a1],[$b1]],[[$a1],[$b1]],[[$a3],[$b3]]]}
	EOF2
	run check_signals "$T/spec.json" "$T/signals.ndjson"
	assert_output ok
	# rho from the tariff: a quarter of a spread of 170 per Wh over a mean plan of 231.25 Wh, the same in every round.
	run jq -s -c '[.[0].rho == 0.25 * 170 / 231.25, .[1].rho / .[0].rho, .[2].rho / .[1].rho, .[3].rho / .[2].rho]' "$T/signals.ndjson"
	assert_output "[true,1,1,1]"
}

@test "hive-clear coordinate: with --export, a non-member's bid is refused and the hive's number is on the signals" {
	{
		bid "$OTHER" 0 "$PA"
		bid "$A" 0 "$PA"; bid "$B" 0 "$PB"
		bid "$C" 0 "$PC"
	} > "$T/in.ndjson"
	run -1 --separate-stderr queen --export "$T/export.ndjson" --rho 1 --max-iter 1 --rejects "$T/rejects.ndjson" \
		< "$T/in.ndjson"
	[ "$stderr" = "hive-clear: line 1: bid refused: the bid's worker is not a member of the hive" ]
	# The three members' bids close iteration 0 (with --max-iter 1 the round ends there).
	run jq -c '[.type, .hive, .iteration, .status, .seconds, .start]' <<< "$output"
	assert_output '["signal",1,0,"stopped",900,"2026-06-21T00:00:00Z"]'
	run jq -c '[.type, .line, .program, .reason, .source, .text]' "$T/rejects.ndjson"
	assert_output "[\"reject\",1,\"hive-clear\",\"bid refused: the bid's worker is not a member of the hive\",null,$(sed -n 1p "$T/in.ndjson" | jq -R .)]"
	# Until the third member has bid, the Queen waits: no signal.
	sed -n 2,3p "$T/in.ndjson" > "$T/part.ndjson"
	run -3 --separate-stderr queen --export "$T/export.ndjson" --rho 1 --max-iter 1 < "$T/part.ndjson"
	assert_output ""
	[ "$stderr" = "hive-clear: the input ended in the middle of a round: its plans were not final" ]
}

@test "hive-clear coordinate: with --signed, unsigned bids and bids signed by another key are refused" {
	{
		bid "$A" 0 "$PA"
		signed_bid other "$A" 0 "$PA"
		signed_bid a "$A" 0 "$PA"
		# signed by B's key, then its plan changed: the signature no longer recovers B
		signed_bid b "$B" 0 "$PB" | sed 's/"plan_wh":\[200,/"plan_wh":[201,/'
		signed_bid b "$B" 0 "$PB"
		signed_bid c "$C" 0 "$PC"
	} > "$T/in.ndjson"
	grep -q '"plan_wh":\[201,' "$T/in.ndjson"
	run -1 --separate-stderr queen --export "$T/export.ndjson" --signed --rho 1 --max-iter 1 < "$T/in.ndjson"
	[ "$stderr" = "hive-clear: line 1: bid refused: the bid is not signed
hive-clear: line 2: bid refused: the bid is not signed by its worker
hive-clear: line 4: bid refused: the bid is not signed by its worker" ]
	run jq -c '[.hive, .iteration, .status, (.signal_wh | map(. * 1e6 | round / 1e6))]' <<< "$output"
	assert_output '[1,0,"stopped",[500,160,160,160]]'
	# Without --signed the same signed bids are taken, and so are unsigned ones.
	{ bid "$A" 0 "$PA"; signed_bid b "$B" 0 "$PB"; signed_bid c "$C" 0 "$PC"; } > "$T/mixed.ndjson"
	run -0 --separate-stderr queen --export "$T/export.ndjson" --rho 1 --max-iter 1 < "$T/mixed.ndjson"
	[ "$stderr" = "" ]
	run jq -c '[.hive, .iteration, .status, (.signal_wh | map(. * 1e6 | round / 1e6))]' <<< "$output"
	assert_output '[1,0,"stopped",[500,160,160,160]]'
	# A refused bid takes no place among --workers: the two good ones after it still make the round.
	{ bid "$OTHER" 0 "$PA"; signed_bid a "$A" 0 "$PA"; signed_bid b "$B" 0 "$PB"; } > "$T/first.ndjson"
	run -1 --separate-stderr queen --workers 2 --signed --rho 1 --max-iter 1 < "$T/first.ndjson"
	[ "$stderr" = "hive-clear: line 1: bid refused: the bid is not signed" ]
	[ "$(jq -c .iteration <<< "$output")" = 0 ]
}

@test "hive-clear coordinate: second bids, bids ahead, stale bids, other slots and other records" {
	{
		bid "$A" 0 "$PA"                                    # 1
		bid "$A" 0 "$PA"                                    # 2: the same again: ignored, silently
		bid "$A" 0 999,100,-300,0                           # 3: a second, different one
		bid "$A" 1 "$PA"                                    # 4: ahead
		echo '{"type":"forecast","meter":"'"$A"'"}'         # 5: not a bid: nothing
		echo '{"type":"signal","iteration":0}'              # 6
		echo '{"note":"no type"}'                           # 7
		bid "$B" 0 "$PB"                                    # 8: closes iteration 0
		bid "$C" 0 "$PC"                                    # 9: a third Worker of --workers 2
		bid "$B" 0 1,2,3,4                                  # 10: an earlier iteration: stale
		bid "$B" 1 "$PB" 3600                               # 11: other seconds
		bid "$B" 1 200,100,-100                             # 12: other slots
		bid "$A" 1 "$PA"                                    # 13: the Queen waits for B
		bid "$B" 1 "$PB"                                    # 14: closes iteration 1, the last
	} > "$T/in.ndjson"
	run -1 --separate-stderr queen --workers 2 --rho 1 --max-iter 2 < "$T/in.ndjson"
	[ "$stderr" = "hive-clear: line 3: bid refused: a second, different bid for the iteration
hive-clear: line 4: bid refused: a bid for an iteration ahead of the round's
hive-clear: line 9: bid refused: more Workers than the Queen waits for
hive-clear: line 10: a stale bid, for an earlier iteration or from a Worker not in this round
hive-clear: line 11: bid refused: the bid's slots differ from its round's
hive-clear: line 12: bid refused: the bid's slots differ from its round's" ]
	echo "$output" > "$T/signals.ndjson"
	run jq -r .type "$T/signals.ndjson"
	assert_output $'signal\nsignal'
	# The plans taken are the first ones (not line 3's, nor line 10's).
	echo "{\"rho\":1,\"max_iter\":2,\"plans\":[[[$PA],[$PB]],[[$PA],[$PB]]]}" > "$T/spec.json"
	run check_signals "$T/spec.json" "$T/signals.ndjson"
	assert_output ok

	# With --strict the first refusal ends the run.
	run -1 --separate-stderr queen --workers 2 --rho 1 --max-iter 2 --strict < "$T/in.ndjson"
	assert_output ""
	[ "$stderr" = "hive-clear: line 3: bid refused: a second, different bid for the iteration
hive-clear: the input ended in the middle of a round: its plans were not final" ]
}

@test "hive-clear coordinate: a Worker that misses an iteration is closed out at the timeout and not waited for again" {
	# A reacts to every signal with its next bid; B bids only at iteration 0. Iteration 1 closes at
	# the 2 s timeout; iterations 2 to 5 must not wait for B (that would take 4 × 2 s more).
	feed() {
		bid "$A" 0 "$PA"
		bid "$B" 0 "$PB"
		local line k
		while IFS= read -r line; do
			printf '%s\n' "$line" >> "$T/signals.ndjson"
			k=$(jq -r 'select(.status == "iterate") | .iteration' <<< "$line")
			[ -z "$k" ] || bid "$A" $((k + 1)) "$PA"
		done
	}
	mkfifo "$T/q.in" "$T/q.out"
	: > "$T/signals.ndjson"
	t0=$(ms)
	hive-clear coordinate --tariff "$TARIFF" --workers 2 --rho 1 --timeout 2s --max-iter 6 --rounds 1 --bids "$T/bids.ndjson" \
		< "$T/q.in" > "$T/q.out" 2> "$T/queen.err" 3>&- &
	qpid=$!
	feed > "$T/q.in" < "$T/q.out" 2> "$T/feed.err" 3>&- &
	fpid=$!
	await 30 "$qpid" "$fpid"
	t=$(( $(ms) - t0 ))
	rc=0
	wait "$qpid" || rc=$?
	[ "$rc" = 0 ] || fail "the Queen exited $rc: $(cat "$T/queen.err")"
	run cat "$T/queen.err"
	assert_output "hive-clear: an iteration closed at its timeout: late Workers keep their last plans"
	(( t >= 1900 && t < 3900 )) || fail "the run took $t ms: want one timeout of 2 s, not more"
	run jq -c '[.iteration, .status]' "$T/signals.ndjson"
	assert_output $'[0,"iterate"]\n[1,"iterate"]\n[2,"iterate"]\n[3,"iterate"]\n[4,"iterate"]\n[5,"stopped"]'
	# B keeps its plan of iteration 0 throughout.
	jq -n -c --argjson a "[$PA]" --argjson b "[$PB]" '{rho: 1, max_iter: 6, plans: [range(6) | [$a, $b]]}' > "$T/spec.json"
	run check_signals "$T/spec.json" "$T/signals.ndjson"
	assert_output ok
	# The round's final bids: A's of iteration 5 and B's of iteration 0, as they came in.
	run sort "$T/bids.ndjson"
	assert_output "$({ bid "$A" 5 "$PA"; bid "$B" 0 "$PB"; } | sort)"
}

@test "hive-clear coordinate: a late bid for the iteration just closed is kept; a bid for the iteration open brings the Worker back" {
	# Timeout 2 s. A answers at once; B misses iteration 1, comes back at 2, misses 3. Iteration 1 opens at
	# 0 s and closes at 2 s; the bids of the 3 s mark come in while iteration 2 is open (2 s to 4 s); iteration
	# 3 opens at 3 s, closes at 5 s; the bid of the 6 s mark comes in while 4 is open.
	{
		bid "$A" 0 "$PA"; bid "$B" 0 "$PB"               # 1-2: signal 0
		bid "$A" 1 800,100,-300,0                        # 3: B is missing: signal 1 at the timeout
		sleep 3
		bid "$B" 1 150,100,-100,50                       # 4: late, for the iteration just closed: kept
		bid "$B" 2 100,100,-100,50                       # 5: back
		bid "$A" 2 700,100,-300,0                        # 6: signal 2
		bid "$A" 3 600,100,-300,0                        # 7: B is waited for again: signal 3 at the timeout
		sleep 3
		bid "$A" 4 500,100,-300,0                        # 8: B is no longer waited for: signal 4, the last
	} | queen --workers 2 --rho 1 --timeout 2s --max-iter 5 --bids "$T/bids.ndjson" > "$T/signals.ndjson" 2> "$T/err"
	run cat "$T/err"
	assert_output "hive-clear: an iteration closed at its timeout: late Workers keep their last plans
hive-clear: an iteration closed at its timeout: late Workers keep their last plans"
	run jq -c '[.iteration, .status]' "$T/signals.ndjson"
	assert_output $'[0,"iterate"]\n[1,"iterate"]\n[2,"iterate"]\n[3,"iterate"]\n[4,"stopped"]'
	cat > "$T/spec.json" <<-EOF2
	{"rho":1,"max_iter":5,"plans":[[[$PA],[$PB]],[[800,100,-300,0],[$PB]],[[700,100,-300,0],[100,100,-100,50]],
	 [[600,100,-300,0],[100,100,-100,50]],[[500,100,-300,0],[100,100,-100,50]]]}
	EOF2
	run check_signals "$T/spec.json" "$T/signals.ndjson"
	assert_output ok
	run sort "$T/bids.ndjson"
	assert_output "$({ bid "$A" 4 500,100,-300,0; bid "$B" 2 100,100,-100,50; } | sort)"
}

@test "hive-clear coordinate: --max-iter ends a round stopped, its final bids appended to --bids as received" {
	# Bids as a Worker might write them: other member order, white space; kept as they came in.
	ax='{"worker": "'"$A"'", "type": "bid", "iteration": 1, "start": "2026-06-21T00:00:00Z", "seconds": 900, "plan_wh": [900, 100, -300, 0], "own_cost": 1.5}'
	bx='{"plan_wh":[250,100,-100,50],"iteration":1,"seconds":900,"start":"2026-06-21T00:00:00.000Z","worker":"'"${B,,}"'","type":"bid"}'
	{
		bid "$B" 0 "$PB"; bid "$A" 0 "$PA"                       # 1-2
		printf '%s   \n' "$ax"                                  # 3: trailing blanks are not part of a record
		echo "$bx"                                              # 4: the round ends
		bid "$A" 1 "$PA"                                        # 5: for the ended round: stale
		bid "$A" 0 "$PA" 900 2026-06-22T00:00:00Z               # 6: a next round opens
		bid "$B" 0 "$PB" 900 2026-06-21T00:00:00Z               # 7: for the ended round: stale
		bid "$B" 0 "$PB" 900 2026-06-22T00:00:00Z               # 8
		bid "$B" 1 "$PB" 900 2026-06-22T00:00:00Z               # 9
		bid "$A" 1 "$PA" 900 2026-06-22T00:00:00Z               # 10: the second round ends
		bid "$A" 0 "$PA" 900 2026-06-20T00:00:00Z               # 11: before every round: stale
	} > "$T/in.ndjson"
	run -0 --separate-stderr queen --workers 2 --max-iter 2 --bids "$T/bids.ndjson" < "$T/in.ndjson"
	[ "$stderr" = "hive-clear: line 5: a stale bid, for a round that has ended
hive-clear: line 7: a stale bid, for an earlier round
hive-clear: line 11: a stale bid, for a round that has ended" ]
	run jq -c '[.start, .iteration, .status]' <<< "$output"
	assert_output '["2026-06-21T00:00:00Z",0,"iterate"]
["2026-06-21T00:00:00Z",1,"stopped"]
["2026-06-22T00:00:00Z",0,"iterate"]
["2026-06-22T00:00:00Z",1,"stopped"]'
	# Per round, one line per participant (in no particular order), exactly as received.
	[ "$(count_lines "$T/bids.ndjson")" = 4 ]
	run sort <(head -n 2 "$T/bids.ndjson")
	assert_output "$(printf '%s\n' "$ax" "$bx" | sort)"
	run sort <(tail -n 2 "$T/bids.ndjson")
	assert_output "$({ bid "$A" 1 "$PA" 900 2026-06-22T00:00:00Z; bid "$B" 1 "$PB" 900 2026-06-22T00:00:00Z; } | sort)"
	# --bids appends.
	head -n 4 "$T/in.ndjson" | queen --workers 2 --max-iter 2 --bids "$T/bids.ndjson" > /dev/null
	[ "$(count_lines "$T/bids.ndjson")" = 6 ]
	run sort <(tail -n 2 "$T/bids.ndjson")
	assert_output "$(printf '%s\n' "$ax" "$bx" | sort)"
}

@test "hive-clear coordinate: --rounds 1 exits after the round; input ending mid-round exits 3" {
	{
		bid "$A" 0 "$PA"; bid "$B" 0 "$PB"; bid "$A" 1 "$PA"; bid "$B" 1 "$PB"
		echo 'not JSON'                                          # 5: after the round
		bid "$A" 0 "$PA" 900 2026-06-22T00:00:00Z                # 6: would open a round
	} > "$T/in.ndjson"
	run -0 --separate-stderr queen --workers 2 --max-iter 2 --rounds 1 --bids "$T/bids.ndjson" < "$T/in.ndjson"
	[ "$stderr" = "" ]
	run jq -c '[.start, .iteration, .status]' <<< "$output"
	assert_output $'["2026-06-21T00:00:00Z",0,"iterate"]\n["2026-06-21T00:00:00Z",1,"stopped"]'
	run sort "$T/bids.ndjson"
	assert_output "$(sed -n 3,4p "$T/in.ndjson" | sort)"
	# Nor does it wait for the end of its input.
	exec {in}< <(exec 3>&- 2> /dev/null; head -n 4 "$T/in.ndjson"; exec sleep 20)
	spid=$!
	t0=$(ms)
	rc=0
	queen --workers 2 --max-iter 2 --rounds 1 <&$in > "$T/out.ndjson" || rc=$?
	t=$(( $(ms) - t0 ))
	exec {in}<&-
	kill "$spid" 2> /dev/null || true
	[ "$rc" = 0 ]
	(( t < 10000 )) || fail "the Queen waited $t ms for the end of its input"
	[ "$(count_lines "$T/out.ndjson")" = 2 ]

	# Without --rounds the rest is read: the bad line is refused (exit 1).
	head -n 5 "$T/in.ndjson" > "$T/five.ndjson"
	run -1 --separate-stderr queen --workers 2 --max-iter 2 < "$T/five.ndjson"
	[ "$(jq -c .iteration <<< "$output" | tr '\n' ' ')" = "0 1 " ]
	[[ "$stderr" == "hive-clear: line 5: "* ]]
	[ "$(wc -l <<< "$stderr")" = 1 ]

	# The input ends in the middle of a round: exit 3, and no final bids.
	head -n 3 "$T/in.ndjson" > "$T/mid.ndjson"
	run -3 --separate-stderr queen --workers 2 --max-iter 2 --bids "$T/mid-bids.ndjson" < "$T/mid.ndjson"
	run jq -c '[.iteration, .status]' <<< "$output"
	assert_output '[0,"iterate"]'
	[ "$stderr" = "hive-clear: the input ended in the middle of a round: its plans were not final" ]
	[ -f "$T/mid-bids.ndjson" ] && [ ! -s "$T/mid-bids.ndjson" ]
	# Also after a round that ended: the next one, opened, is not final.
	head -n 4 "$T/in.ndjson" > "$T/next.ndjson"
	sed -n 6p "$T/in.ndjson" >> "$T/next.ndjson"
	run -3 --separate-stderr queen --workers 2 --max-iter 2 < "$T/next.ndjson"
	[ "$(jq -c .iteration <<< "$output" | tr '\n' ' ')" = "0 1 " ]
	[ "$stderr" = "hive-clear: the input ended in the middle of a round: its plans were not final" ]
}

# worker_files KEYNAME BASE_WH PV_WH EVENING_WH BATTERY CAPACITY POWER SOC: assets and a day's forecast in
# 24 slots of an hour for a market Worker, in $T/assets-KEYNAME.ndjson and $T/fc-KEYNAME.ndjson.
worker_files() {
	local n=$1 addr
	addr=$(< "$K/$1.addr")
	printf '{"type":"assets","worker":"%s","import_max_w":13800,"export_max_w":8000}\n' "$addr" > "$T/assets-$n.ndjson"
	printf '{"type":"battery","name":"%s","capacity_wh":%s,"charge_w":%s,"discharge_w":%s,"charge_efficiency":0.95,"discharge_efficiency":0.95,"soc_wh":%s,"cycle_cost":"10000"}\n' \
		"$5" "$6" "$7" "$7" "$8" >> "$T/assets-$n.ndjson"
	awk -v m="$addr" -v base="$2" -v pv="$3" -v eve="$4" 'BEGIN {
		printf "{\"type\":\"forecast\",\"meter\":\"%s\",\"start\":\"2026-06-21T00:00:00Z\",\"step\":3600,\"horizon\":86400,\"series\":{\"net_wh\":{\"point\":[", m
		for (t = 0; t < 24; t++) printf "%s%d", t ? "," : "", (t >= 9 && t < 16) ? base - pv : base + ((t >= 17 && t < 22) ? eve : 0)
		printf "]},\"export_wh\":{\"point\":["
		for (t = 0; t < 24; t++) { e = (t >= 9 && t < 16) ? pv - base : 0; printf "%s%d", t ? "," : "", (e > 0 ? e : 0) }
		printf "]}}}\n"
	}' > "$T/fc-$n.ndjson"
}

# three_workers [QUEEN_OPTION...]: Workers a, b and c (worker_files) with hive-bid and the Queen over named
# pipes, one round; the signals in $T/signals.ndjson, the final bids in $T/bids.ndjson.
three_workers() {
	worker_files a 300 2000 600 garage 10000 4000 5000
	worker_files b 400 0 600 cellar 5000 2500 1000
	worker_files c 200 800 600 shed 8000 3000 4000
	rm -f "$T/q.in" "$T/q.out" "$T/s.a" "$T/s.b" "$T/s.c" "$T/bids.ndjson"
	mkfifo "$T/q.in" "$T/q.out" "$T/s.a" "$T/s.b" "$T/s.c"
	# Each Worker reads its forecast, then the Queen's signals; its signed bids go to the Queen.
	worker() {
		{ cat "$T/fc-$1.ndjson"; cat "$T/s.$1"; } |
			hive-bid --assets "$T/assets-$1.ndjson" --tariff "$TARIFF" --key "$K/$1.key"
	}
	t0=$(ms)
	hive-clear coordinate --tariff "$TARIFF" --export "$T/export.ndjson" --signed --rounds 1 --bids "$T/bids.ndjson" \
		"$@" < "$T/q.in" > "$T/q.out" 2> "$T/queen.err" 3>&- &
	qpid=$!
	# The fan-out: every signal to every Worker (and to a log).
	tee "$T/signals.ndjson" "$T/s.a" "$T/s.b" < "$T/q.out" > "$T/s.c" 2> "$T/tee.err" 3>&- &
	tpid=$!
	pids=()
	for n in a b c; do
		worker "$n" > "$T/q.in" 2> "$T/worker-$n.err" 3>&- &
		pids+=($!)
	done
	await 30 "$qpid" "$tpid" "${pids[@]}"
	t=$(( $(ms) - t0 ))
	rc=0
	wait "$qpid" || rc=$?
	[ "$rc" = 0 ] || fail "the Queen exited $rc: $(cat "$T/queen.err")"
	for p in "${pids[@]}"; do wait "$p" || fail "a Worker failed: $(cat "$T"/worker-*.err)"; done
	(( t < 20000 )) || fail "the loop took $t ms"
	run cat "$T/queen.err" "$T"/worker-*.err
	assert_output ""
}

@test "hive-clear coordinate: three hive-bid Workers and the Queen over named pipes converge to hive-clear simulate's plans" {
	three_workers

	# Signals 0, 1, … in order, every one iterate but the last: converged.
	run jq -s -c '[(map(.iteration) == [range(length)]), (.[:-1] | map(.status) | unique), .[-1].status,
		(map(.hive) | unique), length > 2]' "$T/signals.ndjson"
	assert_output '[true,["iterate"],"converged",[1],true]'
	# The final bids: one per member, signed by it, of the last iteration, each in one atomic pipe write.
	run -0 hive-sign verify --signer-field worker --require-sig "$T/bids.ndjson"
	last=$(jq -s '.[-1].iteration' "$T/signals.ndjson")
	run jq -s -c '[(map(.worker) | sort), (map(.iteration) | unique)]' "$T/bids.ndjson"
	assert_output "$(jq -n -c --arg a "$A" --arg b "$B" --arg c "$C" "[([\$a, \$b, \$c] | sort), [$last]]")"
	(( $(wc -L < "$T/bids.ndjson") < 4096 )) || fail "a bid is longer than PIPE_BUF: Workers' lines could interleave"

	# The same hive in one process.
	cat "$T/fc-a.ndjson" "$T/fc-b.ndjson" "$T/fc-c.ndjson" |
		hive-clear simulate --tariff "$TARIFF" "$T/assets-a.ndjson" "$T/assets-b.ndjson" "$T/assets-c.ndjson" \
		> "$T/sim.ndjson"
	run jq -r 'select(.type == "coordination") | .converged' "$T/sim.ndjson"
	assert_output true
	# What the hive pays, its Workers' own costs and the tariff's cost of their aggregate (250 and 80 per Wh):
	# within 0.01 % of the optimum simulate found.
	cost=$(jq -s '(map(.own_cost) | add) + ([range(24) as $t | (map(.plan_wh[$t]) | add)
		| if . >= 0 then 250 * . else 80 * . end] | add)' "$T/bids.ndjson")
	run jq -r --argjson c "$cost" 'select(.type == "coordination") | (($c - .cost_coordinated) | fabs) / .cost_coordinated < 1e-4
		// "cost \($c) against \(.cost_coordinated)"' "$T/sim.ndjson"
	assert_output true
	# The same plans: within 0.5 Wh in every slot, slot 0 (whole Wh in both) within 1 Wh.
	run jq -n -r --slurpfile sim "$T/sim.ndjson" --slurpfile q "$T/bids.ndjson" '
		($sim | map(select(.type == "bid")) | map({(.worker): .plan_wh}) | add) as $s
		| $q[] | .worker as $w | .plan_wh as $p
		| [range(24) | select(($p[.] - $s[$w][.] | fabs) > (if . == 0 then 1 else 0.5 end))
		   | "\($w) slot \(.): \($p[.]) against \($s[$w][.])"] | .[]'
	assert_output ""
	[ "$(jq -s 'map(select(.type == "bid")) | length' "$T/sim.ndjson")" = 3 ]
}

# --gap: signals 1, 5, 9, … ask the Workers' bounds at their prices, and
# every second one once the plans are proven within 16 times the gap; the
# bounds' sum proves the plans within 0.1 % of the optimum long before the
# residuals meet their tolerance.
@test "hive-clear coordinate --gap: the Workers' bounds prove the plans within the gap, in fewer iterations" {
	three_workers --gap 0.001
	# Prices on the signals the schedule names (not the last); a proof from the first bound on; the last
	# converged by it.
	# Both paces are taken: some priced iteration is 3 modulo 4.
	run jq -s -c '[(.[:-1] | all(has("price") == (.iteration % 4 == 1
			or (.iteration % 2 == 1 and (.proven_gap // 1) <= 0.016))) and (.[0:2] | map(has("price")) == [false, true])
			and any(.price and .iteration % 4 == 3)),
		(map(select(.price)) | map(.price | length) | unique), .[-1].status, .[-1].proven_gap <= 0.001,
		(.[-1] | has("price"))]' "$T/signals.ndjson"
	assert_output '[true,[24],"converged",true,false]'
	lb=$(jq -s '.[-1].lower_bound' "$T/signals.ndjson")
	last=$(jq -s '.[-1].iteration' "$T/signals.ndjson")
	# What the final plans cost (as in the test above): at or above the bound, and within 0.1 % of it.
	cost=$(jq -s '(map(.own_cost) | add) + ([range(24) as $t | (map(.plan_wh[$t]) | add)
		| if . >= 0 then 250 * . else 80 * . end] | add)' "$T/bids.ndjson")
	jq -n -e --argjson c "$cost" --argjson lb "$lb" '$c >= $lb - 1 and ($c - $lb) <= 0.001 * ($lb | fabs) + 1' \
		> /dev/null || fail "the plans cost $cost, the bound is $lb"
	# The same hive in one process: its optimum is not below the bound, and its default rule takes more rounds.
	cat "$T/fc-a.ndjson" "$T/fc-b.ndjson" "$T/fc-c.ndjson" |
		hive-clear simulate --tariff "$TARIFF" "$T/assets-a.ndjson" "$T/assets-b.ndjson" "$T/assets-c.ndjson" \
		> "$T/sim.ndjson"
	run jq -r --argjson lb "$lb" --argjson k "$last" 'select(.type == "coordination")
		| [.cost_coordinated >= $lb - 1, .iterations > $k + 1] | tostring' "$T/sim.ndjson"
	assert_output '[true,true]'
	# The bids that answered a price carry a bound; the others none.
	run jq -r 'select(.type == "bid" and has("bound")) | .iteration % 2' "$T/bids.ndjson"
	[ -z "$output" ] || [ "$output" = "$(printf '0\n0\n0')" ]
}

# nested LIMIT_OPTS...: a parent hive of Worker A and a child hive of B and C, whose Queen bids their aggregate
# as Worker OTHER with hive-bid; the parent's Queen over named pipes. The final bids in $T/bids.ndjson.
nested() {
	export_hive "$T/export-parent.ndjson" "$A" "$OTHER"
	rm -f "$T/q.in" "$T/q.out" "$T/s.a" "$T/s.child" "$T/bids.ndjson"
	mkfifo "$T/q.in" "$T/q.out" "$T/s.a" "$T/s.child"
	hive-clear coordinate --tariff "$TARIFF" --export "$T/export-parent.ndjson" --signed --rounds 1 \
		--bids "$T/bids.ndjson" < "$T/q.in" > "$T/q.out" 2> "$T/queen.err" 3>&- &
	qpid=$!
	tee "$T/signals.ndjson" "$T/s.a" < "$T/q.out" > "$T/s.child" 2> "$T/tee.err" 3>&- &
	tpid=$!
	{ cat "$T/fc-a.ndjson"; cat "$T/s.a"; } |
		hive-bid --assets "$T/assets-a.ndjson" --tariff "$TARIFF" --key "$K/a.key" > "$T/q.in" 2> "$T/worker-a.err" 3>&- &
	apid=$!
	{ cat "$T/fc-b.ndjson" "$T/fc-c.ndjson"; cat "$T/s.child"; } |
		hive-bid --assets "$T/assets-b.ndjson" --assets "$T/assets-c.ndjson" --tariff "$TARIFF" --key "$K/other.key" "$@" \
		> "$T/q.in" 2> "$T/child.err" 3>&- &
	cpid=$!
	await 60 "$qpid" "$tpid" "$apid" "$cpid"
	wait "$qpid" || fail "the Queen failed: $(cat "$T/queen.err")"
	wait "$apid" || fail "Worker A failed: $(cat "$T/worker-a.err")"
	wait "$cpid" || fail "the child hive failed: $(cat "$T/child.err")"
	run -0 hive-sign verify --signer-field worker --require-sig "$T/bids.ndjson"
	[ "$(jq -r .worker "$T/bids.ndjson" | sort)" = "$(printf '%s\n' "$A" "$OTHER" | sort)" ]
	[ "$(jq -s -r '.[-1].status' "$T/signals.ndjson")" = converged ]
}

# hive_cost BIDS: the Workers' own costs and the tariff's cost of their aggregate (250 and 80 per Wh).
hive_cost() {
	jq -s '(map(.own_cost) | add) + ([range(24) as $t | (map(.plan_wh[$t]) | add)
		| if . >= 0 then 250 * . else 80 * . end] | add)' "$1"
}

@test "hive-clear coordinate: a child hive's Queen bids its aggregate as one Worker, and the nested hive reaches the flat optimum" {
	worker_files a 300 2000 600 garage 10000 4000 5000
	worker_files b 400 0 600 cellar 5000 2500 1000
	worker_files c 200 800 600 shed 8000 3000 4000
	# The flat hive of A, B and C in one process: the optimum.
	cat "$T/fc-a.ndjson" "$T/fc-b.ndjson" "$T/fc-c.ndjson" |
		hive-clear simulate --tariff "$TARIFF" "$T/assets-a.ndjson" "$T/assets-b.ndjson" "$T/assets-c.ndjson" \
		> "$T/sim.ndjson"
	flat=$(jq 'select(.type == "coordination") | .cost_coordinated' "$T/sim.ndjson")

	# Nested, without limits at the child's connection: the same optimum (the child's members' own costs
	# are in its bid's own_cost), within 0.01 %.
	nested
	run cat "$T/queen.err" "$T/worker-a.err" "$T/child.err"
	assert_output ""
	cost=$(hive_cost "$T/bids.ndjson")
	run jq -n -r --argjson c "$cost" --argjson f "$flat" '(($c - $f) | fabs) / ($f | fabs) < 1e-4 // "\($c) against \($f)"'
	assert_output true
	# The members' plans stay with the child: its bid has no schedules.
	run jq -c --arg o "$OTHER" 'select(.worker == $o) | .schedules' "$T/bids.ndjson"
	assert_output "{}"

	# With the child's connection limited to 1000 W of import: its aggregate stays within it, and the hive pays
	# more than the flat optimum.
	nested --import-max-w 1000
	run cat "$T/queen.err" "$T/worker-a.err" "$T/child.err"
	assert_output ""
	# (B and C's uncontrolled load together is above it: the child's batteries must act)
	run jq -s '[range(24) as $t | map(.series.net_wh.point[$t]) | add] | max > 1000' "$T/fc-b.ndjson" "$T/fc-c.ndjson"
	assert_output true
	run jq -r --arg o "$OTHER" 'select(.worker == $o) | .plan_wh | map(select(. > 1000.5)) | length' "$T/bids.ndjson"
	assert_output 0
	limited=$(hive_cost "$T/bids.ndjson")
	run jq -n --argjson c "$limited" --argjson f "$flat" '$c >= $f - 1e-4 * ($f | fabs)'
	assert_output true
}

@test "hive-clear coordinate: signals signed with the Queen's key; hive-bid --queen takes only hers" {
	worker_files a 300 2000 600 garage 10000 4000 5000
	export_hive "$T/export-a.ndjson" "$A"
	hive-bid --assets "$T/assets-a.ndjson" --tariff "$TARIFF" --key "$K/a.key" "$T/fc-a.ndjson" > "$T/bid0.ndjson"
	# The hive's owner signs: the signal carries her signature.
	queen --export "$T/export-a.ndjson" --signed --key "$K/queen.key" --max-iter 2 < "$T/bid0.ndjson" > "$T/signals.ndjson" || true
	head -n 1 "$T/signals.ndjson" > "$T/signal.ndjson"
	run -0 hive-sign verify --signer "$QUEEN" --require-sig "$T/signal.ndjson"
	# Another key than the owner's is refused before anything is read.
	run -4 --separate-stderr queen --export "$T/export-a.ndjson" --key "$K/other.key" < "$T/bid0.ndjson"
	[ "$stderr" = "hive-clear: the key is $OTHER's, not the hive's owner $QUEEN" ]
	[ -z "$output" ]

	# The Worker answers the Queen's signal; an unsigned one and one signed by another are refused by line.
	jq -c 'del(.sig)' "$T/signal.ndjson" > "$T/unsigned.ndjson"
	hive-sign sign --key "$K/other.key" --resign "$T/signal.ndjson" > "$T/forged.ndjson"
	run -1 --separate-stderr hive-bid --assets "$T/assets-a.ndjson" --tariff "$TARIFF" --queen "$QUEEN" \
		"$T/fc-a.ndjson" "$T/unsigned.ndjson" "$T/forged.ndjson" "$T/signal.ndjson"
	[ "$(jq -c .iteration <<< "$output" | tr '\n' ' ')" = "0 1 " ]
	[ "$stderr" = "hive-bid: '$T/unsigned.ndjson' line 1: signal refused: the signal is not signed, and --queen requires the Queen's signature
hive-bid: '$T/forged.ndjson' line 1: signal refused: the signal is signed by $OTHER, not by the Queen" ]
	# A signal of another hive than --hive is refused too, even the Queen's (she may own several).
	run -1 --separate-stderr hive-bid --assets "$T/assets-a.ndjson" --tariff "$TARIFF" --queen "$QUEEN" --hive 2 \
		"$T/fc-a.ndjson" "$T/signal.ndjson"
	[ "$(jq -c .iteration <<< "$output")" = 0 ]
	[ "$stderr" = "hive-bid: '$T/signal.ndjson' line 1: signal refused: the signal is not of this Worker's hive (--hive)" ]
	run -0 hive-bid --assets "$T/assets-a.ndjson" --tariff "$TARIFF" --queen "$QUEEN" --hive 1 "$T/fc-a.ndjson" "$T/signal.ndjson"
	[ "$(jq -c .iteration <<< "$output" | tr '\n' ' ')" = "0 1 " ]
	# Without --queen the same signals are all answered (the first; the others are repeats).
	run -0 --separate-stderr hive-bid --assets "$T/assets-a.ndjson" --tariff "$TARIFF" "$T/fc-a.ndjson" "$T/unsigned.ndjson"
	[ "$(jq -c .iteration <<< "$output" | tr '\n' ' ')" = "0 1 " ]

	# Rounds: the Queen's signals, signed, of a round she opened two hours before this Worker's bid of
	# iteration 0 (a replay of an earlier Queen's, for the same horizon) are ignored; one that names no
	# round is refused; once a round is answered, a signal of another is ignored.
	resign() { jq -c "$1" "$T/signal.ndjson" | hive-sign sign --key "$K/queen.key" --resign; }
	resign '.round |= (fromdateiso8601? // (sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) | . - 7200 | todate)' > "$T/old.ndjson"
	resign 'del(.round)' > "$T/noround.ndjson"
	resign '.iteration = 1 | .round = "2030-01-01T00:00:00Z"' > "$T/later.ndjson"
	resign '.iteration = 1' > "$T/next.ndjson"
	run -1 --separate-stderr hive-bid --assets "$T/assets-a.ndjson" --tariff "$TARIFF" --queen "$QUEEN" \
		"$T/fc-a.ndjson" "$T/old.ndjson" "$T/noround.ndjson" "$T/signal.ndjson" "$T/later.ndjson" "$T/next.ndjson"
	[ "$(jq -c .iteration <<< "$output" | tr '\n' ' ')" = "0 1 2 " ]
	[ "$stderr" = "hive-bid: line 1: signal ignored: the signal's round opened more than an hour (or a slot, if longer) before this Worker's bid of iteration 0: a replay of an earlier round, the Queen's clock behind, or this Worker late
hive-bid: '$T/noround.ndjson' line 1: signal refused: the signal names no round, and --queen requires the Queen's
hive-bid: line 1: signal ignored: a signal of another round than the one this Worker answers" ]
	# Without --queen a round's age is not checked: anyone could forge the signal anyway.
	run -0 hive-bid --assets "$T/assets-a.ndjson" --tariff "$TARIFF" "$T/fc-a.ndjson" "$T/old.ndjson"
	[ "$(jq -c .iteration <<< "$output" | tr '\n' ' ')" = "0 1 " ]
}

@test "hive-bid: a child hive's options and identity" {
	worker_files b 400 0 600 cellar 5000 2500 1000
	worker_files c 200 800 600 shed 8000 3000 4000
	run -2 hive-bid --assets "$T/assets-b.ndjson" --assets "$T/assets-c.ndjson" --tariff "$TARIFF"
	assert_output --partial "a child hive bids as one Worker: give its --worker or its --key"
	run -2 hive-bid --assets "$T/assets-b.ndjson" --tariff "$TARIFF" --import-max-w 1000
	assert_output --partial "are a child hive's: give its members' assets files"
	run -2 hive-bid --assets "$T/assets-b.ndjson" --assets "$T/assets-c.ndjson" --tariff "$TARIFF" --worker 0x12
	assert_output --partial "--worker"
	run -4 --separate-stderr hive-bid --assets "$T/assets-b.ndjson" --assets "$T/assets-c.ndjson" --tariff "$TARIFF" \
		--worker "$QUEEN" --key "$K/other.key" "$T/fc-b.ndjson"
	[ "$stderr" = "hive-bid: the key is $OTHER's, not the --worker $QUEEN" ]
	run -3 --separate-stderr hive-bid --assets "$T/assets-b.ndjson" --assets "$T/assets-b.ndjson" --tariff "$TARIFF" --worker "$QUEEN"
	[[ "$stderr" == *"worker $B has another assets file" ]]
	# Forecasts of one start must agree in step and length; one older than a member's waiting one is stale;
	# forecasts still waiting when the input ends are said.
	jq -c '.horizon = 43200 | .series |= map_values(.point |= .[0:12])' "$T/fc-c.ndjson" > "$T/fc-c12.ndjson"
	run -1 --separate-stderr hive-bid --assets "$T/assets-b.ndjson" --assets "$T/assets-c.ndjson" --tariff "$TARIFF" \
		--worker "$QUEEN" "$T/fc-b.ndjson" "$T/fc-c12.ndjson"
	[ -z "$output" ]
	[ "$stderr" = "hive-bid: '$T/fc-c12.ndjson' line 1: forecast refused: its step or length differs from member $B's forecast of the same start
hive-bid: the input ended with 1 of the child hive's 2 members' forecasts waiting for the others': nothing was bid for them" ]
	jq -c '.start = "2026-06-22T00:00:00Z"' "$T/fc-b.ndjson" > "$T/fc-b2.ndjson"
	jq -c '.start = "2026-06-22T00:00:00Z"' "$T/fc-c.ndjson" > "$T/fc-c2.ndjson"
	run -0 --separate-stderr hive-bid --assets "$T/assets-b.ndjson" --assets "$T/assets-c.ndjson" --tariff "$TARIFF" \
		--worker "$QUEEN" "$T/fc-b2.ndjson" "$T/fc-b.ndjson" "$T/fc-c2.ndjson"
	[ "$(jq -r .start <<< "$output")" = 2026-06-22T00:00:00Z ]
	[ "$stderr" = "hive-bid: line 1: forecast ignored: a forecast older than the round planned or the member's forecast waiting" ]
	# A member whose problem cannot be made is named.
	{ cat "$T/assets-c.ndjson"
	  echo '{"type":"deferrable","name":"car","power_w":1000,"energy_wh":50000,"release":"2026-06-21T01:00:00Z","deadline":"2026-06-21T03:00:00Z"}'
	} > "$T/assets-c-bad.ndjson"
	run -1 --separate-stderr hive-bid --assets "$T/assets-b.ndjson" --assets "$T/assets-c-bad.ndjson" --tariff "$TARIFF" \
		--worker "$QUEEN" "$T/fc-c.ndjson" "$T/fc-b.ndjson"
	[ -z "$output" ]
	[[ "$stderr" == "hive-bid: '$T/fc-b.ndjson' line 1: no plan: member $C: asset 'car': 50000 Wh do not fit"* ]]
	# A round starts only once every member has a forecast; then one bid, the child's, of both members' plans.
	run -0 --separate-stderr hive-bid --assets "$T/assets-b.ndjson" --assets "$T/assets-c.ndjson" --tariff "$TARIFF" \
		--worker "$QUEEN" "$T/fc-b.ndjson"
	[ -z "$output" ]
	[ "$stderr" = "hive-bid: the input ended with 1 of the child hive's 2 members' forecasts waiting for the others': nothing was bid for them" ]
	run -0 --separate-stderr hive-bid --assets "$T/assets-b.ndjson" --assets "$T/assets-c.ndjson" --tariff "$TARIFF" \
		--worker "$QUEEN" "$T/fc-b.ndjson" "$T/fc-c.ndjson"
	run jq -c '[.worker, .iteration, (.plan_wh | length), .schedules]' <<< "$output"
	assert_output "[\"$QUEEN\",0,24,{}]"
}

@test "hive-clear coordinate: a later round supersedes an open one; a round whose Workers all stop answering stops" {
	{
		bid "$A" 0 "$PA"; bid "$B" 0 "$PB"                        # 1-2: round one, signal 0
		bid "$A" 0 "$PA" 900 2026-06-22T00:00:00Z                 # 3: round two: round one stops
		bid "$B" 0 "$PB" 900 2026-06-22T00:00:00Z                 # 4: signal 0 of round two
	} > "$T/in.ndjson"
	run -3 --separate-stderr queen --workers 2 --rho 1 --bids "$T/bids.ndjson" < "$T/in.ndjson"
	run jq -c '[.start, .iteration, .status]' <<< "$output"
	assert_output '["2026-06-21T00:00:00Z",0,"iterate"]
["2026-06-21T00:00:00Z",1,"stopped"]
["2026-06-22T00:00:00Z",0,"iterate"]'
	[[ "$stderr" == "hive-clear: line 3: a later round superseded the open one before it converged"* ]]
	# Round one's final bids are its last ones, lines 1 and 2.
	cmp "$T/bids.ndjson" <(head -n 2 "$T/in.ndjson")

	# Nobody answers signal 0: at the timeout the round stops, with its plans, and --rounds 1 ends the run.
	mkfifo "$T/fifo"
	{ head -n 2 "$T/in.ndjson"; sleep 30; } > "$T/fifo" &
	feeder=$!
	t0=$(ms)
	run -0 --separate-stderr queen --workers 2 --rho 1 --timeout 1s --rounds 1 --bids "$T/again.ndjson" < "$T/fifo"
	kill "$feeder" 2> /dev/null || true
	[ $(( $(ms) - t0 )) -lt 5000 ]
	run jq -c '[.iteration, .status]' <<< "$output"
	assert_output '[0,"iterate"]
[1,"stopped"]'
	[ "$stderr" = "hive-clear: no Worker answered in time: the round stopped" ]
	[ "$(count_lines "$T/again.ndjson")" = 2 ]
}

@test "hive-clear coordinate: a bid whose own_cost or bound is not a number is refused; the good ones make the round" {
	{
		bid "$A" 0 "$PA" | jq -c '.own_cost = "12"'
		bid "$A" 0 "$PA" | jq -c '.bound = [1]'
		bid "$A" 0 "$PA" | jq -c '.own_cost = 12.5 | .bound = -3'
		bid "$B" 0 "$PB"
	} > "$T/in.ndjson"
	run -1 --separate-stderr queen --workers 2 --gap 0.01 --max-iter 1 < "$T/in.ndjson"
	[ "$stderr" = "hive-clear: line 1: bid refused: the bid's own_cost or bound is not a number
hive-clear: line 2: bid refused: the bid's own_cost or bound is not a number" ]
	run jq -c '[.iteration, .status]' <<< "$output"
	assert_output '[0,"stopped"]'
}

@test "hive-clear coordinate: a worker that is not an address, and a round far ahead of the clock, are refused" {
	{
		bid "$(printf 'x%.0s' $(seq 63))" 0 "$PA"            # 1: no address (it once overran the Queen's table)
		bid "$A" 0 "$PA" 900 2099-01-01T00:00:00Z            # 2: would block every round before 2099
		bid "$A" 0 "$PA"; bid "$B" 0 "$PB"                   # 3-4: the round
	} > "$T/in.ndjson"
	run -1 --separate-stderr queen --workers 2 --rho 1 --max-iter 1 < "$T/in.ndjson"
	[ "$stderr" = "hive-clear: line 1: bid refused: the bid's worker is not an address (0x and 40 hex digits)
hive-clear: line 2: bid refused: a bid for a round more than two days ahead of the Queen's clock" ]
	[ "$(jq -c '[.iteration, .status]' <<< "$output")" = '[0,"stopped"]' ]
}

@test "hive-clear coordinate: a bid whose first_wh is more than 0.5 Wh from plan_wh[0] is refused; within 0.5 Wh it is taken" {
	# Slot 0 of A's plan is 100 Wh and B's 200 Wh: an aggregate of 300 Wh lies at the tariff's kink (with rho 1,
	# between 160 and 500), where the signal is the aggregate itself, so it shows which first slot the Queen took.
	{
		bid "$A" 0 100,100,-300,0 | sed 's/}$/,"first_wh":100.6}/'       # 1: 0.6 Wh off: refused
		bid "$A" 0 100,100,-300,0 | sed 's/}$/,"first_wh":99.49}/'       # 2: 0.51 Wh off: refused
		bid "$A" 0 100,100,-300,0 | sed 's/}$/,"first_wh":"100.2"}/'     # 3: not a number: refused
		bid "$A" 0 100,100,-300,0 | sed 's/}$/,"first_wh":100.5}/'       # 4: 0.5 Wh off: taken, as 100.5
		bid "$B" 0 "$PB" | sed 's/}$/,"first_wh":199.75}/'               # 5: taken, as 199.75
	} > "$T/in.ndjson"
	[ "$(grep -c first_wh "$T/in.ndjson")" = 5 ]
	run -1 --separate-stderr queen --workers 2 --rho 1 --max-iter 1 --rejects "$T/rejects.ndjson" < "$T/in.ndjson"
	[ "$stderr" = "hive-clear: line 1: bid refused: the bid's first_wh is not a number within 0.5 Wh of its plan's first slot
hive-clear: line 2: bid refused: the bid's first_wh is not a number within 0.5 Wh of its plan's first slot
hive-clear: line 3: bid refused: the bid's first_wh is not a number within 0.5 Wh of its plan's first slot" ]
	echo "$output" > "$T/signals.ndjson"
	run jq -c '.line' "$T/rejects.ndjson"
	assert_output $'1\n2\n3'
	# One signal, from lines 4 and 5 (a refused bid took no place and made line 4 no second bid):
	# slot 0 is 100.5 + 199.75, the first_wh of both, not their plan_wh[0].
	run jq -c '[.iteration, .status, .signal_wh[0]]' "$T/signals.ndjson"
	assert_output '[0,"stopped",300.25]'
	echo "{\"rho\":1,\"max_iter\":1,\"plans\":[[[100.5,100,-300,0],[199.75,100,-100,50]]]}" > "$T/spec.json"
	run check_signals "$T/spec.json" "$T/signals.ndjson"
	assert_output ok
}

@test "hive-clear coordinate: a line longer than 16 MiB is skipped as it comes, the bids after it taken; --strict stops there" {
	# Line 2 would be B's bid but for a note that makes it 17 MiB long; line 3 is B's bid; line 4 is no record.
	{
		bid "$A" 0 "$PA"
		bid "$B" 0 "$PB" | tr -d '\n' | sed 's/}$/,"note":"/'
		head -c $((17 << 20)) /dev/zero | tr '\0' x
		printf '"}\n'
		bid "$B" 0 "$PB"
		echo 'not JSON'
	} > "$T/in.ndjson"
	[ "$(count_lines "$T/in.ndjson")" = 4 ]
	(( $(sed -n 2p "$T/in.ndjson" | wc -c) > (17 << 20) ))
	run -1 --separate-stderr queen --workers 2 --rho 1 --max-iter 1 --rejects "$T/rejects.ndjson" < "$T/in.ndjson"
	# The line numbers after it still count it.
	[ "$stderr" = "hive-clear: standard input line 2: longer than 16777216 bytes: skipped
hive-clear: line 4: byte offset 0: invalid JSON: unexpected character" ]
	output=$(jq -c 'del(.round)' <<< "$output")
	assert_output '{"iteration":0,"r":413.0375285612677,"rho":1,"s":0,"seconds":900,"signal_wh":[500,200,160,160],"start":"2026-06-21T00:00:00Z","status":"stopped","type":"signal"}'
	# It is not written to --rejects; line 4 is.
	run jq -c '[.line, .text]' "$T/rejects.ndjson"
	assert_output '[4,"not JSON"]'

	# With --strict the Queen stops at it: B's bid of line 3 is not read, no signal; exit 1.
	run -1 --separate-stderr queen --workers 2 --rho 1 --max-iter 1 --strict < "$T/in.ndjson"
	assert_output ""
	[ "$stderr" = "hive-clear: standard input line 2: longer than 16777216 bytes: skipped
hive-clear: the input ended in the middle of a round: its plans were not final" ]
}

@test "hive-clear coordinate: a line just over 16 MiB, ending in the read that crosses the limit, is skipped too" {
	# Line 2: B's bid with a note, 16 MiB + 100 bytes long; read from a file in reads of 64 KiB, its end comes
	# in the same read as its 16 777 217th byte.
	pre=$(bid "$B" 0 "$PB" | tr -d '\n' | sed 's/}$/,"note":"/')
	{
		bid "$A" 0 "$PA"
		printf '%s' "$pre"
		head -c $(( (16 << 20) + 100 - ${#pre} - 2 )) /dev/zero | tr '\0' x
		printf '"}\n'
		bid "$B" 0 "$PB"
	} > "$T/in.ndjson"
	[ "$(sed -n 2p "$T/in.ndjson" | tr -d '\n' | wc -c)" = $(( (16 << 20) + 100 )) ]
	run -1 --separate-stderr queen --workers 2 --rho 1 --max-iter 1 < "$T/in.ndjson"
	[ "$stderr" = "hive-clear: standard input line 2: longer than 16777216 bytes: skipped" ]
	[ "$(jq -c '[.iteration, .status]' <<< "$output")" = '[0,"stopped"]' ]
}
