#!/usr/bin/env bats
# hive-sign against independent implementations: ethers v6 and Foundry's cast,
# on random keys and random records, not only fixtures. scripts/deps installs
# both into tests/node/node_modules.
load helpers

setup() {
	setup_scratch
	need_reference ethers cast
	# A random key for this test, written by hive-sign itself.
	ADDR=$(hive-sign keygen --key "$T/k.hex")
	KEY=$(cat "$T/k.hex")
	(umask 077; echo "x-check password $BATS_TEST_NUMBER" > "$T/pw")
	export HIVE_PASSWORD; HIVE_PASSWORD=$(cat "$T/pw")
}

@test "ethers verifies hive-sign's signatures on 300 random records" {
	seed=$RANDOM
	xcheck random 300 "$seed" > "$T/in"
	run -0 hive-sign sign --key "$T/k.hex" "$T/in"
	printf '%s\n' "$output" > "$T/signed"
	run -0 xcheck verify "$ADDR" < "$T/signed"
}

@test "ethers and hive-sign produce byte-identical signed records (RFC 6979, RFC 8785)" {
	xcheck random 300 "$RANDOM" > "$T/in"
	hive-sign sign --key "$T/k.hex" < "$T/in" > "$T/ours"
	xcheck sign "$KEY" < "$T/in" > "$T/theirs"
	run -0 cmp "$T/ours" "$T/theirs"
}

@test "hive-sign verifies records signed by ethers, and rejects them under another signer" {
	xcheck random 200 "$RANDOM" > "$T/in"
	xcheck sign "$KEY" < "$T/in" > "$T/theirs"
	run -0 hive-sign verify --signer "$ADDR" --require-sig "$T/theirs"
	[ "${#lines[@]}" -eq 200 ]
	run -1 --separate-stderr hive-sign verify --signer "$EIP155_ADDR" "$T/theirs"
	assert_output ""
	[ "${#stderr_lines[@]}" -eq 200 ]
}

@test "hive-sign's canonical form equals ECMAScript's on random records" {
	xcheck random 300 "$RANDOM" > "$T/in"
	hive-sign sign --key "$T/k.hex" < "$T/in" | xcheck canon > "$T/theirs"
	# The signed record minus sig, as hive-sign wrote it, must already be canonical.
	hive-sign sign --key "$T/k.hex" < "$T/in" | sed 's/,"sig":"0x[0-9a-f]*"//; s/"sig":"0x[0-9a-f]*",\{0,1\}//' > "$T/ours"
	run -0 cmp "$T/ours" "$T/theirs"
}

@test "cast verifies hive-sign's record signatures" {
	xcheck random 5 "$RANDOM" > "$T/in"
	hive-sign sign --key "$T/k.hex" < "$T/in" > "$T/signed"
	xcheck canon < "$T/signed" > "$T/canon"
	n=0
	while IFS= read -r sig <&3 && IFS= read -r text <&4; do
		run -0 "$CAST" wallet verify --address "$ADDR" "$text" "$sig"
		n=$((n + 1))
	done 3< <(jq -r .sig "$T/signed") 4< "$T/canon"
	[ "$n" -eq 5 ]
}

@test "message: cast and ethers agree with hive-sign both ways" {
	text="hive $RANDOM $(date +%s%N)"
	run -0 hive-sign message --key "$T/k.hex" "$text"
	sig=$output
	run -0 "$CAST" wallet verify --address "$ADDR" "$text" "$sig"
	run -0 xcheck message-verify "$text" "$sig"
	assert_output "$ADDR"
	run -0 xcheck message-sign "$KEY" "$text"
	assert_output "$sig"
	hive-sign keygen --keystore "$T/ks.json" --scrypt-n 1024 > /dev/null
	run -0 "$CAST" wallet sign --keystore "$T/ks.json" --password-file "$T/pw" "$text"
	castsig=$output
	other=$(hive-sign address --keystore "$T/ks.json")
	run -0 hive-sign message --verify "$castsig" --signer "$other" "$text"
}

@test "keystores written by hive-sign open in ethers and cast" {
	run -0 hive-sign keygen --keystore "$T/ks.json" --scrypt-n 4096
	addr=$output
	run -0 xcheck keystore-open "$T/ks.json"
	assert_output "$addr"
	run -0 "$CAST" wallet address --keystore "$T/ks.json" --password-file "$T/pw"
	assert_output "$addr"
}

@test "keystores written by ethers and cast open in hive-sign" {
	xcheck keystore-make "$KEY" 2048 > "$T/ethers.json"
	run -0 hive-sign address --keystore "$T/ethers.json"
	assert_output "$ADDR"
	mkdir "$T/castdir"
	"$CAST" wallet new "$T/castdir" made-by-cast --unsafe-password "$HIVE_PASSWORD" > "$T/cast.out"
	castaddr=$(grep -Eo '0x[0-9a-fA-F]{40}' "$T/cast.out" | head -n 1)
	run -0 hive-sign address --keystore "$T/castdir/made-by-cast"
	assert_output "$castaddr"
	HIVE_PASSWORD=wrong run -4 hive-sign address --keystore "$T/castdir/made-by-cast"
}

@test "EIP-712: ethers and cast verify hive-sign's typed signatures, and the reverse" {
	jq --arg n "hive $RANDOM" '.message.contents = $n' "$FIX/eip712_mail.json" > "$T/td.json"
	run -0 hive-sign typed --key "$T/k.hex" "$T/td.json"
	sig=$output
	run -0 xcheck typed-verify "$T/td.json" "$sig"
	assert_output "$ADDR"
	run -0 "$CAST" wallet verify --data --from-file --address "$ADDR" "$T/td.json" "$sig"
	run -0 xcheck typed-sign "$KEY" "$T/td.json"
	assert_output "$sig"
}
