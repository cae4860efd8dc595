#!/usr/bin/env bats
# hive-beekeeper under I/O faults and crashes (issue 4). In the manner of
# SQLite's I/O error tests, each command runs once per N with the Nth write
# or sync of the ledger made to fail by an LD_PRELOAD shim
# (tests/tools/faultfs.c), the disk full from the Nth write on, or the
# process killed in the middle of its Nth write; and concurrent writers are
# killed with kill -9 at random moments. Every time: a failure is reported
# (exit 5, the ledger named), what was printed is in the ledger
# (acknowledged = durable), nothing unacknowledged stays once the command
# could cut it back, and the ledger verifies, after 'repair' where a crash
# left a torn line.
load helpers

TIME=2026-11-01T00:00:00Z
TO=0x000000000000000000000000000000000000dEaD

setup_file() {
	hive-sign keygen --key "$BATS_FILE_TMPDIR/admin.key" > /dev/null
}

setup() {
	setup_scratch
	SHIM=$TOP/build/tools/faultfs.so
	[ -f "$SHIM" ] || skip "build/tools/faultfs.so is missing: run 'make build/tools/faultfs.so'"
	unset HIVE_LEDGER
	KEY=$BATS_FILE_TMPDIR/admin.key
	L=$T/ledger.ndjson
	bk init --key "$KEY" --time "$TIME" > /dev/null
	ops 4 > "$T/ops4"
	ops 12 > "$T/ops12"
	ops 7 > "$T/ops7"
	WRITERS=()
}

teardown() {
	# Writers of the kill -9 test that are still alive after a failure.
	for pg in "${WRITERS[@]}"; do kill -9 -- "-$pg" 2> /dev/null || true; done
}

bk() { hive-beekeeper --ledger "$L" "$@"; }

# One more event, without the shim.
transfer() { bk hvt transfer --key "$KEY" --to "$TO" --amount 1 --time "$TIME"; }

# N operation records for apply.
ops() {
	local i
	for ((i = 1; i <= $1; i++)); do
		printf '{"op":"hvt_transfer","to":"%s","amount":"%d"}\n' "$TO" "$i"
	done
}

# under [VAR=VALUE...] -- ARGS...: hive-beekeeper --ledger $L ARGS with the
# shim failing what the variables say (FAULT_PATH=$L unless one is given).
# Standard output byte for byte in $T/out, standard error in $stderr, the
# exit status in $status.
under() {
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	status=0
	# (The braces keep bash's "Killed" notice of a crashed run out of the test's output.)
	{ env LD_PRELOAD="$SHIM" FAULT_PATH="$L" "${vars[@]}" hive-beekeeper --ledger "$L" "$@" \
		> "$T/out" 2> "$T/err" < /dev/null; } 2> /dev/null || status=$?
	stderr=$(< "$T/err")
}

# How many calls of a kind (write, sync, ftruncate) the shim logged to $T/log.
calls() { grep -c "^$1 " "$T/log" || true; }

# A later append without the shim succeeds and ends the ledger.
append_ok() {
	run -0 --separate-stderr transfer
	[ "$output" = "$(tail -n 1 "$L")" ]
}

# After a command failed under an injected fault, given a copy of the ledger
# from before it, the number of events it should have acknowledged (the
# groups synced before the fault) and the error text: exit 5 with the ledger
# named, exactly those lines printed, the ledger cut back to what it held
# plus them, verify passes, a later append succeeds.
expect_failure() {
	local before=$1 acked=$2 why=$3
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"ledger '$L'"* ]]
	[[ "$stderr" == *"$why"* ]]
	[ "$(count_lines "$T/out")" -eq "$acked" ]
	cat "$before" "$T/out" | cmp - "$L"
	run -0 bk verify
	append_ok
}

# After the same command ran with a fault it never reached: all acknowledged.
expect_success() {
	local before=$1 total=$2
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(count_lines "$T/out")" -eq "$total" ]
	cat "$before" "$T/out" | cmp - "$L"
	run -0 bk verify
}

# sweep BATCH TOTAL ARGS...: ARGS appends TOTAL events, BATCH to a sync.
# First a run with the shim logging only: one write per event, one fdatasync
# per group. Then for N = 1 … writes + 1 the Nth write fails (EIO, a short
# write then EIO, the disk full, the disk full after a short write) and for
# N = 1 … syncs + 1 the Nth sync fails (once, or from then on).
sweep() {
	local batch=$1 total=$2 n vars why before=$T/before
	shift 2
	rm -f "$T/log"
	cp "$L" "$before"
	under FAULT_LOG="$T/log" -- "$@"
	expect_success "$before" "$total"
	local writes syncs
	writes=$(calls write)
	syncs=$(calls sync)
	echo "# $*: $writes writes, $syncs syncs"
	[ "$writes" -eq "$total" ]
	[ "$syncs" -eq $(((total + batch - 1) / batch)) ]
	for ((n = 1; n <= writes + 1; n++)); do
		for vars in "FAULT_WRITE=$n" "FAULT_WRITE=$n FAULT_SHORT=100" "FAULT_ENOSPC=$n" \
			"FAULT_ENOSPC=$n FAULT_SHORT=-1" "FAULT_ENOSPC=$n FAULT_SHORT=1"; do
			echo "# case: $vars"
			why="Input/output error"
			[[ "$vars" != *ENOSPC* ]] || why="No space left on device"
			cp "$L" "$before"
			# shellcheck disable=SC2086 # the variables are words
			under $vars -- "$@"
			if ((n > writes)); then
				expect_success "$before" "$total"
			else
				expect_failure "$before" $((batch * ((n - 1) / batch))) "$why"
			fi
		done
	done
	for ((n = 1; n <= syncs + 1; n++)); do
		for vars in "FAULT_SYNC=$n" "FAULT_SYNC=$n FAULT_STICKY=1"; do
			echo "# case: $vars"
			cp "$L" "$before"
			# shellcheck disable=SC2086
			under $vars -- "$@"
			if ((n > syncs)); then
				expect_success "$before" "$total"
			else
				expect_failure "$before" $((batch * (n - 1))) "not acknowledged"
			fi
		done
	done
}

# crash_sweep BATCH TOTAL ARGS...: the process is killed in the middle of its
# Nth write after K bytes (none, one, 200, all but the newline), and just
# before its Nth sync. What it printed is in the ledger, followed by the
# events of the unsynced group it had written; a torn line makes the next
# writer refuse, naming repair; repair keeps the one complete event and cuts
# anything shorter; verify passes.
crash_sweep() {
	local batch=$1 total=$2 n k before=$T/before expect=$T/expect
	shift 2
	for ((n = 1; n <= total; n++)); do
		for k in 0 1 200 -1; do
			echo "# case: FAULT_CRASH_WRITE=$n FAULT_SHORT=$k"
			cp "$L" "$before"
			under FAULT_CRASH_WRITE="$n" FAULT_SHORT="$k" -- "$@"
			[ "$status" -eq 137 ]
			local acked=$((batch * ((n - 1) / batch)))
			[ "$(count_lines "$T/out")" -eq "$acked" ]
			cat "$before" "$T/out" > "$expect"
			cmp -n "$(stat -c %s "$expect")" "$expect" "$L"
			# Complete lines: those before, the acknowledged ones, the unsynced ones of this group.
			[ "$(count_lines "$L")" -eq $(($(count_lines "$before") + n - 1)) ]
			run --separate-stderr transfer
			if [ "$k" = 0 ]; then
				[ "$status" -eq 0 ]
			else
				[ "$status" -eq 3 ]
				[[ "$stderr" == *"is torn"*"'hive-beekeeper --ledger $L repair'"* ]]
				run -0 --separate-stderr bk repair
				if [ "$k" = -1 ]; then
					[[ "$stderr" == *"newline added"* ]]
					[ "$(count_lines "$L")" -eq $(($(count_lines "$before") + n)) ]
				else
					[[ "$stderr" == *"cut off $k bytes"* ]]
					[ "$(count_lines "$L")" -eq $(($(count_lines "$before") + n - 1)) ]
				fi
				append_ok
			fi
			cmp -n "$(stat -c %s "$expect")" "$expect" "$L"
			run -0 bk verify
		done
	done
	local syncs=$(((total + batch - 1) / batch))
	for ((n = 1; n <= syncs; n++)); do
		echo "# case: FAULT_CRASH_SYNC=$n"
		cp "$L" "$before"
		under FAULT_CRASH_SYNC="$n" -- "$@"
		[ "$status" -eq 137 ]
		[ "$(count_lines "$T/out")" -eq $((batch * (n - 1))) ]
		cat "$before" "$T/out" > "$expect"
		cmp -n "$(stat -c %s "$expect")" "$expect" "$L"
		local written=$((batch * n < total ? batch * n : total))
		[ "$(count_lines "$L")" -eq $(($(count_lines "$before") + written)) ]
		[ -z "$(tail -c 1 "$L")" ]   # no torn line: whole events, never synced
		append_ok
		run -0 bk verify
	done
}

# --- the shim itself ----------------------------------------------------------

@test "faultfs: counts the writes and syncs of the ledger only, and fails the Nth" {
	rm -f "$T/log"
	under FAULT_LOG="$T/log" -- hvt transfer --key "$KEY" --to "$TO" --amount 1 --time "$TIME"
	[ "$status" -eq 0 ]
	run -0 cat "$T/log"
	assert_output --regexp $'^write 1 [0-9]+\nsync 1$'
	# Another file named: the ledger is left alone.
	under FAULT_PATH="$T/other" FAULT_WRITE=1 FAULT_SYNC=1 -- hvt transfer --key "$KEY" --to "$TO" --amount 1 \
		--time "$TIME"
	[ "$status" -eq 0 ]
	# By its last component.
	under FAULT_PATH=ledger.ndjson FAULT_WRITE=1 -- hvt transfer --key "$KEY" --to "$TO" --amount 1 --time "$TIME"
	[ "$status" -eq 5 ]
	[ ! -s "$T/out" ]
	run -0 bk verify
}

# --- the Nth write or sync fails; a full disk --------------------------------

@test "a single append: every write and sync failing in turn, a full disk, a short write" {
	sweep 1 1 hvt transfer --key "$KEY" --to "$TO" --amount 1 --time "$TIME"
	sweep 1 1 params --key "$KEY" --meter-cost 5HVT --time "$TIME"
}

@test "apply --batch 1 of 4 operations: every write and sync failing in turn, a full disk" {
	sweep 1 4 apply --key "$KEY" --batch 1 --time "$TIME" "$T/ops4"
}

@test "apply --batch 5 of 12 operations: every write and sync failing in turn, a full disk" {
	sweep 5 12 apply --key "$KEY" --batch 5 --time "$TIME" "$T/ops12"
}

@test "apply --batch 5 from standard input: a failed sync acknowledges only the groups synced before" {
	cp "$L" "$T/before"
	status=0
	env LD_PRELOAD="$SHIM" FAULT_PATH="$L" FAULT_SYNC=2 \
		hive-beekeeper --ledger "$L" apply --key "$KEY" --batch 5 --time "$TIME" < "$T/ops12" \
		> "$T/out" 2> "$T/err" || status=$?
	stderr=$(< "$T/err")
	expect_failure "$T/before" 5 "the events after the last one printed were not acknowledged"
}

@test "init: a failed write, sync or directory sync leaves no ledger (or a valid one) and prints nothing" {
	L=$T/new.ndjson
	rm -f "$T/log" "$T/dirlog"
	under FAULT_LOG="$T/log" -- init --key "$KEY" --time "$TIME"
	[ "$status" -eq 0 ]
	[ "$(calls write)" -eq 1 ]
	[ "$(calls sync)" -eq 1 ]
	rm "$L"
	under FAULT_PATH="$T" FAULT_LOG="$T/dirlog" -- init --key "$KEY" --time "$TIME"
	[ "$status" -eq 0 ]
	run -0 cat "$T/dirlog"
	assert_output "sync 1"    # the new file's directory entry made durable
	rm "$L"
	for vars in FAULT_WRITE=1 "FAULT_WRITE=1 FAULT_SHORT=100" FAULT_ENOSPC=1 "FAULT_ENOSPC=1 FAULT_SHORT=-1" \
		FAULT_SYNC=1 "FAULT_SYNC=1 FAULT_STICKY=1" "FAULT_PATH=$T FAULT_SYNC=1"; do
		echo "# case: $vars"
		# shellcheck disable=SC2086
		under $vars -- init --key "$KEY" --time "$TIME"
		[ "$status" -eq 5 ]
		[[ "$stderr" == *"ledger '$L'"* ]]
		[ ! -s "$T/out" ]
		if [ -e "$L" ]; then
			run -0 bk verify      # what is left is a whole, valid ledger
		else
			run -0 bk init --key "$KEY" --time "$TIME"
		fi
		append_ok
		run -0 bk verify
		rm "$L"
	done
}

@test "a dead disk: the cut back after a failed sync cannot be synced either; nothing is acknowledged" {
	cp "$L" "$T/before"
	under FAULT_SYNC=1 FAULT_STICKY=1 -- apply --key "$KEY" --batch 5 --time "$TIME" "$T/ops7"
	[[ "$stderr" == *"cut back the unacknowledged appends, but cannot make the cut durable"* ]]
	expect_failure "$T/before" 0 "not acknowledged"
}

@test "a failed cut back: unacknowledged bytes stay, a torn line is refused and repaired, acknowledged lines kept" {
	# A full disk after a short write, and the ftruncate that should cut it fails.
	transfer > "$T/acked"
	cp "$L" "$T/before"
	under FAULT_ENOSPC=1 FAULT_SHORT=100 FAULT_TRUNC=1 -- hvt transfer --key "$KEY" --to "$TO" --amount 2 \
		--time "$TIME"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"cannot cut back"*"ledger '$L'"* || "$stderr" == *"ledger '$L'"*"cannot cut back"* ]]
	[ ! -s "$T/out" ]
	[ "$(stat -c %s "$L")" -eq $(($(stat -c %s "$T/before") + 100)) ]
	run --separate-stderr transfer
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"is torn"*"repair"* ]]
	run -0 --separate-stderr bk repair
	cmp "$L" "$T/before"
	grep -Fxq "$(cat "$T/acked")" "$L"
	run -0 bk verify
	append_ok
	# A failed sync whose cut back fails: a whole event stays, unacknowledged.
	cp "$L" "$T/before"
	under FAULT_SYNC=1 FAULT_TRUNC=1 -- hvt transfer --key "$KEY" --to "$TO" --amount 3 --time "$TIME"
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"cannot cut back"* ]]
	[ ! -s "$T/out" ]
	cmp -n "$(stat -c %s "$T/before")" "$T/before" "$L"
	[ "$(count_lines "$L")" -eq $(($(count_lines "$T/before") + 1)) ]
	run -0 bk verify
	append_ok
}

@test "repair under faults: a failed repair says so and changes nothing a later repair cannot finish" {
	for k in 100 -1; do
		echo "# torn tail: FAULT_SHORT=$k"
		cp "$L" "$T/before"
		under FAULT_CRASH_WRITE=1 FAULT_SHORT="$k" -- hvt transfer --key "$KEY" --to "$TO" --amount 1 \
			--time "$TIME"
		[ "$status" -eq 137 ]
		cp "$L" "$T/torn"
		for vars in FAULT_WRITE=1 FAULT_TRUNC=1 FAULT_SYNC=1 "FAULT_SYNC=1 FAULT_STICKY=1" FAULT_ENOSPC=1; do
			echo "# case: $vars"
			cp "$T/torn" "$L"
			# shellcheck disable=SC2086
			under $vars -- repair
			if [ "$status" -ne 0 ]; then
				[ "$status" -eq 5 ]
				[[ "$stderr" == *"cannot repair ledger '$L'"* ]]
			fi
			# Whatever happened, the complete events are all there.
			cmp -n "$(stat -c %s "$T/before")" "$T/before" "$L"
			run -0 --separate-stderr bk repair
			run -0 bk verify
			if [ "$k" = -1 ]; then
				[ "$(count_lines "$L")" -eq $(($(count_lines "$T/before") + 1)) ]
			else
				cmp "$L" "$T/before"
			fi
		done
		append_ok
	done
}

# --- crashes ----------------------------------------------------------------

@test "a crash in the middle of each write and before each sync: a single append" {
	crash_sweep 1 1 hvt transfer --key "$KEY" --to "$TO" --amount 1 --time "$TIME"
}

@test "a crash in the middle of each write and before each sync: apply --batch 1 and --batch 5" {
	crash_sweep 1 4 apply --key "$KEY" --batch 1 --time "$TIME" "$T/ops4"
	crash_sweep 5 7 apply --key "$KEY" --batch 5 --time "$TIME" "$T/ops7"
}

# Lines of a file that end with a newline (a line being printed when its
# writer was killed is not an acknowledgement).
complete_lines() {
	if [ -n "$(tail -c 1 "$1")" ]; then sed '$d' "$1"; else cat "$1"; fi
}

@test "kill -9 at random moments: 4 concurrent writers, 20 rounds; verify passes, no acknowledged event lost" {
	cat > "$T/writer" <<'SH'
#!/bin/bash
# writer ID MODE: appends events until killed, or until a torn ledger is refused.
id=$1 mode=$2
echo $$ > "$T/started.$id"     # our process group: setsid made us its leader
ops() { for i in 1 2 3 4 5 6 7 8 9 10; do printf '{"op":"hvt_transfer","to":"%s","amount":"%d"}\n' "$TO" "$i"; done; }
while :; do
	case $mode in
	single) hive-beekeeper --ledger "$L" hvt transfer --key "$KEY" --to "$TO" --amount 1 --time "$TIME" ;;
	apply*) ops | hive-beekeeper --ledger "$L" apply --key "$KEY" --batch "${mode#apply}" --time "$TIME" ;;
	esac >> "$T/ack.$id.$ROUND" 2>> "$T/err.$id"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "$rc" >> "$T/rc.$id"
		[ "$rc" -ne 3 ] || exit 0
	fi
done
SH
	chmod +x "$T/writer"
	export T L KEY TO TIME
	local modes=(single single apply1 apply5) round id pg torn=0 i
	local start=$SECONDS
	for ((round = 1; round <= 20; round++)); do
		rm -f "$T"/started.* "$T"/rc.*
		WRITERS=()
		for id in 0 1 2 3; do
			ROUND=$round setsid "$T/writer" "$id" "${modes[$id]}" < /dev/null > /dev/null 2>&1 3>&- &
		done
		# Each writer says it runs (and names its process group) before any is killed.
		for ((i = 0; i < 500; i++)); do
			[ -s "$T/started.0" ] && [ -s "$T/started.1" ] && [ -s "$T/started.2" ] && [ -s "$T/started.3" ] &&
				break
			sleep 0.01
		done
		for id in 0 1 2 3; do WRITERS+=("$(< "$T/started.$id")"); done
		# Kill them one by one, in a random order, each after a random pause.
		for id in $(shuf -e 0 1 2 3); do
			sleep "0.$(printf '%03d' $((RANDOM % 250)))"
			kill -9 -- "-${WRITERS[$id]}" 2> /dev/null || true
		done
		{ wait; } 2> /dev/null
		WRITERS=()
		# A writer refused a torn ledger: then so does the next one, and repair mends it.
		local refused
		refused=$(cat "$T"/rc.* 2> /dev/null | sort -u | tr '\n' ' ')
		[ -z "$refused" ] || [ "$refused" = "3 " ] || {
			echo "# round $round: writers exited with $refused"
			cat "$T"/err.*
			false
		}
		run --separate-stderr transfer
		if [ "$status" -eq 3 ]; then
			[[ "$stderr" == *"is torn"*"'hive-beekeeper --ledger $L repair'"* ]]
			run -0 --separate-stderr bk repair
			echo "# round $round: $stderr"
			torn=$((torn + 1))
			run --separate-stderr transfer
		else
			[ -z "$refused" ]
		fi
		[ "$status" -eq 0 ]
		[ "$output" = "$(tail -n 1 "$L")" ]
		run -0 bk verify
		# Every line any writer printed, in this round or before, is in the ledger.
		for f in "$T"/ack.*; do complete_lines "$f"; done > "$T/acked"
		run -0 awk 'NR == FNR { have[$0] = 1; next } !($0 in have) { print; bad = 1 } END { exit bad }' \
			"$L" "$T/acked"
	done
	echo "# $(count_lines "$T/acked") events acknowledged of $(count_lines "$L") in the ledger;" \
		"$torn torn lines repaired; $((SECONDS - start)) s" >&3
}
