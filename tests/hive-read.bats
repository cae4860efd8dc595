#!/usr/bin/env bats
# hive-read: meters through files and real pseudo-terminals, the simulator, intervals.
load helpers

setup() {
	setup_scratch
	D=$FIX/dsmr
}

# Serves the given shell commands on a pty linked at $T/tty (socat), in the background.
serve() {
	printf '#!/bin/sh\n%s\n' "$1" > "$T/serve-$2.sh"
	chmod +x "$T/serve-$2.sh"
	socat PTY,link="$T/tty",rawer EXEC:"$T/serve-$2.sh" &
}

wait_for_tty() {
	for _ in $(seq 50); do [ -e "$T/tty" ] && return 0; sleep 0.1; done
	return 1
}

@test "--help, --version, usage errors" {
	run -0 --separate-stderr hive-read --help
	assert_line --index 0 --partial "usage: hive-read [read]"
	run -0 hive-read --version
	assert_output --regexp '^hive-read [0-9]+\.[0-9]+\.[0-9]+$'
	run -2 --separate-stderr hive-read --protocol modbus-ascii x
	[[ "${stderr_lines[0]}" == "hive-read: --protocol 'modbus-ascii': want auto, dsmr, p1crypt or sml" ]]
	run -2 --separate-stderr hive-read sim --count 1 --raw
	[[ "${stderr_lines[0]}" == "hive-read: 'sim' does not take --raw" ]]
	run -2 --separate-stderr hive-read sim
	[[ "${stderr_lines[0]}" == *"sim needs --duration, --count or --once"* ]]
	run -2 --separate-stderr hive-read sim --count 2 --max-power 5000
	[[ "${stderr_lines[0]}" == *"go with --interval" ]]
	run -2 --separate-stderr hive-read sim --count 1 --interval 7m
	[[ "${stderr_lines[0]}" == *"--interval"* ]]
}

@test "DSMR 5.0 capture: every value as the meter sent it, exact" {
	run -0 --separate-stderr hive-read --meter "$EIP155_ADDR" "$D/dsmr50_iskra_mt382.p1"
	echo "$output" > "$T/r"
	run -0 jq -c '[.type, .protocol, .version, .meter, .meter_id, .time, .import_wh, .export_wh,
		.import_tariff_wh, .export_tariff_wh, .tariff, .power_w, .checked,
		(.phases | map([.voltage_v, .current_a, .power_import_w])), .mbus[0].value, .mbus[0].unit]' "$T/r"
	assert_output '["reading","dsmr","50","'"$EIP155_ADDR"'","K8EG004046395507","2017-01-02T18:20:02Z",6825,2444,[4426,2399],[2444,0],2,244,true,[[230,0.48,70],[230,0.44,32],[229,0.86,142]],0.107,"m3"]'
}

@test "every DSMR capture with a valid CRC is read; the one without its line is dropped" {
	for f in dsmr40_kaifa_arduino_dsmr_example.p1 dsmr42_kaifa.p1 dsmr50_iskra_mt382.p1; do
		run -0 --separate-stderr hive-read "$D/$f"
		[ "${#lines[@]}" -eq 1 ]
		[[ "${lines[0]}" == *'"checked":true'* ]]
	done
	run -1 --separate-stderr hive-read "$D/dsmr42_bad_crc_line_removed.p1"
	[ "${#lines[@]}" -eq 1 ]    # no reading: one bad_frame event for the audit trail
	[[ "${lines[0]}" == *'"detail":"byte offset 860: CRC mismatch","event":"bad_frame"'* ]]
	[[ "${stderr_lines[0]}" == "hive-read: dsmr frame dropped at byte offset "*": CRC mismatch" ]]
}

@test "--no-crc takes a frame whose CRC fails, marked unchecked" {
	run -0 --separate-stderr hive-read --no-crc "$D/dsmr42_bad_crc_line_removed.p1"
	[[ "$output" == *'"checked":false'* ]]
}

@test "DSMR 2.2 and 3.0 (no CRC) are read and marked unchecked" {
	run -0 --separate-stderr hive-read "$D/dsmr22_iskra_mt382.p1"
	[[ "$output" == *'"checked":false'* ]]
	[[ "$output" == *'"protocol":"dsmr"'* ]]
	run -0 --separate-stderr hive-read "$D/dsmr30_iskra_mt382.p1"
	[[ "$output" == *'"checked":false'* ]]
}

@test "glued and truncated telegrams are rejected, the good ones around them read" {
	good=$D/dsmr50_iskra_mt382.p1
	{ cat "$good"; head -c 300 "$good"; tail -c 500 "$good"; cat "$good"; head -c 200 "$good"; } > "$T/stream"
	run -1 --separate-stderr hive-read "$T/stream"
	[ "$(grep -c '"type":"reading"' <<< "$output")" -eq 2 ]
	[ "$(grep -c '"event":"bad_frame"' <<< "$output")" -ge 1 ]
	[[ "$stderr" == *"byte offset"* ]]
	# No value of a damaged frame: both readings are the capture's.
	run -0 sh -c "hive-read '$T/stream' 2>/dev/null | jq -c 'select(.type == \"reading\") | [.import_wh, .export_wh]' | sort -u"
	assert_output '[6825,2444]'
}

@test "--raw writes each frame for audits before its reading" {
	run -0 --separate-stderr hive-read --raw "$D/dsmr50_iskra_mt382.p1"
	[ "${#lines[@]}" -eq 2 ]
	run -0 sh -c "hive-read --raw '$D/dsmr50_iskra_mt382.p1' | head -n 1 | jq -j .data"
	cmp <(printf '%s' "$output") <(head -c "${#output}" "$D/dsmr50_iskra_mt382.p1")
}

@test "a real pty at 115200 8N1: reads --once and exits" {
	serve "sleep 0.3; cat '$D/dsmr50_iskra_mt382.p1'; sleep 5" a
	wait_for_tty
	run -0 --separate-stderr timeout 10 hive-read --once "$T/tty"
	[[ "$output" == *'"import_wh":6825'* ]]
	kill %1 2>/dev/null || true
}

@test "a meter that disappears and comes back: reconnect with backoff, events, no restart" {
	(
		socat PTY,link="$T/tty",rawer SYSTEM:"sleep 0.3; cat $D/dsmr50_iskra_mt382.p1; sleep 0.3"
		sleep 1
		printf '#!/bin/sh\nsleep 0.3\nprintf "noise\\r\\n"\ncat %s\nsleep 3\n' "$D/dsmr50_iskra_mt382.p1" > "$T/second.sh"
		chmod +x "$T/second.sh"
		socat PTY,link="$T/tty",rawer EXEC:"$T/second.sh"
	) &
	wait_for_tty
	run -0 --separate-stderr timeout 20 hive-read --count 2 "$T/tty"
	run -0 sh -c "printf '%s\n' \"\$1\" | jq -r .type" _ "$output"
	assert_output $'reading\nevent\nevent\nreading'
	[[ "$stderr" == *"reopened after"* ]]
	[ "${#stderr_lines[@]}" -le 8 ]
	wait || true
}

@test "a meter sending garbage for a while: bounded stderr, then its telegram is read" {
	head -c 300000 /dev/urandom | tr -d '/' > "$T/noise"
	serve "sleep 0.3; cat '$T/noise'; cat '$D/dsmr50_iskra_mt382.p1'; sleep 5" g
	wait_for_tty
	run -0 --separate-stderr timeout 15 hive-read --once "$T/tty"
	[[ "$output" == *'"import_wh":6825'* ]]
	[ "${#stderr_lines[@]}" -le 5 ]
	kill %1 2>/dev/null || true
}

@test "sim is seeded and reproducible, and marked simulated" {
	hive-read sim --seed 7 --count 50 --pv 3 > "$T/a"
	hive-read sim --seed 7 --count 50 --pv 3 > "$T/b"
	hive-read sim --seed 8 --count 50 --pv 3 > "$T/c"
	cmp "$T/a" "$T/b"
	! cmp -s "$T/a" "$T/c"
	run -0 jq -r 'select(.simulated != true or .protocol != "sim") | .type' "$T/a"
	assert_output ""
}

@test "intervals from sim add up exactly to the register difference" {
	hive-read sim --seed 3 --start 2026-06-21T00:00:00Z --duration 1d --step 7s --pv 4 --interval 15m > "$T/out"
	run -0 jq -s '[.[] | select(.type == "reading")] as $r |
		[.[] | select(.type == "interval")] as $i |
		[($i | length), ($i | map(.import_wh) | add) == ($r[-1].import_wh - $r[0].import_wh),
		 ($i | map(.export_wh) | add) == ($r[-1].export_wh - $r[0].export_wh),
		 ($i | map(select(.import_wh < 0 or .export_wh < 0)) | length)]' -c "$T/out"
	assert_output '[96,true,true,0]'
}

# The state-channel checks of one meter's interval records (whitepaper §2.5),
# given its readings as $r and its intervals as $i: prints one line per kind
# of finding, with how many. "nonce" counts records whose nonce is not
# start / seconds, "step" consecutive records whose nonces do not go up by
# one, "uncarried" complete records without their registers, "chain"
# consecutive records with registers whose difference is not the later
# one's energy, "on_reading" slots that end on a reading's time and
# "off_reading" those of them whose registers are not that reading's.
CHANNEL='
	($r | map({ key: .time, value: . }) | from_entries) as $at |
	"nonce \($i | map(select(.nonce != ((.start | fromdate) / .seconds))) | length)",
	"step \([range(1; $i | length) | select($i[.].nonce != $i[. - 1].nonce + 1)] | length)",
	"uncarried \($i | map(select(.complete and (has("register_import_wh") and has("register_export_wh") | not))) | length)",
	"chain \([range(1; $i | length) | $i[. - 1] as $p | $i[.] as $k
		| select($p.register_import_wh != null and $k.register_import_wh != null)
		| select($k.register_import_wh - $p.register_import_wh != $k.import_wh
		      or $k.register_export_wh - $p.register_export_wh != $k.export_wh)] | length)",
	([$i[] | $at[(.start | fromdate) + .seconds | todate] as $m | select($m != null)
		| [.register_import_wh, .register_export_wh] == [$m.import_wh, $m.export_wh]] as $on |
	 "on_reading \($on | length)", "off_reading \($on | map(select(. | not)) | length)")
'

@test "interval records carry the state channel: nonce = start / 900, registers chained by each slot's energy" {
	hive-read sim --seed 3 --start 2026-06-21T00:00:00Z --duration 1d --step 7s --pv 4 --interval 15m --no-readings > "$T/i"
	hive-read sim --seed 3 --start 2026-06-21T00:00:00Z --duration 1d --step 7s --pv 4 --interval 15m > "$T/all"
	# The readings change nothing in the intervals.
	grep '"type":"interval"' "$T/all" | cmp - "$T/i"
	run -0 jq -s -c 'map(select(.type == "interval")) | [length, .[0].nonce, .[-1].nonce, (map(.nonce == ((.start | fromdate) / 900)) | all)]' "$T/i"
	assert_output '[96,1980000,1980095,true]'      # 2026-06-21 is day 20625: 20625 × 96 = 1980000
	run -0 jq -s -r '[.[] | select(.type == "reading")] as $r | [.[] | select(.type == "interval")] as $i | '"$CHANNEL" "$T/all"
	# A boundary falls on a 7 s reading every 105 min: 01:45, 03:30, …, 22:45 (13 of them).
	assert_output $'nonce 0\nstep 0\nuncarried 0\nchain 0\non_reading 13\noff_reading 0'
	# The first slot starts on the first reading: its registers are the first reading's plus its energy.
	# The day's last slot is cut short by the end of the run: flagged end, without registers (not invented).
	run -0 jq -s -c '[.[] | select(.type == "reading")] as $r | [.[] | select(.type == "interval")] as $i |
		[$i[0].register_import_wh - $r[0].import_wh == $i[0].import_wh,
		 $i[0].register_export_wh - $r[0].export_wh == $i[0].export_wh,
		 $i[-2].register_import_wh <= $r[-1].import_wh, $i[-2].register_export_wh <= $r[-1].export_wh,
		 $i[-1].flags, ($i[-1] | has("register_import_wh") or has("register_export_wh")),
		 ($i[:-1] | map(has("register_import_wh") and has("register_export_wh")) | all)]' "$T/all"
	assert_output '[true,true,true,true,["end"],false,true]'
}

@test "DSMR: a slot ending on a telegram carries that telegram's registers" {
	# No fixture has two telegrams, so gen-dsmr makes a capture of the DSMR 5 one
	# (same lines, CRC recomputed): a telegram every minute from
	# 2026-10-24T23:00:00Z for 4 h, so every 15-min slot ends on a telegram.
	cc -O2 -o "$T/gen-dsmr" "$TOP/bench/gen-dsmr.c"
	"$T/gen-dsmr" "$D/dsmr50_iskra_mt382.p1" 240 1792882800 60 11 > "$T/g.p1"
	run -0 --separate-stderr hive-read --interval 15m --meter "$EIP155_ADDR" "$T/g.p1"
	printf '%s\n' "$output" > "$T/g"
	run -0 jq -s -r '[.[] | select(.type == "reading")] as $r | [.[] | select(.type == "interval")] as $i | '"$CHANNEL" "$T/g"
	# 16 slots: 15 end on a telegram (23:15 … 02:45), the last is flushed at 02:59.
	assert_output $'nonce 0\nstep 0\nuncarried 0\nchain 0\non_reading 15\noff_reading 0'
	run -0 jq -s -c 'map(select(.type == "interval")) | [length, .[0].nonce, (.[-1] | [.flags, has("register_import_wh")])]' "$T/g"
	assert_output '[16,1992092,[["end"],false]]'
	# A telegram every 7 s: a boundary meets one every 105 min (00:45, 02:30); between, apportioned.
	"$T/gen-dsmr" "$D/dsmr50_iskra_mt382.p1" 2058 1792882800 7 11 > "$T/g7.p1"
	run -0 --separate-stderr hive-read --interval 15m "$T/g7.p1"
	printf '%s\n' "$output" > "$T/g7"
	run -0 jq -s -r '[.[] | select(.type == "reading")] as $r | [.[] | select(.type == "interval")] as $i | '"$CHANNEL" "$T/g7"
	assert_output $'nonce 0\nstep 0\nuncarried 0\nchain 0\non_reading 2\noff_reading 0'
	# And the registers in between are the telegrams' own, apportioned: never outside the two around the slot's end.
	run -0 jq -s -c '[.[] | select(.type == "reading") | {t: (.time | fromdate), i: .import_wh, e: .export_wh}] as $r |
		[.[] | select(.type == "interval" and .register_import_wh != null) | (.start | fromdate + 900) as $b |
		 ($r | map(select(.t <= $b)) | last) as $lo | ($r | map(select(.t >= $b)) | first) as $hi |
		 select(.register_import_wh < $lo.i or .register_import_wh > $hi.i or
		        .register_export_wh < $lo.e or .register_export_wh > $hi.e)] | length' "$T/g7"
	assert_output 0
}

@test "interval records are canonical and sign without change" {
	hive-read sim --count 200 --step 10s --interval 15m --no-readings --meter "$EIP155_ADDR" > "$T/i"
	hive-sign sign --key "$FIX/eip155.key" < "$T/i" | sed 's/,"sig":"0x[0-9a-f]*"//' > "$T/s"
	cmp "$T/i" "$T/s"
	run -0 hive-sign verify --signer-field meter --require-sig < <(hive-sign sign --key "$FIX/eip155.key" < "$T/i")
}

@test "encrypted P1 without a key is a usage error; a wrong key drops every frame" {
	run -2 --separate-stderr hive-read --protocol p1crypt "$D/smarty_nexxtlab_encrypted.bin"
	[[ "${stderr_lines[0]}" == *"needs the key"* ]]
	echo 00000000000000000000000000000000 > "$T/k"
	run -1 --separate-stderr hive-read --protocol p1crypt --key-file "$T/k" "$D/smarty_nexxtlab_encrypted.bin"
	[ "$(grep -c '"type":"reading"' <<< "$output")" -eq 0 ]
	[[ "$output" == *'GCM tag does not verify'* ]]
	[[ "$stderr" == *"dropped"* ]]
}

@test "an unreadable capture file exits 3" {
	run -3 --separate-stderr hive-read "$T/none.p1"
	[[ "${stderr_lines[0]}" == "hive-read: cannot open '$T/none.p1': No such file or directory" ]]
}

@test "replay paces recorded records in scaled time and passes them untouched" {
	hive-read sim --count 5 --step 1m > "$T/rec"
	SECONDS=0
	run -0 --separate-stderr hive-read replay --speed 240 "$T/rec"
	assert_output "$(cat "$T/rec")"
	[ "$SECONDS" -ge 1 ] && [ "$SECONDS" -le 3 ]   # 4 minutes at 240x: 1 s
	run -0 hive-read replay --speed 0 "$T/rec"
	assert_output "$(cat "$T/rec")"
	printf '{"type":"x","time":"2026-01-01T00:00:00Z"}\nnot json\n' > "$T/bad"
	run -1 --separate-stderr hive-read replay "$T/bad"
	[[ "${stderr_lines[0]}" == "hive-read: '$T/bad' line 2: byte offset 0: invalid JSON: unexpected character" ]]
}

@test "d0: a capture with its BCC is read and checked; without one only with --no-bcc" {
	run -0 --separate-stderr hive-read d0 "$FIX/d0/ace3000_260_readout_bcc.bin"
	run -0 jq -c '[.protocol, .meter_id, .import_wh, .export_wh, .checked]' <<< "$output"
	assert_output '["d0","1234567890123456",285400,120100,true]'
	run -1 --separate-stderr hive-read d0 "$FIX/d0/ace3000_260_readout_no_bcc.txt"
	[[ "$stderr" == *"--no-bcc"* ]]
	run -0 --separate-stderr hive-read d0 --no-bcc "$FIX/d0/ace3000_260_readout_no_bcc.txt"
	[[ "$output" == *'"checked":false'* ]]
}

@test "d0 over a pty: sign-on, identification, option select, readout with BCC" {
	f=$FIX/d0/ace3000_260_readout_bcc.bin
	serve "IFS= read -r signon; printf '%s\n' \"\$signon\" > '$T/signon'; head -c 19 '$f'; IFS= read -r ack; printf '%s\n' \"\$ack\" | od -An -c > '$T/ack'; tail -c +20 '$f'; sleep 5" d0
	wait_for_tty
	run -0 --separate-stderr timeout 15 hive-read d0 --once "$T/tty"
	[[ "$output" == *'"import_wh":285400'* ]]
	[[ "$output" == *'"checked":true'* ]]
	run -0 cat "$T/signon"
	assert_output $'/?!\r'
	run -0 tr -s ' ' < "$T/ack"
	assert_output --partial '006 0 0 0 \r'
	kill %1 2>/dev/null || true
}

@test "csv: a real household's half-hourly average power becomes exact interval energy" {
	run -0 --separate-stderr hive-read csv --kind power --step 30m "$FIX/csv/emhass_load_3days.csv"
	[ "${#lines[@]}" -eq 144 ]
	run -0 jq -s -c '[.[0].energy_wh, .[0].start, .[0].seconds, (map(.energy_wh) | add)]' <<< "$output"
	assert_output '[112,"2024-10-01T00:00:00Z",1800,33871]'
	printf 'time,value\n2024-10-01T00:00:00Z,100\n2024-10-01T00:30:00Z,oops\n2024-10-01T01:00:00Z,100\n' > "$T/bad.csv"
	run -1 --separate-stderr hive-read csv --kind power --step 30m "$T/bad.csv"
	[ "${#lines[@]}" -eq 3 ]          # the two good rows, and a gap event for the bad one between
	[[ "${lines[1]}" == *'"event":"gap"'* ]]
	assert_equal "${stderr_lines[0]}" "hive-read: line 3: import: not a decimal number: 'oops'"
}

@test "a ninth tariff is refused, not silently left out of the total" {
	sed 's/^1-0:1.8.2(\(.*\))\r$/1-0:1.8.2(\1)\r\n1-0:1.8.9(000002.000*kWh)\r/' "$D/dsmr50_iskra_mt382.p1" > "$T/t9"
	grep -q '1.8.9' "$T/t9"
	run -1 --separate-stderr hive-read --no-crc "$T/t9"
	[ "$(grep -c '"type":"reading"' <<< "$output")" -eq 0 ]
	[[ "$stderr" == *"more tariff registers than hive-read keeps (8)"* ]]
}

# A free TCP port on 127.0.0.1 for a test meter.
free_port() { echo $((20000 + (BATS_TEST_NUMBER * 7 + $$) % 20000)); }

@test "modbus: an SDM120 over TCP, every mapped field exact" {
	port=$(free_port)
	"$TOP/build/tools/modbus-meter" "$port" 100 > "$T/server.out" &
	for _ in $(seq 30); do grep -q listening "$T/server.out" 2>/dev/null && break; sleep 0.1; done
	run -0 --separate-stderr timeout 10 hive-read modbus --map eastron-sdm120 --tcp "127.0.0.1:$port" --once --meter "$EIP155_ADDR"
	run -0 jq -c '[.protocol, .meter, .meter_id, .import_wh, .export_wh, .power_w, .phases[0].voltage_v, .phases[0].current_a, .checked]' <<< "$output"
	assert_output '["modbus","'"$EIP155_ADDR"'","12345678",1551374,1335694,-1919.7,230.1,1.234,true]'
	kill %1 2>/dev/null || true
}

@test "modbus: no meter answering gives events and bounded diagnostics, never a busy loop" {
	port=$(free_port)
	run --separate-stderr timeout 4 hive-read modbus --map eastron-sdm120 --tcp "127.0.0.1:$port" --once --timeout 100 --retries 0
	[ "$status" -eq 124 ]
	[ "${#lines[@]}" -ge 2 ] && [ "${#lines[@]}" -le 6 ]     # backoff 0.5, 1, 2 s…
	[[ "${lines[0]}" == *'"event":"bad_read"'* ]]
	[ "${#stderr_lines[@]}" -le 4 ]
	run -2 --separate-stderr hive-read modbus --map eastron-sdm120 --tcp 127.0.0.1:1 --line '9600 8N1'
	[[ "${stderr_lines[0]}" == *"does not go with --tcp" ]]
	run -3 --separate-stderr hive-read modbus --map no-such-meter --tcp 127.0.0.1:1
	[[ "${stderr_lines[0]}" == "hive-read: map 'no-such-meter': "* ]]
}

@test "encrypted P1 keeps decrypting after the device is reopened" {
	# The key published with the frame (NEXXTLAB go-smarty-reader's test, see fixtures/SOURCES.md).
	echo D491470F47126332B07D1923B3504188 > "$T/k"
	f=$D/smarty_nexxtlab_encrypted.bin
	(
		socat PTY,link="$T/tty",rawer SYSTEM:"sleep 0.3; cat $f; sleep 0.3"
		sleep 1
		socat PTY,link="$T/tty",rawer SYSTEM:"sleep 0.3; cat $f; sleep 3"
	) &
	wait_for_tty
	run -0 --separate-stderr timeout 20 hive-read --protocol p1crypt --key-file "$T/k" --count 2 "$T/tty"
	[ "$(grep -c '"type":"reading"' <<< "$output")" -eq 2 ]
	wait || true
}
