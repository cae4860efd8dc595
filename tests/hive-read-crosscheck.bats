#!/usr/bin/env bats
# hive-read against an independent parser: smartmeter-obis 4.0.0 (npm), driven
# on the same captures by tests/node/obis-read.js, value by value. Where the
# two legitimately differ (smartmeter-obis checks no DSMR CRC and no SML file
# CRC, decodes no hex ids, interprets no timestamps; hive-read leaves out
# registers a reading record does not carry), the difference itself is
# asserted. scripts/deps installs smartmeter-obis into tests/node/node_modules.
load helpers

setup() {
	setup_scratch
	need_reference smartmeter-obis
	D=$FIX/dsmr
	S=$FIX/sml
}

obis() { node "$NODE_DIR/obis-read.js" "$@"; }

# A DSMR capture's CRC against CRC-16/ARC computed here (neither parser's
# code): prints valid, invalid, or none (DSMR 2.2 and 3.0 send none).
dsmr_crc() {
	node -e '
		const b = require("fs").readFileSync(process.argv[1]);
		const s = b.indexOf(0x2f), e = b.indexOf(0x21, s);
		let c = 0;
		for (let i = s; i <= e; i++) {
			c ^= b[i];
			for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
		}
		const sent = b.subarray(e + 1, e + 5).toString("latin1");
		console.log(!/^[0-9A-F]{4}$/.test(sent) ? "none" : parseInt(sent, 16) === c ? "valid" : "invalid");
	' "$1"
}

hex_to_file() { node -e 'process.stdout.write(Buffer.from(process.argv[1], "hex"))' "$1" > "$2"; }

# Compares hive-read's readings (file $1) with smartmeter-obis's (file $2),
# in order, field by field; prints one line per difference not explained.
COMPARE='
def hexenc: explode | map((. / 16 | floor), (. % 16)) | map("0123456789ABCDEF"[.:.+1]) | join("");
# hive-read decodes a DSMR id written in hex when that gives printable text
# ("4B3845…" is K8E…); smartmeter-obis passes the hex on. Either the same
# text, or hive-read'"'"'s text is exactly what that hex encodes. An empty id
# ("0-2:96.1.0()") is left out by hive-read and passed on as "" by smartmeter-obis.
def same_id($h; $o): ($h // "") as $a | ($o // "") as $b | $a == $b or ($a | hexenc) == ($b | ascii_upcase);
# smartmeter-obis does not interpret DSMR timestamps ("170102192002W"): hive-read'"'"'s
# UTC time, written back as Dutch local time (W: UTC+1, S: UTC+2), must be that text.
def dsmr_local($flag): fromdateiso8601 + (if $flag == "S" then 7200 else 3600 end) | strftime("%y%m%d%H%M%S") + $flag;
def pos: if . > 0 then . else 0 end;
# Registers smartmeter-obis reads that a reading record does not carry, on purpose.
def not_carried:
	test("^0-0:96\\.13\\.[0-9]+$")            # text messages
	or test("^0-0:96\\.3\\.10$")              # breaker (switch) position
	or test("^0-0:17\\.0\\.0$")               # the contract'"'"'s limiter threshold
	or test("^0-0:96\\.7\\.(9|21)$")          # power failure counters
	or test("^1-0:99\\.97\\.0$")              # power failure event log
	or test("^1-0:[357]2\\.3[26]\\.0$")       # voltage sag and swell counters
	or test("^0-[1-4]:24\\.4\\.0$")           # M-Bus valve position
	or test("^1-0:[34]\\.[78]\\.0$")          # reactive power and energy (kvar, kvarh): records carry active only
	or test("^1-0:15\\.7\\.0$")               # |A+| + |A-| (SML): no direction, so neither import nor export
	or test("^129-129:199\\.130\\.5$");       # SML public key
def cmp($p; $h; $o):
	def bad($f; $a; $b): "\($p)\($f): hive-read \($a | tojson), smartmeter-obis \($b | tojson)";
	# Import and export power of the meter or of one phase. DSMR sends them
	# apart (1.7.0/2.7.0, 21.7.0/22.7.0…); SML sends one signed power
	# (16.7.0, 36.7.0…), which hive-read splits by its sign and
	# smartmeter-obis passes on.
	def split($w; $hh; $oo):
		if ($oo | has("power_import_w") or has("power_export_w")) then
			(["power_import_w", "power_export_w"][] as $f | select($hh[$f] != $oo[$f]) | bad($w + $f; $hh[$f]; $oo[$f]))
		elif $oo.power_w != null then
			select([$hh.power_import_w, $hh.power_export_w] != [($oo.power_w | pos), ((0 - $oo.power_w) | pos)])
			| bad($w + "power_import_w/power_export_w"; [$hh.power_import_w, $hh.power_export_w]; $oo.power_w)
		else
			select($hh.power_import_w != null or $hh.power_export_w != null)
			| bad($w + "power_import_w/power_export_w"; [$hh.power_import_w, $hh.power_export_w]; null)
		end;
	(["import_wh", "export_wh", "import_tariff_wh", "export_tariff_wh", "tariff", "version", "power_w"][] as $f
		| select($h[$f] != $o[$f]) | bad($f; $h[$f]; $o[$f])),
	split(""; $h; $o),
	(if ($h.phases | length) != ($o.phases | length) then bad("phases"; $h.phases; $o.phases)
	 else range($h.phases | length) as $k | $h.phases[$k] as $hp | $o.phases[$k] as $op
		| (["phase", "voltage_v", "current_a"][] as $f | select($hp[$f] != $op[$f]) | bad("phases[\($k)].\($f)"; $hp[$f]; $op[$f])),
		  split("phases[\($k)]."; $hp; $op),
		  ($hp | keys - ["phase", "voltage_v", "current_a", "power_import_w", "power_export_w"] | select(length > 0) | bad("phases[\($k)] fields not compared"; .; null))
	 end),
	(if ($h.mbus | length) != ($o.mbus | length) then bad("mbus"; $h.mbus; $o.mbus)
	 else range($h.mbus | length) as $k | $h.mbus[$k] as $hm | $o.mbus[$k] as $om
		| (["channel", "device_type", "unit", "value"][] as $f | select($hm[$f] != $om[$f]) | bad("mbus[\($k)].\($f)"; $hm[$f]; $om[$f])),
		  (select(same_id($hm.id; $om.id) | not) | bad("mbus[\($k)].id"; $hm.id; $om.id)),
		  (if $om.time == null then select($hm.time != null) | bad("mbus[\($k)].time"; $hm.time; null)
		   elif $hm.time == null or ($hm.time | dsmr_local($om.time[-1:])) != $om.time then bad("mbus[\($k)].time"; $hm.time; $om.time)
		   else empty end),
		  ($hm | keys - ["channel", "device_type", "id", "time", "unit", "value"] | select(length > 0) | bad("mbus[\($k)] fields not compared"; .; null))
	 end),
	(select(same_id($h.meter_id; $o.meter_id) | not) | bad("meter_id"; $h.meter_id; $o.meter_id)),
	(if $o.time == null then select($h.time != null) | bad("time"; $h.time; null)
	 elif $h.time == null or ($h.time | dsmr_local($o.time[-1:])) != $o.time then bad("time"; $h.time; $o.time)
	 else empty end),
	(if $o.model != null then select($h.model != $o.model) | bad("model"; $h.model; $o.model)
	 elif $o.manufacturer != null then
		# D0Protocol cuts the identification line into the manufacturer, the
		# baud rate character, mode E'"'"'s "\2" and the rest; hive-read keeps it whole.
		select(($h.model // "" | startswith($o.manufacturer) and endswith($o.identification)) | not)
		| bad("model"; $h.model; [$o.manufacturer, $o.identification])
	 else select($h.model != null) | bad("model"; $h.model; null) end),
	($h | keys - ["checked", "host_time", "meter", "protocol", "type", "import_wh", "export_wh", "import_tariff_wh",
		"export_tariff_wh", "tariff", "version", "power_w", "power_import_w", "power_export_w", "phases", "mbus",
		"meter_id", "time", "model"] | select(length > 0) | "\($p)hive-read fields not compared: \(.)"),
	($o | keys - ["import_wh", "export_wh", "import_tariff_wh", "export_tariff_wh", "tariff", "version", "power_w",
		"power_import_w", "power_export_w", "phases", "mbus", "meter_id", "time", "model", "manufacturer",
		"identification", "registers", "ignored"] | select(length > 0) | "\($p)smartmeter-obis fields not compared: \(.)"),
	(($o.ignored // [])[] | sub("\\*255$"; "") | select(not_carried | not)
		| "\($p)register \(.): read by smartmeter-obis, neither compared nor known to be left out of readings");
[$h[] | select(.type == "reading")] as $h
| if ($h | length) != ($o | length) then "hive-read read \($h | length) readings, smartmeter-obis \($o | length)" else empty end,
  (range([$h, $o] | map(length) | min) as $i | cmp("reading \($i + 1): "; $h[$i]; $o[$i]))
'

compare() {
	run -0 jq -nr --slurpfile h "$1" --slurpfile o "$2" "$COMPARE"
	assert_output ""
}

@test "every DSMR capture with a valid CRC (and 2.2/3.0, which have none): the same values" {
	valid=0
	for f in "$D"/*.p1; do
		crc=$(dsmr_crc "$f")
		[ "$crc" != invalid ] || continue      # the next test
		run -0 --separate-stderr hive-read "$f"
		printf '%s\n' "$output" > "$T/h"
		run -0 --separate-stderr obis dsmr "$f"
		printf '%s\n' "$output" > "$T/o"
		echo "# $f ($crc)"
		compare "$T/h" "$T/o"
		# smartmeter-obis checks no CRC; hive-read says whether it checked one.
		run -0 jq -r .checked "$T/h"
		if [ "$crc" = valid ]; then assert_output true; valid=$((valid + 1)); else assert_output false; fi
	done
	[ "$valid" -ge 3 ]
}

@test "a telegram whose CRC fails: smartmeter-obis reads it, hive-read drops it (reads it unchecked with --no-crc)" {
	n=0
	for f in "$D"/*.p1; do
		[ "$(dsmr_crc "$f")" = invalid ] || continue
		n=$((n + 1))
		run -0 --separate-stderr obis dsmr "$f"
		[ "${#lines[@]}" -eq 1 ]               # smartmeter-obis does not check DSMR CRCs
		printf '%s\n' "$output" > "$T/o"
		run -1 --separate-stderr hive-read "$f"
		[ "$(grep -c '"type":"reading"' <<< "$output")" -eq 0 ]   # only a bad_frame event
		[[ "${stderr_lines[0]}" == *": CRC mismatch" ]]
		# Asked to skip the check, hive-read reads what smartmeter-obis reads, marked unchecked.
		run -0 --separate-stderr hive-read --no-crc "$f"
		printf '%s\n' "$output" > "$T/h"
		compare "$T/h" "$T/o"
		run -0 jq -r .checked "$T/h"
		assert_output false
	done
	[ "$n" -ge 1 ]
	# The fixture lacks its 1-0:1.8.1 line: smartmeter-obis has no tariff 1 import, and so a total too low.
	run -0 jq -c '[.import_tariff_wh, .import_wh]' "$T/o"
	assert_output '[[null,1435706],1435706]'
}

@test "a changed digit under the old CRC: smartmeter-obis passes the wrong value on, hive-read drops the telegram" {
	sed 's/^1-0:1\.8\.1(000004\.426\*kWh)/1-0:1.8.1(000005.426*kWh)/' "$D/dsmr50_iskra_mt382.p1" > "$T/t.p1"
	! cmp -s "$T/t.p1" "$D/dsmr50_iskra_mt382.p1"
	run -0 --separate-stderr obis dsmr "$T/t.p1"
	run -0 jq -c '[.import_tariff_wh[0], .import_wh]' <<< "$output"
	assert_output '[5426,7825]'
	run -1 --separate-stderr hive-read "$T/t.p1"
	[ "$(grep -c '"type":"reading"' <<< "$output")" -eq 0 ]   # only a bad_frame event
	[[ "${stderr_lines[0]}" == *": CRC mismatch" ]]
}

@test "encrypted P1 (Smarty, its published key): the same values after decryption" {
	# The NEXXTLAB go-smarty-reader frame and key (tests/unit/test_p1crypt.c).
	echo D491470F47126332B07D1923B3504188 > "$T/k"
	run -0 --separate-stderr hive-read --protocol p1crypt --key-file "$T/k" "$D/smarty_nexxtlab_encrypted.bin"
	printf '%s\n' "$output" > "$T/h"
	run -0 --separate-stderr obis p1crypt "$D/smarty_nexxtlab_encrypted.bin" --key-file "$T/k"
	printf '%s\n' "$output" > "$T/o"
	compare "$T/h" "$T/o"
	# Smarty has no 96.1.1: both take 0-0:42.0.0, hive-read decoded ("SAG…"), smartmeter-obis in hex.
	run -0 jq -r .meter_id "$T/h" "$T/o"
	assert_output $'SAG1030700114004\n53414731303330373030313134303034'
	# Its reactive registers (3.8.0, 4.8.0 kvarh; 3.7.0, 4.7.0 kvar) are read by smartmeter-obis only.
	run -0 jq -c '[.ignored[] | select(test("^1-0:[34]\\."))]' "$T/o"
	assert_output '["1-0:3.7.0","1-0:3.8.0","1-0:4.7.0","1-0:4.8.0"]'
}

@test "SML captures: the same values" {
	set -- "$S"/*.bin
	[ -e "$1" ] || skip "no SML captures in tests/fixtures/sml"
	for f in "$@"; do
		echo "# $f"
		run --separate-stderr hive-read --protocol sml "$f"
		printf '%s\n' "$output" > "$T/h"
		hstatus=$status herr=$stderr
		run -0 --separate-stderr obis sml "$f"
		printf '%s\n' "$output" > "$T/o"
		compare "$T/h" "$T/o"
		# A capture cut off in its last frame: hive-read drops that frame (exit 1),
		# smartmeter-obis's transport would wait for the rest of it.
		if [ "$hstatus" -ne 0 ]; then
			[ "$hstatus" -eq 1 ]
			[[ "$herr" == *"frame cut short by the end of input"* ]]
			[[ "$stderr" == *"bytes at the end of input are no complete message"* ]]
		fi
	done
	# A register only smartmeter-obis reads: the DNT meter sends its power as
	# 15.7.0 (|A+| + |A-|, no direction); hive-read, which records import and
	# export power apart, writes no power for it rather than guess the direction.
	for f in "$@"; do
		obis sml "$f" 2>/dev/null > "$T/o"
		if jq -e 'select(.registers["1-0:15.7.0*255"] != null and .registers["1-0:16.7.0*255"] == null)' "$T/o" > /dev/null; then
			run -0 sh -c "hive-read --protocol sml '$f' 2>/dev/null | jq -c '[.power_w, .power_import_w, .power_export_w]' | sort -u"
			assert_output '[null,null,null]'
		fi
	done
}

@test "an SML file with a broken file CRC: smartmeter-obis reads it (it checks message CRCs only), hive-read drops it" {
	set -- "$S"/*.bin
	[ -e "$1" ] || skip "no SML captures in tests/fixtures/sml"
	hex=$(hive-read --raw --protocol sml "$1" 2>/dev/null | jq -r 'select(.type == "frame" and .accepted) | .hex' | head -n 1)
	[ -n "$hex" ]
	hex_to_file "$hex" "$T/good.bin"
	# The file ends 1b1b1b1b 1a NN and its CRC16/X-25, low byte first: flip a bit of its high byte.
	last=${hex: -2}
	hex_to_file "${hex%??}$(printf '%02x' $((0x$last ^ 0x01)))" "$T/bad.bin"
	run -0 --separate-stderr obis sml "$T/good.bin"
	good=$output
	run -0 --separate-stderr obis sml "$T/bad.bin"
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "$good" ]
	run -1 --separate-stderr hive-read --protocol sml "$T/bad.bin"
	[ "$(grep -c '"type":"reading"' <<< "$output")" -eq 0 ]   # only a bad_frame event
	[[ "${stderr_lines[0]}" == *"crc mismatch"* ]]
}

@test "1,000 generated telegrams (values, timestamps, tariffs, a DST change): the same values, every one" {
	cc -O2 -o "$T/gen-dsmr" "$TOP/bench/gen-dsmr.c"
	# From 2026-10-24T23:00:00Z every 2 minutes: summer time ends at 01:00Z on
	# Sunday the 25th, the normal tariff starts at 07:00 local on Monday the 26th.
	seed=$RANDOM
	echo "# gen-dsmr seed $seed"
	"$T/gen-dsmr" "$D/dsmr50_iskra_mt382.p1" 1000 1792882800 120 "$seed" > "$T/g.p1"
	run -0 --separate-stderr hive-read "$T/g.p1"
	printf '%s\n' "$output" > "$T/h"
	[ "${#lines[@]}" -eq 1000 ]
	run -0 --separate-stderr obis dsmr "$T/g.p1"
	printf '%s\n' "$output" > "$T/o"
	[ "${#lines[@]}" -eq 1000 ]
	compare "$T/h" "$T/o"
	# Every CRC was checked, and the capture does cover what it should.
	run -0 jq -s -c '[(map(.checked) | unique), (map(.time) | unique | length), (map(.tariff) | unique),
		(map(.power_w < 0) | unique), (map(.import_wh) | unique | length > 100), (map(.export_wh) | unique | length > 100)]' "$T/h"
	assert_output '[[true],1000,[1,2],[false,true],true,true]'
	run -0 jq -r '.time[-1:]' "$T/o"
	[[ "$output" == *S* && "$output" == *W* ]]
}
