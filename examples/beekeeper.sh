#!/bin/sh
# A Beekeeper session: start a registry, list a hive's meters and create the
# hive, then print what the Queen's hive-clear and hive-settle read about it.
#
#   HIVE_LEDGER=ledger.ndjson sh examples/beekeeper.sh ADMIN_KEY OWNER_KEY METER...
#
# ADMIN_KEY signs the registry's init (it becomes the ledger's admin, holding
# the 100,000,000 HVT created there) and certifies meters; OWNER_KEY is the
# building's owner, who lists its meters and pays HVT for the hive. Key files
# are raw hex keys as made by 'hive-sign keygen --key FILE'. Every command
# prints the event it appended, and only once it is on disk.
set -eu
[ $# -ge 3 ] || { echo "usage: HIVE_LEDGER=FILE $0 ADMIN_KEY OWNER_KEY METER..." >&2; exit 2; }
admin=$1 owner=$2
shift 2
owner_addr=$(hive-sign address --key "$owner")
# Circle's EURC on Ethereum mainnet: a euro stablecoin with 6 decimals.
eurc=0x1aBaEA1f7C830bD89Acc67eC4af516284b1bC33c

[ -s "${HIVE_LEDGER:?set HIVE_LEDGER to the ledger file}" ] || hive-beekeeper init --key "$admin" > /dev/null
hive-beekeeper hvt transfer --key "$admin" --to "$owner_addr" --amount 2000HVT > /dev/null
hive-beekeeper coin info "$eurc" > /dev/null 2>&1 ||
	hive-beekeeper coin add --key "$admin" --coin "$eurc" --code EURC --decimals 6 > /dev/null
n=0
for meter in "$@"; do
	n=$((n + 1))
	hive-beekeeper meter add --key "$owner" --meter "$meter" --owner "$owner_addr" \
		--serial "DEMO-$n-$(printf %s "$meter" | cut -c3-10)" --manufacturer Eastron > /dev/null
	hive-beekeeper meter status --key "$admin" --meter "$meter" --status certified > /dev/null
done
# Creation burns half of the HVT paid and stakes the other half.
hive=$(hive-beekeeper hive create --key "$owner" --coin "$eurc" --meter "$(echo "$@" | tr ' ' ,)" | jq -r .hive)
hive-beekeeper export "$hive"
