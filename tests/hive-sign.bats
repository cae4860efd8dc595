#!/usr/bin/env bats
# hive-sign: keys, record signatures, messages and typed data.
load helpers

setup() { setup_scratch; }

records() {
	cat <<'R'
{"type":"reading","meter":"0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F","ts":"2026-11-24T10:15:00Z","energy_wh":1200,"power_w":350.5}
{"type":"note","text":"passes through"}
{"type":"reading","meter":"0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F","ts":"2026-11-24T10:30:00Z","energy_wh":110,"power_w":1e3}
R
}

# --- conventions ------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
	run -0 --separate-stderr hive-sign --help
	assert_line --index 0 --partial "usage: hive-sign keygen"
	assert_output --partial "hive-sign verify"
	[ -z "$stderr" ]
}

@test "--version prints the version" {
	run -0 hive-sign --version
	assert_output --regexp '^hive-sign [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "usage errors exit 2 with a diagnostic naming the program" {
	run -2 --separate-stderr hive-sign
	assert_equal "${stderr_lines[0]}" "hive-sign: missing command"
	run -2 --separate-stderr hive-sign frobnicate
	assert_equal "${stderr_lines[0]}" "hive-sign: unknown command 'frobnicate'"
	run -2 --separate-stderr hive-sign verify --key "$FIX/eip155.key"
	assert_equal "${stderr_lines[0]}" "hive-sign: 'verify' does not take --key"
	run -2 --separate-stderr hive-sign sign
	assert_equal "${stderr_lines[0]}" "hive-sign: 'sign' needs one of --key FILE or --keystore FILE"
	run -2 --separate-stderr hive-sign verify --signer 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD
	assert_equal "${stderr_lines[0]}" "hive-sign: --signer '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD': address fails its EIP-55 checksum"
}

@test "verify without a signer requirement is refused" {
	run -2 --separate-stderr hive-sign verify
	[[ "${stderr_lines[0]}" == *"proves nothing" ]]
}

# --- keys -------------------------------------------------------------------

@test "address of a raw key file is its EIP-55 address" {
	run -0 hive-sign address --key "$FIX/eip155.key"
	assert_output "$EIP155_ADDR"
}

@test "keygen --key writes a 0600 key file and prints its address" {
	run -0 --separate-stderr hive-sign keygen --key "$T/k.hex"
	assert_output --regexp '^0x[0-9a-fA-F]{40}$'
	[ "$(stat -c %a "$T/k.hex")" = 600 ]
	grep -Eq '^[0-9a-f]{64}$' "$T/k.hex"
	run -0 hive-sign address --key "$T/k.hex"
	assert_output "${lines[0]}"
}

@test "keygen never overwrites an existing file" {
	echo keep > "$T/k.hex"
	run -5 --separate-stderr hive-sign keygen --key "$T/k.hex"
	assert_output ""
	[[ "$stderr" == *"already exists"* ]]
	[ "$(cat "$T/k.hex")" = keep ]
	run -0 find "$T" -name 'k.hex.tmp-*'
	assert_output ""   # no temporary file left behind
}

@test "keygen --keystore with a password file; address opens it; wrong password exits 4" {
	(umask 077; printf 'correct horse\n' > "$T/pw")
	run -0 --separate-stderr hive-sign keygen --keystore "$T/ks.json" --scrypt-n 1024 --password-file "$T/pw"
	addr=$output
	[ "$(stat -c %a "$T/ks.json")" = 600 ]
	run -0 jq -r '.version, .crypto.kdf, .crypto.cipher, .crypto.kdfparams.n' "$T/ks.json"
	assert_output $'3\nscrypt\naes-128-ctr\n1024'
	run -0 hive-sign address --keystore "$T/ks.json" --password-file "$T/pw"
	assert_output "$addr"
	HIVE_PASSWORD='correct horse' run -0 hive-sign address --keystore "$T/ks.json"
	assert_output "$addr"
	HIVE_PASSWORD=wrong run -4 --separate-stderr hive-sign address --keystore "$T/ks.json"
	[[ "$stderr" == *"wrong password"* ]]
	assert_output ""
}

@test "keygen --keystore uses the documented default scrypt cost" {
	HIVE_PASSWORD=pw run -0 hive-sign keygen --keystore "$T/ks.json"
	run -0 jq -r '.crypto.kdfparams.n' "$T/ks.json"
	assert_output 65536
}

@test "no password source and no terminal is a usage error; an empty new password exits 4" {
	HIVE_PASSWORD=pw hive-sign keygen --keystore "$T/ks.json" --scrypt-n 1024
	run -2 --separate-stderr setsid hive-sign address --keystore "$T/ks.json" < /dev/null
	assert_equal "$stderr" "hive-sign: no password: give --password-file, set HIVE_PASSWORD or run on a terminal"
	: > "$T/empty"; chmod 600 "$T/empty"
	run -4 --separate-stderr hive-sign keygen --keystore "$T/new.json" --password-file "$T/empty"
	[[ "$stderr" == *"empty password refused"* ]]
	[ ! -e "$T/new.json" ]
}

@test "a password file readable by others draws a warning" {
	HIVE_PASSWORD=pw hive-sign keygen --keystore "$T/ks.json" --scrypt-n 1024 > "$T/addr"
	printf 'pw\n' > "$T/pw"; chmod 644 "$T/pw"
	run -0 --separate-stderr hive-sign address --keystore "$T/ks.json" --password-file "$T/pw"
	assert_output "$(cat "$T/addr")"
	[[ "$stderr" == *"warning: password file '$T/pw' is readable by group or others" ]]
}

@test "--scrypt-n must be a power of two in range" {
	run -2 hive-sign keygen --keystore "$T/ks.json" --scrypt-n 1000
	run -2 hive-sign keygen --keystore "$T/ks.json" --scrypt-n 4194304
	run -2 hive-sign keygen --key "$T/k" --scrypt-n 1024
	[ ! -e "$T/ks.json" ]
}

@test "truncated, malformed, missing and unreadable key files exit 3" {
	head -c 40 "$FIX/eip155.key" > "$T/short.key"
	run -3 --separate-stderr hive-sign address --key "$T/short.key"
	[[ "$stderr" == "hive-sign: "*"short.key"* ]]
	printf 'zz46464646464646464646464646464646464646464646464646464646464646\n' > "$T/bad.key"
	run -3 hive-sign address --key "$T/bad.key"
	run -3 --separate-stderr hive-sign address --key "$T/none.key"
	[[ "$stderr" == *"No such file"* ]]
	mkdir "$T/dir.key"
	run -3 hive-sign address --key "$T/dir.key"
	ln -s "$FIX/eip155.key" "$T/link.key"
	run -3 hive-sign address --key "$T/link.key"
	echo '{"version":3,"crypto":{}}' > "$T/ks.json"
	run -3 --separate-stderr hive-sign address --keystore "$T/ks.json" --password-file /dev/null
}

# --- record signatures ------------------------------------------------------

@test "sign adds a 65-byte low-s sig to every record; verify passes them all" {
	records > "$T/in"
	run -0 --separate-stderr hive-sign sign --key "$FIX/eip155.key" "$T/in"
	[ "${#lines[@]}" -eq 3 ]
	printf '%s\n' "${lines[@]}" > "$T/signed"
	run -0 jq -r '.sig' "$T/signed"
	for s in "${lines[@]}"; do [[ "$s" =~ ^0x[0-9a-f]{128}(1b|1c)$ ]]; done
	run -0 --separate-stderr hive-sign verify --signer "$EIP155_ADDR" "$T/signed"
	assert_output "$(cat "$T/signed")"
	run -0 hive-sign verify --signer-field meter --type reading "$T/signed"
}

@test "signed records are written in RFC 8785 canonical form" {
	echo '{ "z": 1.50, "a": [true, null], "type": "t" }' | hive-sign sign --key "$FIX/eip155.key" > "$T/out"
	run -0 jq -c 'del(.sig)' "$T/out"
	assert_output '{"a":[true,null],"type":"t","z":1.5}'
	grep -q '^{"a":\[true,null\],"sig":"0x[0-9a-f]*","type":"t","z":1.5}$' "$T/out"
}

@test "signing is deterministic (RFC 6979) and matches a known personal_sign" {
	# The canonical text below signed with personal_sign by EIP-155's key, checked with cast.
	echo '{"b":2,"a":1}' | hive-sign sign --key "$FIX/eip155.key" > "$T/1"
	echo '{"a":1,"b":2}' | hive-sign sign --key "$FIX/eip155.key" > "$T/2"
	cmp "$T/1" "$T/2"
	run -0 jq -r .sig "$T/1"
	assert_output 0x81cc7078de41db7989833c4995ef118c4ef30b9cf5df710f6e9e3dcafa8b9cd55cea131a2be8cf18fc1a41cee5486f84d2b994e862e49297ebe840f8de2ee5041b
}

@test "--type signs only that type and passes the rest untouched" {
	records | hive-sign sign --key "$FIX/eip155.key" --type reading > "$T/out"
	run -0 sed -n 2p "$T/out"
	assert_output '{"type":"note","text":"passes through"}'
	run -0 jq -r 'has("sig")' "$T/out"
	assert_output $'true\nfalse\ntrue'
}

@test "a record already signed is rejected unless --resign" {
	records | head -1 | hive-sign sign --key "$FIX/eip155.key" > "$T/once"
	run -1 --separate-stderr hive-sign sign --key "$FIX/eip155.key" "$T/once"
	assert_output ""
	[[ "$stderr" == *"line 1: record is already signed"* ]]
	hive-sign keygen --key "$T/other.key" > /dev/null
	run -0 hive-sign sign --key "$T/other.key" --resign "$T/once"
	echo "$output" > "$T/twice"
	run -0 hive-sign verify --signer "$(hive-sign address --key "$T/other.key")" "$T/twice"
}

@test "verify reports each bad record with its line and keeps the good ones" {
	records | hive-sign sign --key "$FIX/eip155.key" > "$T/signed"
	good1=$(sed -n 1p "$T/signed"); good3=$(sed -n 3p "$T/signed")
	{
		echo "$good1"
		sed -n 2p "$T/signed" | sed 's/passes through/tampered/'      # line 2: content changed
		echo '{"type":"reading",'                                       # line 3: malformed JSON
		sed -n 1p "$T/signed" | jq -c '.sig |= .[0:100]'               # line 4: truncated sig
		sed -n 1p "$T/signed" | jq -c '.sig = 42'                      # line 5: wrong type
		echo '[1,2,3]'                                                  # line 6: not an object
		echo "$good3"                                                   # line 7
		sed -n 1p "$T/signed" | jq -c '.sig |= .[0:130] + "1d"'          # line 8: bad v
	} > "$T/mixed"
	run -1 --separate-stderr hive-sign verify --signer "$EIP155_ADDR" "$T/mixed"
	assert_output "$(printf '%s\n%s' "$good1" "$good3")"
	[[ "${stderr_lines[0]}" == "hive-sign: '$T/mixed' line 2: signature is by 0x"*", not by an accepted signer (--signer)" ]]
	[[ "${stderr_lines[1]}" == "hive-sign: '$T/mixed' line 3: byte offset 18: invalid JSON: expected a member name in double quotes" ]]
	[[ "${stderr_lines[2]}" == *"line 4: \"sig\" is truncated: want 0x and 130 hex digits" ]]
	[[ "${stderr_lines[3]}" == *"line 5: \"sig\" is not a string" ]]
	[[ "${stderr_lines[4]}" == *"line 6: record is not a JSON object" ]]
	[[ "${stderr_lines[5]}" == *"line 8: signature has an invalid recovery byte v"* ]]
	[ "${#stderr_lines[@]}" -eq 6 ]
}

@test "verify --strict stops at the first bad record" {
	records | hive-sign sign --key "$FIX/eip155.key" > "$T/signed"
	{ sed -n 1p "$T/signed"; echo 'oops'; sed -n 3p "$T/signed"; } > "$T/mixed"
	run -1 --separate-stderr hive-sign verify --strict --signer "$EIP155_ADDR" < "$T/mixed"
	assert_output "$(sed -n 1p "$T/signed")"
	assert_equal "${stderr_lines[0]}" "hive-sign: line 2: byte offset 0: invalid JSON: unexpected character"
}

@test "verify: wrong signer, signer field mismatch, unsigned records" {
	records | hive-sign sign --key "$FIX/unicorns.key" --type reading > "$T/signed"
	run -1 --separate-stderr hive-sign verify --signer "$EIP155_ADDR" "$T/signed"
	assert_output '{"type":"note","text":"passes through"}'
	[[ "${stderr_lines[0]}" == *"line 1: signature is by 0xa79F6f349C853F9Ea0B29636779ae3Cb4E3BA729, not by an accepted signer"* ]]
	run -1 --separate-stderr hive-sign verify --signer-field meter "$T/signed"
	[[ "${stderr_lines[0]}" == *"line 1: signature is by 0xa79F6f349C853F9Ea0B29636779ae3Cb4E3BA729, not by field 'meter' ($EIP155_ADDR)" ]]
	run -1 --separate-stderr hive-sign verify --require-sig --signer 0xa79F6f349C853F9Ea0B29636779ae3Cb4E3BA729 "$T/signed"
	[[ "${stderr_lines[0]}" == *"line 2: record is not signed" ]]
	[ "${#lines[@]}" -eq 2 ]
	run -0 hive-sign verify --signer "$EIP155_ADDR" --signer 0xa79F6f349C853F9Ea0B29636779ae3Cb4E3BA729 "$T/signed"
}

@test "verify --signer-field rejects a missing or malformed field" {
	echo '{"type":"x","meter":"0x1234"}' | hive-sign sign --key "$FIX/eip155.key" > "$T/s"
	run -1 --separate-stderr hive-sign verify --signer-field meter "$T/s"
	[[ "$stderr" == *"field 'meter': not an address"* ]]
	run -1 --separate-stderr hive-sign verify --signer-field owner "$T/s"
	[[ "$stderr" == *"field 'owner' is missing or not a string"* ]]
}

@test "recover adds the signer; hash adds keccak256 of the canonical form" {
	records | head -1 | hive-sign sign --key "$FIX/eip155.key" > "$T/s"
	run -0 sh -c "hive-sign recover < '$T/s' | jq -r .signer"
	assert_output "$EIP155_ADDR"
	run -0 sh -c "hive-sign recover --field by < '$T/s' | jq -r .by"
	assert_output "$EIP155_ADDR"
	# keccak256 of the canonical text {"a":1}, computed independently with cast keccak.
	run -0 sh -c "echo '{ \"a\" : 1 }' | hive-sign hash | jq -r .hash"
	assert_output 0x25e7c2a96531eb50246780c1f25742e489bf55210e26981dc02992bb585feb97
	run -1 --separate-stderr hive-sign recover < <(echo '{"a":1}')
	[[ "$stderr" == *"line 1: record is not signed" ]]
}

@test "recover and hash refuse to overwrite a member the record has" {
	echo '{"a":1,"hash":"mine"}' > "$T/u"
	run -1 --separate-stderr hive-sign hash "$T/u"
	[[ "$stderr" == *"line 1: record already has a member 'hash' (name another with --field)" ]]
	run -0 hive-sign hash --field digest "$T/u"
}

@test "--password-file with a raw key and unknown options are usage errors" {
	run -2 --separate-stderr hive-sign address --key "$FIX/eip155.key" --password-file /dev/null
	[[ "$stderr" == "hive-sign: --password-file goes with --keystore"* ]]
	run -2 --separate-stderr hive-sign sign --bogus
	assert_equal "${stderr_lines[0]}" "hive-sign: 'sign': invalid option or missing value: '--bogus'"
	run -2 --separate-stderr hive-sign sign --key
	assert_equal "${stderr_lines[0]}" "hive-sign: 'sign': invalid option or missing value: '--key'"
}

@test "the hash ignores sig, so it names a record before and after signing" {
	echo '{"a":1}' > "$T/u"
	hive-sign sign --key "$FIX/eip155.key" "$T/u" > "$T/s"
	[ "$(hive-sign hash "$T/u" | jq -r .hash)" = "$(hive-sign hash "$T/s" | jq -r .hash)" ]
}

@test "an unreadable input file is reported, the others processed, exit 3" {
	echo '{"a":1}' > "$T/u"
	run -3 --separate-stderr hive-sign hash "$T/missing" "$T/u"
	[[ "$stderr" == "hive-sign: cannot open '$T/missing': No such file or directory" ]]
	[ "${#lines[@]}" -eq 1 ]
}

@test "non-UTF-8 input is refused with its byte offset, not silently replaced" {
	printf '{"a":"ok"}\n{"a":"\xff"}\n' > "$T/in"
	run -1 --separate-stderr hive-sign hash "$T/in"
	[[ "$stderr" == *"line 2: byte offset 6: invalid UTF-8" ]]
	[ "${#lines[@]}" -eq 1 ]
}

@test "lenient JSON, repeated names and inexact integers are refused, not signed" {
	{
		echo '{"type":"t","n":1}'
		echo '{"type":"t","n":nan}'
		echo '{"type":"t","n":01}'
		echo '{"type":"t","n":1,"n":2}'
		echo '{"type":"t","wh":9007199254740993}'
		printf '{"type":"t","s":"a\tb"}\n'
		echo '{"type":"t","n":9007199254740992}'
	} > "$T/in"
	run -1 --separate-stderr hive-sign sign --key "$FIX/eip155.key" "$T/in"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *'"n":9007199254740992,'* ]]
	assert_equal "${stderr_lines[0]}" "hive-sign: '$T/in' line 2: byte offset 16: invalid JSON: unexpected character"
	assert_equal "${stderr_lines[1]}" "hive-sign: '$T/in' line 3: byte offset 17: invalid JSON: expected ',' or '}' in an object"
	assert_equal "${stderr_lines[2]}" "hive-sign: '$T/in' line 4: byte offset 18: duplicate member name"
	[[ "${stderr_lines[3]}" == "hive-sign: '$T/in' line 5: byte offset 17: integer cannot be kept exactly in a double"* ]]
	assert_equal "${stderr_lines[4]}" "hive-sign: '$T/in' line 6: byte offset 18: invalid JSON: control character in string (escape it)"
}

@test "a signed record edited to repeat a member is refused by verify" {
	echo '{"type":"t","wh":10}' | hive-sign sign --key "$FIX/eip155.key" > "$T/s"
	sed 's/"wh":10/"wh":10,"wh":99/' "$T/s" > "$T/forged"
	run -1 --separate-stderr hive-sign verify --signer "$EIP155_ADDR" "$T/forged"
	[[ "$stderr" == *"duplicate member name" ]]
	assert_output ""
}

# --- messages and typed data -----------------------------------------------

@test "message signs EIP-191 personal_sign as eth-account does" {
	key=$(jq -r .private_key "$FIX/personal_sign_some_data.json")
	echo "${key#0x}" > "$T/k"; chmod 600 "$T/k"
	run -0 hive-sign message --key "$T/k" "Some data"
	assert_output "$(jq -r .expected_signature "$FIX/personal_sign_some_data.json")"
	sig=$output
	addr=$(hive-sign address --key "$T/k")
	run -0 hive-sign message --verify "$sig" "Some data"
	assert_output "$addr"
	run -0 hive-sign message --verify "$sig" --signer "$addr" "Some data"
	assert_output ""
	run -1 --separate-stderr hive-sign message --verify "$sig" --signer "$addr" "Some datA"
	[[ "$stderr" == *"not by the --signer given"* ]]
	run -0 hive-sign message --key "$T/k" --hex 0x536f6d652064617461
	assert_output "$sig"
}

@test "typed signs the EIP-712 Mail example as eth-account does" {
	run -0 hive-sign typed --key "$FIX/unicorns.key" "$FIX/eip712_mail.json"
	assert_output 0x33600224dbc5a598b7c443b0cc9241b4b12ea10441244cc058442b31065b37232258c5d0b55f22362b1fa97d5c7fca4f40bfc1545417d974a22dfd4a8ac2de8b1b
	run -0 hive-sign typed --verify "$output" --signer 0xa79F6f349C853F9Ea0B29636779ae3Cb4E3BA729 < "$FIX/eip712_mail.json"
	jq '.message.contents = "Hello, Eve!"' "$FIX/eip712_mail.json" > "$T/forged.json"
	run -1 hive-sign typed --verify 0x33600224dbc5a598b7c443b0cc9241b4b12ea10441244cc058442b31065b37232258c5d0b55f22362b1fa97d5c7fca4f40bfc1545417d974a22dfd4a8ac2de8b1b --signer 0xa79F6f349C853F9Ea0B29636779ae3Cb4E3BA729 "$T/forged.json"
}

@test "typed reports malformed typed data clearly" {
	echo '{"types":' > "$T/bad.json"
	run -3 --separate-stderr hive-sign typed --key "$FIX/eip155.key" "$T/bad.json"
	assert_equal "$stderr" "hive-sign: '$T/bad.json': byte offset 10: invalid JSON: unexpected end of the record"
	jq '.primaryType = "Letter"' "$FIX/eip712_mail.json" > "$T/undef.json"
	run -3 --separate-stderr hive-sign typed --key "$FIX/eip155.key" "$T/undef.json"
	[[ "$stderr" == *"Letter"* ]]
	assert_output ""
}

@test "keys never reach stdout or stderr" {
	records > "$T/in"
	run -0 hive-sign sign --key "$FIX/eip155.key" "$T/in"
	[[ "$output" != *4646464646464646* ]]
	run -3 hive-sign address --key "$T/nope"
	[[ "$output" != *4646464646464646* ]]
}
