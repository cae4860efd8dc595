#!/usr/bin/env bats
# The Queen and 20 Workers over a real mosquitto broker on 127.0.0.1, set up
# as examples/mqtt says: TLS with the hive's own CA (make-certs.sh), a
# certificate per client whose name is its user name, and the ACL that lets
# each Worker publish only its own bids and read only the Queen's signal.
# Bids are signed with the meters' keys and the Queen requires that.
load market

MQTT=$TOP/examples/mqtt
N=20

setup_file() {
	command -v mosquitto_sub > /dev/null && { command -v mosquitto > /dev/null || [ -x /usr/sbin/mosquitto ]; } || return 0
	local K=$BATS_FILE_TMPDIR i
	for i in $(seq 0 $((N - 1))); do
		hive-sign keygen --key "$K/w$i.key" > "$K/w$i.addr"
	done
	hive-sign keygen --key "$K/queen.key" > "$K/queen.addr"
	sh "$MQTT/make-certs.sh" "$K/tls" localhost $(cat "$K"/w*.addr) > /dev/null
	# A random hive of N Workers (tests/tools/hiveref.py), on the keys' addresses.
	/usr/bin/python3 "$TOP/tests/tools/hiveref.py" gen "$K/h" --seed 11 --workers $N --slots 96
	jq -r .meter "$K/h/forecasts.ndjson" > "$K/gen.addr"
	paste -d ' ' "$K/gen.addr" <(cat "$K"/w{0..19}.addr) | while read -r from to; do
		sed -i "s/$from/$to/g" "$K/h/forecasts.ndjson" "$K"/h/assets-*.ndjson
	done
	i=0
	while read -r line; do
		printf '%s\n' "$line" > "$K/fc$i.ndjson"
		w=$(jq -r .meter <<< "$line")
		a=$(grep -l "\"worker\":\"$w\"" "$K"/h/assets-*.ndjson || true)
		if [ -n "$a" ]; then cp "$a" "$K/assets$i.ndjson"; else echo "{\"type\":\"assets\",\"worker\":\"$w\"}" > "$K/assets$i.ndjson"; fi
		i=$((i + 1))
	done < "$K/h/forecasts.ndjson"
}

setup() {
	setup_scratch
	K=$BATS_FILE_TMPDIR
	command -v mosquitto_sub > /dev/null || skip_or_fail "mosquitto-clients is not installed (scripts/deps check)"
	BROKER=$(command -v mosquitto || echo /usr/sbin/mosquitto)
	[ -x "$BROKER" ] || skip_or_fail "mosquitto is not installed (scripts/deps check)"
	QUEEN=$(< "$K/queen.addr")
	PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	sed -e "s|/etc/hive/mqtt|$K/tls|g" -e "s|^listener 8883|listener $PORT 127.0.0.1|" "$MQTT/mosquitto.conf" > "$T/mosquitto.conf"
	# As root, mosquitto would become the user "mosquitto", who cannot read the test's 0700 directory.
	echo "user $(id -un)" >> "$T/mosquitto.conf"
	cp "$MQTT/acl" "$K/tls/acl"
	spawn "$BROKER" -c "$T/mosquitto.conf" > "$T/broker.log" 2>&1
	for _ in $(seq 50); do
		as queen -t probe -E -W 1 2> /dev/null && return 0
		sleep 0.1
	done
	fail "the broker did not start: $(cat "$T/broker.log")"
}

# spawn COMMAND...: runs it in the background as a process group of its own (setsid), noted in
# $T/groups, and without bats' fd 3; teardown ends every group, so that nothing outlives the test or
# holds bats' output open (a fresh Debian has no pkill).
spawn() {
	setsid "$@" 3>&- &
	echo $! >> "$T/groups"
}

teardown() {
	[ -f "$T/groups" ] || return 0
	while read -r g; do
		kill -- -"$g" 2> /dev/null || true
	done < "$T/groups"
}

skip_or_fail() { [ -z "${CI:-}" ] || fail "$1"; skip "$1"; }

# as NAME ARGS...: mosquitto_sub as the client NAME (queen or a Worker's address); pub_as likewise.
tls() { echo -h localhost -p "$PORT" --cafile "$K/tls/ca.crt" --cert "$K/tls/$1.crt" --key "$K/tls/$1.key" -q 1; }
as() { local n=$1; shift; mosquitto_sub $(tls "$n") "$@"; }
pub_as() { local n=$1; shift; mosquitto_pub $(tls "$n") "$@"; }

# heard NAME TOPIC: what NAME receives on TOPIC within 2 s, while $PUB runs.
heard() {
	as "$1" -t "$2" -W 2 -C 1 > "$T/heard" 2> /dev/null 3>&- &
	local sub=$!
	sleep 0.5
	eval "$PUB"
	wait "$sub" || true
	cat "$T/heard"
}

@test "mqtt: only clients with the hive CA's certificates connect" {
	run mosquitto_sub -h localhost -p "$PORT" --cafile "$K/tls/ca.crt" -t probe -E -W 2
	[ "$status" -ne 0 ]
	run mosquitto_sub -h localhost -p "$PORT" -t probe -E -W 2
	[ "$status" -ne 0 ]
	run as queen -t probe -E -W 2
	assert_success
}

@test "mqtt: a Worker publishes only its own bids and reads only the signal; the Queen reads the bids" {
	A=$(< "$K/w0.addr") B=$(< "$K/w1.addr")
	PUB="pub_as $A -t hive/1/bids/$A -m own"
	[ "$(heard queen "hive/1/bids/+")" = own ]
	PUB="pub_as $A -t hive/1/bids/$B -m forged"
	[ "$(heard queen "hive/1/bids/+")" = "" ]
	PUB="pub_as $A -t hive/1/signals -m fake"
	[ "$(heard "$B" hive/1/signals)" = "" ]
	PUB="pub_as queen -t hive/1/signals -m real"
	[ "$(heard "$B" hive/1/signals)" = real ]
	# Another Worker's bids cannot be read.
	PUB="pub_as $A -t hive/1/bids/$A -m mine"
	[ "$(heard "$B" "hive/1/bids/+")" = "" ]
}

@test "mqtt: 20 Worker processes and the Queen coordinate over TLS, one Worker dropping out mid-run" {
	export_hive "$T/export.ndjson" $(cat "$K"/w*.addr)
	TARIFF=$K/h/tariff.ndjson
	spawn mosquitto_sub $(tls queen) -t hive/1/signals > "$T/signals.ndjson" 2> /dev/null
	spawn sh "$MQTT/queen.sh" "$K/tls" localhost "$PORT" "$T/export.ndjson" "$TARIFF" "$T/bids.ndjson" "$K/queen.key" \
		--timeout 2s --rounds 1 --max-iter 400 > /dev/null 2> "$T/queen.err"
	sleep 0.5
	for i in $(seq 0 $((N - 2))); do
		spawn sh "$MQTT/worker.sh" "$K/tls" localhost "$PORT" 1 "$(< "$K/w$i.addr")" "$K/assets$i.ndjson" \
			"$TARIFF" "$K/w$i.key" "$K/fc$i.ndjson" "$QUEEN" > /dev/null 2> "$T/w$i.err"
	done
	# The last Worker answers five signals, then its process ends (sed -u: each signal passed on as it comes).
	last=$((N - 1)) addr=$(< "$K/w$last.addr")
	spawn bash -c "mosquitto_sub $(tls "$addr") -t hive/1/signals | sed -u 5q |
		hive-bid --assets $K/assets$last.ndjson --tariff $TARIFF --key $K/w$last.key --queen $QUEEN $K/fc$last.ndjson - |
		mosquitto_pub $(tls "$addr") -l -t hive/1/bids/$addr" > /dev/null 2> "$T/w$last.err"
	for _ in $(seq 600); do
		[ -s "$T/bids.ndjson" ] && [ "$(count_lines "$T/bids.ndjson")" -ge $N ] && break
		sleep 0.2
	done
	sleep 0.5
	[ "$(count_lines "$T/bids.ndjson")" = $N ] || fail "final bids: $(count_lines "$T/bids.ndjson"); queen: $(cat "$T/queen.err")"
	# Every final bid is signed by its own Worker, every Worker has one.
	for i in $(seq 0 $((N - 1))); do
		w=$(< "$K/w$i.addr")
		grep "\"worker\":\"$w\"" "$T/bids.ndjson" > "$T/one.ndjson"
		[ "$(count_lines "$T/one.ndjson")" = 1 ]
		hive-sign verify --signer "$w" "$T/one.ndjson" > /dev/null
	done
	# The round ended (a Worker frozen at a plan can leave the hive's aggregate at a price kink that
	# the dual climbs a residual at a time: converging may take thousands of rounds, hence --max-iter).
	# The Worker that left kept its plan of iteration 5, the others' last plans are of the last iteration,
	# the primal residual fell a thousandfold, and the Queen waited for the Worker that left once.
	run jq -r 'select(.status != "iterate") | .status' "$T/signals.ndjson"
	[[ "$output" == converged || "$output" == stopped ]]
	[ "$(grep "\"worker\":\"$addr\"" "$T/bids.ndjson" | jq .iteration)" = 5 ]
	last_it=$(jq -s 'last | .iteration' "$T/signals.ndjson")
	[ "$(grep -v "\"worker\":\"$addr\"" "$T/bids.ndjson" | jq -s "map(.iteration == $last_it) | all")" = true ]
	jq -s -e '(last | .r) * 1000 < (first | .r)' "$T/signals.ndjson" > /dev/null
	[ "$(grep -c "closed at its timeout" "$T/queen.err")" = 1 ]
	! grep -q "refused\|stale" "$T/queen.err"
	# The signals are the Queen's, signed by the hive's owner, and every Worker took them as hers.
	hive-sign verify --signer "$QUEEN" --require-sig "$T/signals.ndjson" > /dev/null
	! grep -q "refused" "$T"/w*.err
}
