#!/usr/bin/env bats
# hive-beekeeper's ledger checked by independent code: ethers v6 recomputes
# the keccak256 chain, every actor's signature and the HVT accounts, and
# Foundry's cast checks a sample.
load helpers

setup() {
	setup_scratch
	need_reference ethers cast
	export HIVE_LEDGER=$T/ledger.ndjson
	for n in admin owner; do hive-sign keygen --key "$T/$n.key" > "$T/$n.addr"; done
}

# A ledger with a hive split and merged, meters dropped and revoked, transfers.
busy_ledger() {
	local coin=0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 owner m=()
	owner=$(< "$T/owner.addr")
	for i in 1 2 3 4 5; do m[$i]=$(printf '0x%040x' $((i * 7919))); done
	hive-beekeeper init --key "$T/admin.key" > /dev/null
	{
		echo "{\"op\":\"hvt_transfer\",\"to\":\"$owner\",\"amount\":\"9000000000000000000001\"}"
		echo "{\"op\":\"coin_add\",\"coin\":\"$coin\",\"code\":\"USDC\",\"decimals\":6}"
		for i in 1 2 3 4 5; do
			echo "{\"op\":\"meter_add\",\"meter\":\"${m[$i]}\",\"owner\":\"$owner\",\"serial\":\"X$i\",\"manufacturer\":\"Iskra\"}"
			echo "{\"op\":\"meter_status\",\"meter\":\"${m[$i]}\",\"status\":\"certified\"}"
		done
	} | hive-beekeeper apply --key "$T/admin.key" --batch 4 > /dev/null
	{
		echo "{\"op\":\"hive_create\",\"coin\":\"$coin\",\"meters\":[\"${m[1]}\",\"${m[2]}\",\"${m[3]}\",\"${m[4]}\"],\"hvt\":\"1500000000000000000003\"}"
		echo "{\"op\":\"hive_split\",\"hive\":1,\"parts\":[[\"${m[1]}\",\"${m[2]}\"],[\"${m[3]}\"],[\"${m[4]}\"]]}"
		echo "{\"op\":\"hive_merge\",\"hives\":[3,4]}"
		echo "{\"op\":\"hive_add_meter\",\"hive\":5,\"meter\":\"${m[5]}\",\"hvt\":\"100000000000000000007\"}"
		echo "{\"op\":\"hive_drop_meter\",\"hive\":2,\"meter\":\"${m[1]}\"}"
	} | hive-beekeeper apply --key "$T/owner.key" > /dev/null
	hive-beekeeper meter status --key "$T/admin.key" --meter "${m[5]}" --status revoked > /dev/null
	hive-beekeeper hive freeze --key "$T/owner.key" 2 > /dev/null
}

@test "ethers recomputes the chain, every signature and the HVT accounts of a ledger" {
	busy_ledger
	[ "$(wc -l < "$HIVE_LEDGER")" -eq 20 ]
	run -0 xcheck ledger < "$HIVE_LEDGER"
	theirs=$output
	run -0 hive-beekeeper verify
	[ "$(jq -r .head <<< "$output")" = "$(jq -r .head <<< "$theirs")" ]
	run -0 hive-beekeeper hvt supply
	[ "$(jq -r .burned <<< "$output")" = "$(jq -r .burned <<< "$theirs")" ]
	[ "$(jq -r .staked <<< "$output")" = "$(jq -r .staked <<< "$theirs")" ]
	# And ethers sees a tampered copy for what it is.
	sed '6s/"X2"/"X9"/' "$HIVE_LEDGER" > "$T/bad"
	run -1 --separate-stderr xcheck ledger < "$T/bad"
	[[ "$stderr" == *"line 6: not signed by its actor"* ]]
}

@test "cast agrees on a line's keccak256 and its actor's signature" {
	busy_ledger
	line=$(sed -n 12p "$HIVE_LEDGER")
	run -0 "$CAST" keccak "$line"
	[ "$output" = "$(sed -n 13p "$HIVE_LEDGER" | jq -r .prev)" ]
	actor=$(jq -r .actor <<< "$line")
	sig=$(jq -r .sig <<< "$line")
	unsigned=$(xcheck canon <<< "$line")
	run -0 "$CAST" wallet verify --address "$actor" "$unsigned" "$sig"
}
