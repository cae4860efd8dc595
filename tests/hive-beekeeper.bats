#!/usr/bin/env bats
# hive-beekeeper: the registry of meters, stablecoins and hives, its rules,
# its HVT accounts and its tamper-evident ledger.
load helpers

setup_file() {
	for n in admin owner other m1 m2 m3 m4 m5 m6; do
		hive-sign keygen --key "$BATS_FILE_TMPDIR/$n.key" > "$BATS_FILE_TMPDIR/$n.addr"
	done
}

setup() {
	setup_scratch
	K=$BATS_FILE_TMPDIR
	export HIVE_LEDGER=$T/ledger.ndjson
	ADMIN=$(< "$K/admin.addr")
	OWNER=$(< "$K/owner.addr")
	OTHER=$(< "$K/other.addr")
	for i in 1 2 3 4 5 6; do eval "M$i=\$(< \"\$K/m$i.addr\")"; done
	# Two stablecoins' mainnet addresses (USDC, EURS).
	USDC=0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48
	EURS=0xdB25f211AB05b1c97D595516F45794528a807ad8
}

bk() { hive-beekeeper "$@"; }

# A registry made on 2026-11-01: two coins, meters 1–5 of OWNER certified (6
# only registered), OWNER holding 10,000 HVT and OTHER 2,000.
world() {
	local at=(--time 2026-11-01T00:00:00Z)
	bk init --key "$K/admin.key" "${at[@]}" > /dev/null
	bk hvt transfer --key "$K/admin.key" --to "$OWNER" --amount 10000HVT "${at[@]}" > /dev/null
	bk hvt transfer --key "$K/admin.key" --to "$OTHER" --amount 2000HVT "${at[@]}" > /dev/null
	bk coin add --key "$K/admin.key" --coin "$USDC" --code USDC --decimals 6 "${at[@]}" > /dev/null
	bk coin add --key "$K/admin.key" --coin "$EURS" --code EURS --decimals 2 "${at[@]}" > /dev/null
	for i in 1 2 3 4 5 6; do
		eval "m=\$M$i"
		bk meter add --key "$K/owner.key" --meter "$m" --owner "$OWNER" --serial "SN-$i" --manufacturer Eastron \
			"${at[@]}" > /dev/null
		[ "$i" = 6 ] || bk meter status --key "$K/admin.key" --meter "$m" --status certified "${at[@]}" > /dev/null
	done
}

# Exact sum of decimal strings (HVT base units overflow doubles).
big_sum() { /usr/bin/python3 -c 'import sys; print(sum(int(x) for x in sys.stdin.read().split()))'; }

HVT=1000000000000000000

# --- conventions ------------------------------------------------------------

@test "--help, --version and usage errors" {
	run -0 --separate-stderr bk --help
	assert_line --index 0 --partial "usage: hive-beekeeper"
	assert_output --partial "hive split"
	run -0 bk --version
	assert_output --regexp '^hive-beekeeper [0-9]+\.[0-9]+\.[0-9]+$'
	run -2 --separate-stderr bk
	[[ "$stderr" == *"hive-beekeeper: missing command"* ]]
	run -2 --separate-stderr bk frobnicate
	[[ "$stderr" == *"unknown command 'frobnicate'"* ]]
	run -2 --separate-stderr bk meter
	[[ "$stderr" == *"'meter' needs a subcommand"* ]]
	run -2 --separate-stderr bk meter list --amount 5
	[[ "$stderr" == *"'meter list' does not take --amount"* ]]
	run -2 --separate-stderr bk hvt transfer --key k --to "$OWNER" --amount 1.5
	[[ "$stderr" == *"--amount '1.5'"* ]]
	run -2 --separate-stderr bk hvt transfer --key k --to "$OWNER" --amount 0.0000000000000000001HVT
	[[ "$stderr" == *"more digits after the point"* ]]
	run -2 --separate-stderr bk meter add --key k --meter 0x1234
	[[ "$stderr" == *"--meter"* ]]
	run -2 --separate-stderr bk hive info 0
	run -2 --separate-stderr bk coin add --key k --decimals 78
	run -2 --separate-stderr bk init
	[[ "$stderr" == *"needs one of --key FILE or --keystore FILE"* ]]
	run -2 --separate-stderr bk meter info --at yesterday "$M1"
	[[ "$stderr" == *"--at 'yesterday'"* ]]
}

# --- init and the ledger ----------------------------------------------------

@test "init writes a signed genesis event, 0600-free plain file, and refuses a second init" {
	run -0 --separate-stderr bk init --key "$K/admin.key" --time 2026-11-01T00:00:00Z
	[ "$(count_lines "$HIVE_LEDGER")" -eq 1 ]
	[ "$output" = "$(cat "$HIVE_LEDGER")" ]
	run -0 jq -c '[.type, .op, .seq, .prev, .actor, .supply, .hive_cost, .meter_cost, .time]' "$HIVE_LEDGER"
	assert_output "[\"beekeeper_event\",\"init\",0,\"0x$(printf '0%.0s' {1..64})\",\"$ADMIN\",\"100000000000000000000000000\",\"1000000000000000000000\",\"100000000000000000000\",\"2026-11-01T00:00:00Z\"]"
	# Any Ethereum tool can check the event: it is an ordinary signed record.
	run -0 hive-sign verify --signer "$ADMIN" "$HIVE_LEDGER"
	run -5 --separate-stderr bk init --key "$K/other.key"
	[[ "$stderr" == *"already exists"* ]]
	[ "$(count_lines "$HIVE_LEDGER")" -eq 1 ]
	run -0 bk hvt balance "$ADMIN"
	assert_output "{\"address\":\"$ADMIN\",\"balance\":\"100000000000000000000000000\",\"type\":\"hvt_balance\"}"
}

@test "init --hive-cost/--meter-cost set the parameters; params changes them (admin only)" {
	bk init --key "$K/admin.key" --hive-cost 500HVT --meter-cost 12.5HVT > /dev/null
	run -0 bk params
	run -0 jq -r '[.hive_cost, .meter_cost, .events] | @tsv' <<< "$output"
	assert_output "$(printf '%s\t%s\t1' 500000000000000000000 12500000000000000000)"
	run -6 --separate-stderr bk params --key "$K/owner.key" --meter-cost 1HVT
	[[ "$stderr" == *"is not the ledger's admin"* ]]
	run -0 bk params --key "$K/admin.key" --meter-cost 1HVT
	run -0 bk params
	run -0 jq -r '[.hive_cost, .meter_cost] | @tsv' <<< "$output"
	assert_output "$(printf '%s\t%s' 500000000000000000000 1000000000000000000)"
}

@test "the default ledger lives under XDG_DATA_HOME (made if missing), HIVE_LEDGER and --ledger override it" {
	unset HIVE_LEDGER
	export XDG_DATA_HOME=$T/data HOME=$T/home
	run -0 bk init --key "$K/admin.key"
	[ -f "$T/data/hive/ledger.ndjson" ]
	run -0 bk params
	unset XDG_DATA_HOME
	run -0 bk init --key "$K/admin.key"
	[ -f "$T/home/.local/share/hive/ledger.ndjson" ]
	run -0 bk --ledger "$T/x.ndjson" init --key "$K/admin.key"
	run -0 bk meter list --ledger "$T/x.ndjson"
	run -3 --separate-stderr bk --ledger "$T/none.ndjson" meter list
	[[ "$stderr" == *"ledger '$T/none.ndjson' does not exist (create it with 'hive-beekeeper init')"* ]]
}

@test "every appended line extends the hash chain: prev is the keccak256 of the line before" {
	world
	[ "$(count_lines "$HIVE_LEDGER")" -eq 16 ]
	run -0 jq -s -c '[.[].seq] == [range(0; 16)]' "$HIVE_LEDGER"
	assert_output true
	# hive-sign hash gives keccak256 of a record's canonical form without sig;
	# the chain hashes the whole line, so hash each line's bytes with a key-less record.
	for n in 2 9 16; do
		prev=$(sed -n "${n}p" "$HIVE_LEDGER" | jq -r .prev)
		line=$(sed -n "$((n - 1))p" "$HIVE_LEDGER")
		want=$(printf '%s' "$line" | /usr/bin/python3 -c '
import sys, hashlib
data = sys.stdin.buffer.read()
try:
    from Crypto.Hash import keccak
    print("0x" + keccak.new(digest_bits=256, data=data).hexdigest())
except ImportError:
    print("skip")')
		[ "$want" = skip ] || [ "$prev" = "$want" ]
	done
	run -0 bk verify
	run -0 jq -r '[.type, .events] | @tsv' <<< "$output"
	assert_output "$(printf 'ledger_verified\t16')"
}

# --- the Meter List ----------------------------------------------------------

@test "meter add, status, info and list" {
	world
	run -0 bk meter info "$M1" "$M6"
	assert_line --index 0 "{\"added_seq\":5,\"changed_seq\":6,\"hive\":null,\"manufacturer\":\"Eastron\",\"meter\":\"$M1\",\"owner\":\"$OWNER\",\"serial\":\"SN-1\",\"stake\":\"0\",\"status\":\"certified\",\"type\":\"meter\"}"
	run -0 jq -r .status <<< "${lines[1]}"
	assert_output registered
	run -0 bk meter list --status certified
	[ "${#lines[@]}" -eq 5 ]
	run -0 bk meter list --owner "$OTHER"
	[ -z "$output" ]
	# The meter's owner switches it online and offline.
	run -0 bk meter status --key "$K/owner.key" --meter "$M1" --status online
	run -0 jq -r '[.op, .meter, .status, .actor] | @tsv' <<< "$output"
	assert_output "$(printf 'meter_status\t%s\tonline\t%s' "$M1" "$OWNER")"
	run -0 bk meter list --status online
	[ "${#lines[@]}" -eq 1 ]
	run -1 --separate-stderr bk meter info "$OTHER"
	[[ "$stderr" == *"meter '$OTHER' is not listed"* ]]
}

@test "meter rules: owner or admin adds, one listing per meter and per serial, the admin certifies and revokes" {
	world
	run -6 --separate-stderr bk meter add --key "$K/other.key" --meter "$OTHER" --owner "$OWNER" --serial X --manufacturer Y
	[[ "$stderr" == *"is neither the meter's owner nor the admin"* ]]
	run -6 --separate-stderr bk meter add --key "$K/owner.key" --meter "$M1" --owner "$OWNER" --serial X --manufacturer Y
	[[ "$stderr" == *"meter $M1 is already listed"* ]]
	run -6 --separate-stderr bk meter add --key "$K/admin.key" --meter "$OTHER" --owner "$OTHER" --serial SN-1 --manufacturer Eastron
	[[ "$stderr" == *"Eastron serial 'SN-1' is already listed as meter $M1"* ]]
	# Same serial, another manufacturer: another meter.
	run -0 bk meter add --key "$K/admin.key" --meter "$OTHER" --owner "$OTHER" --serial SN-1 --manufacturer Iskra
	run -6 --separate-stderr bk meter status --key "$K/owner.key" --meter "$M6" --status certified
	[[ "$stderr" == *"the admin certifies"* ]]
	run -6 --separate-stderr bk meter status --key "$K/owner.key" --meter "$M6" --status online
	run -6 --separate-stderr bk meter status --key "$K/other.key" --meter "$M1" --status offline
	[[ "$stderr" == *"is neither the meter's owner nor the admin"* ]]
	run -6 --separate-stderr bk meter status --key "$K/admin.key" --meter "$M1" --status certified
	[[ "$stderr" == *"is already certified"* ]]
	run -2 --separate-stderr bk meter status --key "$K/admin.key" --meter "$M1" --status broken
	[[ "$stderr" == *"--status 'broken'"* ]]
	run -0 bk meter status --key "$K/admin.key" --meter "$M1" --status revoked
	run -6 --separate-stderr bk meter status --key "$K/admin.key" --meter "$M1" --status certified
	[[ "$stderr" == *"is revoked, for good"* ]]
}

# --- the Stablecoin List -----------------------------------------------------

@test "coin add, freeze, info, list; only the admin; a frozen coin cannot start a hive" {
	world
	run -0 bk coin info "$USDC"
	assert_output "{\"added_seq\":3,\"changed_seq\":3,\"code\":\"USDC\",\"coin\":\"$USDC\",\"decimals\":6,\"frozen\":false,\"type\":\"coin\"}"
	run -6 --separate-stderr bk coin add --key "$K/owner.key" --coin "$OTHER" --code X --decimals 2
	[[ "$stderr" == *"is not the ledger's admin"* ]]
	run -6 --separate-stderr bk coin add --key "$K/admin.key" --coin "$USDC" --code USDC --decimals 6
	[[ "$stderr" == *"stablecoin $USDC is already listed"* ]]
	run -3 --separate-stderr bk coin add --key "$K/admin.key" --coin "$OTHER" --code 'U S' --decimals 6
	[[ "$stderr" == *"code 'U S'"* ]]
	run -0 bk coin freeze --key "$K/admin.key" --coin "$EURS"
	run -6 --separate-stderr bk coin freeze --key "$K/admin.key" --coin "$EURS"
	[[ "$stderr" == *"already frozen"* ]]
	run -0 bk coin list
	[ "${#lines[@]}" -eq 2 ]
	run -0 jq -r .frozen <<< "${lines[1]}"
	assert_output true
	run -6 --separate-stderr bk hive create --key "$K/owner.key" --coin "$EURS" --meter "$M1"
	[[ "$stderr" == *"stablecoin $EURS (EURS) is frozen: no new hive may use it"* ]]
	run -1 --separate-stderr bk coin info "$OTHER"
	[[ "$stderr" == *"stablecoin '$OTHER' is not listed"* ]]
}

# --- the Hive List and HVT ---------------------------------------------------

@test "hive create burns half and stakes half of the HVT paid; export gives what hive-clear needs" {
	world
	run -0 --separate-stderr bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M2,$M1" --end 2027-11-01T00:00:00Z --time 2026-11-02T00:00:00Z
	run -0 jq -r '[.op, .hive, .hvt, .burn, .stake, .start, .end] | @tsv' <<< "$output"
	# 1,000 HVT for the hive and 100 per meter: 1,200 paid, 600 burned, 600 staked.
	assert_output "$(printf 'hive_create\t1\t%s\t%s\t%s\t2026-11-02T00:00:00Z\t2027-11-01T00:00:00Z' \
		1200000000000000000000 600000000000000000000 600000000000000000000)"
	run -0 bk hvt balance "$OWNER"
	run -0 jq -r .balance <<< "$output"
	assert_output 8800000000000000000000
	run -0 bk hvt supply
	assert_output '{"burned":"600000000000000000000","circulating":"99998800000000000000000000","conserved":true,"staked":"600000000000000000000","supply":"100000000000000000000000000","type":"hvt_supply"}'
	run -0 bk export 1
	[ "${#lines[@]}" -eq 3 ]
	run -0 jq -c 'del(.ledger_head)' <<< "${lines[0]}"
	assert_output "{\"coin\":\"$USDC\",\"coin_code\":\"USDC\",\"coin_decimals\":6,\"coin_frozen\":false,\"end\":\"2027-11-01T00:00:00Z\",\"hive\":1,\"ledger_events\":17,\"members\":2,\"owner\":\"$OWNER\",\"start\":\"2026-11-02T00:00:00Z\",\"status\":\"active\",\"type\":\"hive_export\"}"
	# Members sorted by address, each with its owner and status.
	run -0 bk export 1
	first=$(printf '%s\n%s\n' "$M1" "$M2" | sort -f | head -n 1)
	run -0 jq -r 'select(.type == "member") | .meter' <<< "$output"
	[ "${lines[0]}" = "$first" ]
	run -0 bk meter info "$M1"
	run -0 jq -r '[.hive, .stake] | @tsv' <<< "$output"
	assert_output "$(printf '1\t50000000000000000000')"
	run -1 --separate-stderr bk export 9
	[[ "$stderr" == *"there is no hive 9"* ]]
}

@test "paying more than the cost is allowed and staked half and half; less is refused" {
	world
	run -6 --separate-stderr bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1" --hvt 1099HVT
	[[ "$stderr" == *"insufficient HVT: a hive of 1 meters needs 1100000000000000000000 base units"* ]]
	run -0 bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1" --hvt 1101000000000000000001
	run -0 jq -r '[.burn, .stake] | @tsv' <<< "$output"
	# The meter's part (100 HVT) stakes 50; the hive's part 1001 HVT + 1 unit stakes half rounded down.
	assert_output "$(printf '%s\t%s' 550500000000000000001 550500000000000000000)"
	run -0 bk hive info 1
	run -0 jq -r '[.stake, .meter_stake] | @tsv' <<< "$output"
	assert_output "$(printf '%s\t%s' 500500000000000000000 50000000000000000000)"
}

@test "hive rules: certified meters only, one hive per meter, enough HVT, the owner alone changes a hive" {
	world
	run -6 --separate-stderr bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M6"
	[[ "$stderr" == *"meter $M6 is registered, not certified"* ]]
	run -6 --separate-stderr bk hive create --key "$K/owner.key" --coin "$OTHER" --meter "$M1"
	[[ "$stderr" == *"stablecoin $OTHER is not listed"* ]]
	run -3 --separate-stderr bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1,$M1"
	[[ "$stderr" == *"is listed twice"* ]]
	run -0 bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1"
	run -6 --separate-stderr bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M2,$M1"
	[[ "$stderr" == *"meter $M1 already belongs to hive 1"* ]]
	# OTHER holds 2,000 HVT and may start a hive of its own with OWNER's certified meter...
	run -0 bk hive create --key "$K/other.key" --coin "$USDC" --meter "$M2"
	# ...but may not touch OWNER's hive.
	run -6 --separate-stderr bk hive add-meter --key "$K/other.key" --meter "$M3" 1
	[[ "$stderr" == *"hive 1 belongs to $OWNER, not to $OTHER"* ]]
	run -6 --separate-stderr bk hive freeze --key "$K/other.key" 1
	run -6 --separate-stderr bk hive drop-meter --key "$K/owner.key" --meter "$M3" 1
	[[ "$stderr" == *"meter $M3 is not in hive 1"* ]]
	run -6 --separate-stderr bk hive add-meter --key "$K/owner.key" --meter "$M3" 7
	[[ "$stderr" == *"there is no hive 7"* ]]
	# OTHER has 900 HVT left: not enough for another hive.
	run -6 --separate-stderr bk hive create --key "$K/other.key" --coin "$USDC" --meter "$M4"
	[[ "$stderr" == *"insufficient HVT: $OTHER holds 900000000000000000000 base units, 1100000000000000000000 are needed"* ]]
	run -6 --separate-stderr bk hvt transfer --key "$K/other.key" --to "$OWNER" --amount 901HVT
	[[ "$stderr" == *"insufficient HVT"* ]]
	run -6 --separate-stderr bk hvt transfer --key "$K/other.key" --to "$OTHER" --amount 1
	[[ "$stderr" == *"sends to itself"* ]]
	run -3 --separate-stderr bk hvt transfer --key "$K/other.key" --to "$OWNER" --amount 0
	[[ "$stderr" == *"the amount is zero"* ]]
	[ "$(count_lines "$HIVE_LEDGER")" -eq 18 ]
	run -0 bk verify
}

@test "add-meter and drop-meter stake and return the meter's share; freeze returns the rest and frees the meters" {
	world
	bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1" > /dev/null
	run -0 bk hive add-meter --key "$K/owner.key" --meter "$M2" 1
	run -0 jq -r '[.burn, .stake] | @tsv' <<< "$output"
	assert_output "$(printf '%s\t%s' 50000000000000000000 50000000000000000000)"
	balance() { bk hvt balance "$OWNER" | jq -r .balance; }
	before=$(balance)
	run -0 bk hive drop-meter --key "$K/owner.key" --meter "$M2" 1
	run -0 jq -r .returned <<< "$output"
	assert_output 50000000000000000000
	[ "$(balance)" = "$(printf '%s\n%s\n' "$before" 50000000000000000000 | big_sum)" ]
	run -0 bk meter info "$M2"
	run -0 jq -c '[.hive, .stake]' <<< "$output"
	assert_output '[null,"0"]'
	before=$(balance)
	run -0 bk hive freeze --key "$K/owner.key" 1
	run -0 jq -r .returned <<< "$output"
	assert_output 550000000000000000000
	[ "$(balance)" = "$(printf '%s\n%s\n' "$before" 550000000000000000000 | big_sum)" ]
	run -0 bk hive info 1
	run -0 jq -c '[.status, .stake, .meter_stake, (.end != null)]' <<< "$output"
	assert_output '["frozen","0","0",true]'
	# The meter is free again; the frozen hive takes no more changes.
	run -0 bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1"
	run -6 --separate-stderr bk hive add-meter --key "$K/owner.key" --meter "$M3" 1
	[[ "$stderr" == *"hive 1 is frozen"* ]]
	run -0 bk hvt supply
	run -0 jq -r .conserved <<< "$output"
	assert_output true
}

@test "revoking a meter in a hive takes it out and returns its stake to the hive's owner" {
	world
	bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1,$M2" > /dev/null
	run -0 bk meter status --key "$K/admin.key" --meter "$M2" --status revoked
	run -0 jq -r '[.hive, .returned] | @tsv' <<< "$output"
	assert_output "$(printf '1\t50000000000000000000')"
	run -0 bk hive info 1
	run -0 jq -r '.meters | length' <<< "$output"
	assert_output 1
	run -6 --separate-stderr bk meter status --key "$K/admin.key" --meter "$M1" --status registered
	[[ "$stderr" == *"is in hive 1: drop it or revoke it"* ]]
}

@test "split partitions a hive's meters into new hives of the same owner; merge joins one owner's hives" {
	world
	bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1,$M2,$M3,$M4" > /dev/null
	run -6 --separate-stderr bk hive split --key "$K/owner.key" --part "$M1,$M2" --part "$M3" 1
	[[ "$stderr" == *"the parts hold 3 of hive 1's 4 meters: a split is a partition"* ]]
	run -3 --separate-stderr bk hive split --key "$K/owner.key" --part "$M1,$M2" --part "$M2,$M3,$M4" 1
	[[ "$stderr" == *"is in two parts"* ]]
	run -6 --separate-stderr bk hive split --key "$K/owner.key" --part "$M1,$M2" --part "$M3,$M4,$M5" 1
	[[ "$stderr" == *"meter $M5 is not in hive 1"* ]]
	run -3 --separate-stderr bk hive split --key "$K/owner.key" --part "$M1,$M2,$M3,$M4" 1
	[[ "$stderr" == *"at least two lists"* ]]
	run -6 --separate-stderr bk hive split --key "$K/other.key" --part "$M1,$M2" --part "$M3,$M4" 1
	run -0 bk hive split --key "$K/owner.key" --part "$M1,$M2" --part "$M3" --part "$M4" 1
	run -0 jq -c '[.hives, .hvt, .burn, .stake]' <<< "$output"
	assert_output '[[2,3,4],"2000000000000000000000","1000000000000000000000","1000000000000000000000"]'
	run -0 bk hive list --status active
	run -0 jq -sc 'map([.hive, .meters, .from, .stake])' <<< "$output"
	[[ "$output" == "[[2,"*",[1],\"500000000000000000000\"],[3,[\"$M3\"],[1],\"500000000000000000000\"],[4,[\"$M4\"],[1],\"500000000000000000000\"]]" ]]
	run -0 bk hive info 1
	run -0 jq -c '[.status, .into]' <<< "$output"
	assert_output '["split",[2,3,4]]'
	# Merge: the new hive keeps the first hive's stake; the others' stakes come back.
	run -0 bk hive merge --key "$K/owner.key" 3 4
	run -0 jq -c '[.hive, .hives, .returned]' <<< "$output"
	assert_output '[5,[3,4],"500000000000000000000"]'
	run -0 bk hive info 5
	run -0 jq -c '[.status, .from, (.meters | length), .stake, .meter_stake]' <<< "$output"
	assert_output '["active",[3,4],2,"500000000000000000000","100000000000000000000"]'
	run -0 bk hvt supply
	run -0 jq -r .conserved <<< "$output"
	assert_output true
}

@test "merge refuses another owner's hive, a hive twice, different stablecoins and a frozen stablecoin" {
	world
	bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1" > /dev/null
	bk hive create --key "$K/owner.key" --coin "$EURS" --meter "$M2" > /dev/null
	bk hive create --key "$K/other.key" --coin "$USDC" --meter "$M3" > /dev/null
	bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M4" > /dev/null
	run -6 --separate-stderr bk hive merge --key "$K/owner.key" 1 3
	[[ "$stderr" == *"hive 3 belongs to $OTHER, not to $OWNER"* ]]
	run -3 --separate-stderr bk hive merge --key "$K/owner.key" 1 1
	[[ "$stderr" == *"hive 1 is listed twice"* ]]
	run -6 --separate-stderr bk hive merge --key "$K/owner.key" 1 2
	[[ "$stderr" == *"merged hives share a stablecoin"* ]]
	run -2 --separate-stderr bk hive merge --key "$K/owner.key" 1
	bk coin freeze --key "$K/admin.key" --coin "$USDC" > /dev/null
	run -6 --separate-stderr bk hive merge --key "$K/owner.key" 1 4
	[[ "$stderr" == *"is frozen: no new hive may use it"* ]]
	run -6 --separate-stderr bk hive split --key "$K/owner.key" --part "$M1" --part "$M1" 1
}

@test "--at answers for a past moment: membership as it was" {
	world
	bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1,$M2" --time 2026-11-10T00:00:00Z > /dev/null
	bk hive drop-meter --key "$K/owner.key" --meter "$M2" --time 2026-11-20T00:00:00Z 1 > /dev/null
	run -0 bk export --at 2026-11-15T00:00:00Z 1
	run -0 jq -r 'select(.type == "hive_export") | .members' <<< "$output"
	assert_output 2
	run -0 bk export 1
	run -0 jq -r 'select(.type == "hive_export") | .members' <<< "$output"
	assert_output 1
	run -1 --separate-stderr bk hive info --at 2026-11-05T00:00:00Z 1
	[[ "$stderr" == *"there is no hive 1"* ]]
	# Time never goes back: an earlier --time is raised to the last event's.
	run -0 bk hvt transfer --key "$K/owner.key" --to "$OTHER" --amount 1 --time 2026-01-01T00:00:00Z
	run -0 jq -r .time <<< "$output"
	assert_output 2026-11-20T00:00:00Z
}

# --- apply: operations from a stream -----------------------------------------

@test "apply appends one event per operation record; a bad record is reported by line and skipped" {
	world
	cat > "$T/ops" <<-EOF
	{"op":"hive_create","coin":"$USDC","meters":["$M1"]}
	{"op":"hive_add_meter","hive":1,"meter":"$M6"}
	{"op":"hive_add_meter","hive":1,"meter":"$M2","hvt":"100000000000000000000"}
	not json
	{"op":"frobnicate"}
	{"op":"hvt_transfer","to":"$OTHER","amount":"5","seq":3}
	{"type":"beekeeper_op","op":"hvt_transfer","to":"$OTHER","amount":"5","time":"2030-01-01T00:00:00Z"}
	EOF
	run -1 --separate-stderr bk apply --key "$K/owner.key" "$T/ops"
	[ "${#lines[@]}" -eq 3 ]
	[[ "$stderr" == *"line 2: hive add-meter: meter $M6 is registered, not certified"* ]]
	[[ "$stderr" == *"line 4:"* ]]
	[[ "$stderr" == *"line 5: not an operation"* ]]
	[[ "$stderr" == *"line 6: 'seq' is set by the ledger"* ]]
	run -0 jq -r '.time' <<< "${lines[2]}"
	assert_output 2030-01-01T00:00:00Z
	[ "$(count_lines "$HIVE_LEDGER")" -eq 19 ]
	run -0 bk verify
	# --strict stops at the first bad record; --batch syncs groups.
	run -1 --separate-stderr bk apply --strict --key "$K/owner.key" "$T/ops"
	[ -z "$output" ]
	for i in $(seq 1 7); do echo "{\"op\":\"hvt_transfer\",\"to\":\"$OTHER\",\"amount\":\"$i\"}"; done > "$T/t"
	run -0 --separate-stderr bk apply --batch 3 --key "$K/owner.key" < "$T/t"
	[ "${#lines[@]}" -eq 7 ]
	run -0 bk verify
}

# --- tamper evidence ---------------------------------------------------------

# verify must fail naming the line; $1 is the expected exit code, $2 the line.
verify_fails_at() {
	run -"$1" --separate-stderr bk verify
	[[ "$stderr" == *"line $2 "* ]] || { echo "stderr: $stderr"; return 1; }
}

@test "tampering is caught: an edited, deleted, reordered or inserted past line is named by verify" {
	world
	cp "$HIVE_LEDGER" "$T/good"
	# An edited value (the meter's serial number in line 8).
	sed '8s/SN-2/SN-9/' "$T/good" > "$HIVE_LEDGER"
	verify_fails_at 4 8
	[[ "$stderr" == *"signed by"* ]]
	# A deleted line: the next one no longer follows.
	sed '5d' "$T/good" > "$HIVE_LEDGER"
	verify_fails_at 4 5
	[[ "$stderr" == *"seq is 5 where 4 comes next"* ]]
	# Two lines swapped.
	{ sed -n '1,6p' "$T/good"; sed -n 8p "$T/good"; sed -n 7p "$T/good"; sed -n '9,$p' "$T/good"; } > "$HIVE_LEDGER"
	verify_fails_at 4 7
	# A copy of a valid line inserted.
	sed '10{p}' "$T/good" > "$HIVE_LEDGER"
	verify_fails_at 4 11
	# An event re-signed by its editor: the signature holds, the chain does not.
	sed -n 9p "$T/good" | jq -c 'del(.sig) | .actor = "'"$OTHER"'"' | hive-sign sign --key "$K/other.key" > "$T/forged"
	{ sed -n '1,8p' "$T/good"; cat "$T/forged"; sed -n '10,$p' "$T/good"; } > "$HIVE_LEDGER"
	verify_fails_at 6 9
	# The same bytes, not canonical (a space added).
	sed '3s/,"op"/, "op"/' "$T/good" > "$HIVE_LEDGER"
	verify_fails_at 4 3
	[[ "$stderr" == *"not in RFC 8785 canonical form"* ]]
	cp "$T/good" "$HIVE_LEDGER"
	run -0 bk verify
}

@test "queries and writers check the chain too: a broken ledger is refused, not half-read" {
	world
	sed -i '5d' "$HIVE_LEDGER"
	run -4 --separate-stderr bk meter list
	[[ "$stderr" == *"line 5 (byte "*"): seq is 5 where 4 comes next"* ]]
	[ -z "$output" ]
	run -4 --separate-stderr bk hvt transfer --key "$K/admin.key" --to "$OWNER" --amount 1
}

@test "a torn last line: writers refuse, queries warn, repair cuts it and keeps every complete event" {
	world
	cp "$HIVE_LEDGER" "$T/good"
	line=$(bk hvt transfer --key "$K/owner.key" --to "$OTHER" --amount 7)
	# An append that stopped half-way.
	head -c -40 "$HIVE_LEDGER" > "$T/torn" && cp "$T/torn" "$HIVE_LEDGER"
	run -3 --separate-stderr bk hvt transfer --key "$K/owner.key" --to "$OTHER" --amount 8
	[[ "$stderr" == *"line 17 is torn"*"hive-beekeeper --ledger $HIVE_LEDGER repair"* ]]
	run -0 --separate-stderr bk meter list
	[[ "$stderr" == *"ignoring a torn last line"* ]]
	run -3 --separate-stderr bk verify
	run -0 --separate-stderr bk repair
	[[ "$stderr" == *"cut off"*"16 complete events kept"* ]]
	cmp "$HIVE_LEDGER" "$T/good"
	run -0 bk verify
	run -0 --separate-stderr bk repair
	[[ "$stderr" == *"nothing to repair"* ]]
	# Only the newline missing: the event is complete and is kept.
	printf '%s' "$line" >> "$HIVE_LEDGER"
	run -3 --separate-stderr bk hvt transfer --key "$K/owner.key" --to "$OTHER" --amount 8
	run -0 --separate-stderr bk repair
	[[ "$stderr" == *"newline added, 17 events"* ]]
	[ "$(tail -n 1 "$HIVE_LEDGER")" = "$line" ]
	run -0 bk verify
	# A bad complete line is not repair's to mend.
	sed -i '4s/USDC/USDT/' "$HIVE_LEDGER"
	run -4 --separate-stderr bk repair
	[[ "$stderr" == *"restore the ledger from a copy"* ]]
}

@test "concurrent writers are serialised: every acknowledged event is in the ledger once" {
	world
	for w in 1 2 3 4; do
		(for i in $(seq 1 10); do bk hvt transfer --key "$K/admin.key" --to "$OWNER" --amount "$w$i"; done > "$T/ack$w") &
	done
	wait
	cat "$T"/ack* | sort > "$T/acked"
	[ "$(count_lines "$T/acked")" -eq 40 ]
	tail -n 40 "$HIVE_LEDGER" | sort | cmp - "$T/acked"
	run -0 bk verify
}

@test "HVT is conserved over random operation sequences: balances + staked + burned = supply" {
	world
	seed=$RANDOM
	echo "# seed $seed"
	/usr/bin/python3 - "$seed" "$USDC" "$EURS" "$M1" "$M2" "$M3" "$M4" "$M5" > "$T/ops" <<'PY'
import json, random, sys
rnd = random.Random(int(sys.argv[1]))
usdc, eurs, meters = sys.argv[2], sys.argv[3], sys.argv[4:]
for _ in range(120):
    k = rnd.randrange(7)
    hive = rnd.randint(1, 12)
    pick = rnd.sample(meters, rnd.randint(1, 3))
    if k == 0:
        op = {"op": "hive_create", "coin": rnd.choice([usdc, eurs]), "meters": pick}
        if rnd.random() < 0.3:
            op["hvt"] = str(rnd.randint(1, 3000) * 10**18 + rnd.randint(0, 999))
    elif k == 1:
        op = {"op": "hive_add_meter", "hive": hive, "meter": pick[0]}
        if rnd.random() < 0.3:
            op["hvt"] = str(rnd.randint(50, 200) * 10**18 + rnd.randint(0, 9))
    elif k == 2:
        op = {"op": "hive_drop_meter", "hive": hive, "meter": pick[0]}
    elif k == 3:
        op = {"op": "hive_freeze", "hive": hive}
    elif k == 4:
        rest = [m for m in meters if m not in pick]
        op = {"op": "hive_split", "hive": hive, "parts": [pick, rnd.sample(rest, rnd.randint(1, 2))]}
    elif k == 5:
        op = {"op": "hive_merge", "hives": rnd.sample(range(1, 13), 2)}
    else:
        op = {"op": "hvt_transfer", "to": meters[0], "amount": str(rnd.randint(1, 10**21))}
    print(json.dumps(op))
PY
	run --separate-stderr bk apply --key "$K/owner.key" "$T/ops"
	[ "$status" -le 1 ]
	accepted=${#lines[@]}
	echo "# $accepted of 120 operations accepted"
	[ "$accepted" -ge 10 ]
	# Independently of the tool's own counters: every balance, every stake held.
	balances=$(bk hvt balance | jq -r .balance | big_sum)
	stakes=$( { bk hive list | jq -r .stake; bk meter list | jq -r .stake; } | big_sum)
	burned=$(bk hvt supply | jq -r .burned)
	burned_events=$(jq -r 'select(.burn) | .burn' "$HIVE_LEDGER" | big_sum)
	[ "$burned" = "$burned_events" ]
	[ "$(printf '%s\n%s\n%s\n' "$balances" "$stakes" "$burned" | big_sum)" = 100000000000000000000000000 ]
	run -0 bk verify
}

@test "keys never reach the ledger, stdout or stderr" {
	world
	key=$(tr -d '\n' < "$K/owner.key" | sed 's/^0x//')
	bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1" > "$T/out" 2> "$T/err"
	run -6 bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1"
	! grep -qi "$key" "$HIVE_LEDGER" "$T/out" "$T/err"
	[[ "$output" != *"$key"* ]]
}

@test "a missing required option is a usage error, before any key or ledger is read" {
	run -2 --separate-stderr bk meter add --key /nonexistent --meter "$M1" --serial S --manufacturer X
	[[ "$stderr" == *"'meter add' needs --owner"* ]]
	run -2 --separate-stderr bk hive create --key /nonexistent --coin "$USDC"
	[[ "$stderr" == *"'hive create' needs --meter"* ]]
	run -2 --separate-stderr bk hvt transfer --key /nonexistent --to "$OWNER"
	[[ "$stderr" == *"needs --amount"* ]]
}

@test "times are written in UTC; a hive frozen before its start ends at its start" {
	world
	run -0 bk hive create --key "$K/owner.key" --coin "$USDC" --meter "$M1" --start 2030-01-01T01:00:00+01:00 --end '2031-01-01 00:00:00Z'
	run -0 jq -r '[.start, .end] | @tsv' <<< "$output"
	assert_output "$(printf '2030-01-01T00:00:00Z\t2031-01-01T00:00:00Z')"
	run -0 bk hive freeze --key "$K/owner.key" 1
	run -0 bk hive info 1
	run -0 jq -r '[.start, .end] | @tsv' <<< "$output"
	assert_output "$(printf '2030-01-01T00:00:00Z\t2030-01-01T00:00:00Z')"
	echo "{\"op\":\"hive_create\",\"coin\":\"$USDC\",\"meters\":[\"$M2\"],\"start\":\"2030-01-01T01:00:00+01:00\"}" > "$T/op"
	run -1 --separate-stderr bk apply --key "$K/owner.key" "$T/op"
	[[ "$stderr" == *"field 'start': write the time in UTC as 2030-01-01T00:00:00Z"* ]]
}

@test "apply refuses a field the rules derive and passes records of other types through in order" {
	world
	{
		echo '{"type":"note","text":"first"}'
		echo "{\"op\":\"meter_add\",\"meter\":\"$OTHER\",\"owner\":\"$OWNER\",\"serial\":\"Z\",\"manufacturer\":\"Z\",\"status\":\"certified\"}"
		echo "{\"op\":\"hive_create\",\"coin\":\"$USDC\",\"meters\":[\"$M1\"],\"burn\":\"0\"}"
		echo "{\"op\":\"hvt_transfer\",\"to\":\"$OTHER\",\"amount\":\"3\"}"
		echo '{"type":"note","text":"last"}'
	} > "$T/ops"
	run -1 --separate-stderr bk apply --batch 10 --key "$K/owner.key" "$T/ops"
	[[ "$stderr" == *"line 2: meter_add: field 'status' is derived by the rules, not given"* ]]
	[[ "$stderr" == *"line 3: hive_create: field 'burn' is derived by the rules, not given"* ]]
	run -0 jq -r '.type + ":" + (.text // .op)' <<< "$output"
	assert_output "$(printf 'note:first\nbeekeeper_event:hvt_transfer\nnote:last')"
}

@test "an empty ledger file is refused by queries as by writers" {
	: > "$HIVE_LEDGER"
	run -3 --separate-stderr bk meter list
	[[ "$stderr" == *"is empty: it has no init event"* ]]
	run -3 --separate-stderr bk verify
}
