#!/usr/bin/env bats
# hive-settle against ethers: the archive's keccak256 chain, the Queen's
# EIP-191 signatures, each balance record's EIP-712 digest and signature (the
# typed data rebuilt from the record's fields by ethers' TypedDataEncoder),
# and conservation per period in BigInt arithmetic.
load market

setup_file() { market_keys; }
setup() {
	market_setup
	need_reference ethers
}

@test "ethers re-checks two settled days with closed channels" {
	ra=5000 rc=800 k=0
	for d in 21 22; do
		for s in 10:00 10:15 10:30; do
			t=2026-06-${d}T$s:00Z n=$(( $(date -u -d $t +%s) / 900 ))
			k=$((k + 1)) ra=$((ra + 100 + k)) rc=$((rc + 70 + k))
			printf '{"complete":true,"energy_wh":%d,"export_wh":0,"import_wh":%d,"meter":"%s","nonce":%d,"register_import_wh":%d,"seconds":900,"start":"%s","type":"interval"}\n' \
				$((100 + k)) $((100 + k)) "$A" $n $ra $t | signed a
			printf '{"complete":true,"energy_wh":-%d,"export_wh":%d,"import_wh":0,"meter":"%s","nonce":%d,"register_export_wh":%d,"seconds":900,"start":"%s","type":"interval"}\n' \
				$((70 + k)) $((70 + k)) "$C" $n $rc $t | signed c
		done
	done > "$T/in.ndjson"
	for d in 21 22; do
		hive-clear --export "$T/export.ndjson" --tariff "$TARIFF" --platform-fee 150 --owner-fee 50:traded \
			--from 2026-06-${d}T00:00:00Z --to 2026-06-$((d + 1))T00:00:00Z "$T/in.ndjson" 2> /dev/null |
			hive-settle --export "$T/export.ndjson" --day 2026-06-$d --key "$K/queen.key" --archive "$T/archive.ndjson" > /dev/null
	done
	run -0 xcheck settlements "$QUEEN" < "$T/archive.ndjson"
	assert_output --regexp '^\{"lines":12,"periods":2,"balances":4,"head":"0x[0-9a-f]{64}"\}$'
	# A copy with one amount changed fails there too.
	sed '1s/"amount":"/"amount":"1/' "$T/archive.ndjson" | { run -1 xcheck settlements "$QUEEN"; assert_output --partial "line 1"; }
}
