# Shared set-up for the hive-clear and hive-settle tests: keys for three
# Workers' meters (A, B, C), the Queen (the hive's owner) and an outsider, a
# hive export naming A, B and C, and signed interval records.
load helpers

# Once per file: the keys.
market_keys() {
	for n in a b c queen other; do
		hive-sign keygen --key "$BATS_FILE_TMPDIR/$n.key" > "$BATS_FILE_TMPDIR/$n.addr"
	done
}

# Per test: addresses in A B C QUEEN OTHER, the export in $T/export.ndjson.
market_setup() {
	setup_scratch
	K=$BATS_FILE_TMPDIR
	A=$(< "$K/a.addr") B=$(< "$K/b.addr") C=$(< "$K/c.addr")
	QUEEN=$(< "$K/queen.addr") OTHER=$(< "$K/other.addr")
	TARIFF=$FIX/market/constant.ndjson
	export_hive "$T/export.ndjson" "$A" "$B" "$C"
}

# export_hive FILE ADDRESS...: what hive-beekeeper export writes for hive 1 paying in a 6-decimal coin.
export_hive() {
	local f=$1 m
	shift
	printf '{"coin":"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48","coin_code":"USDC","coin_decimals":6,"coin_frozen":false,"end":null,"hive":1,"ledger_events":9,"ledger_head":"0x%064d","members":%d,"owner":"%s","start":"2026-06-01T00:00:00Z","status":"active","type":"hive_export"}\n' 7 $# "$QUEEN" > "$f"
	for m in "$@"; do
		printf '{"hive":1,"manufacturer":"Eastron","meter":"%s","owner":"%s","serial":"SN-%s","status":"certified","type":"member"}\n' \
			"$m" "$QUEEN" "${m:2:6}" >> "$f"
	done
}

# interval METER START ENERGY_WH [SECONDS [COMPLETE]]: one unsigned interval record.
interval() {
	printf '{"complete":%s,"energy_wh":%s,"meter":"%s","seconds":%s,"start":"%s","type":"interval"}\n' \
		"${5:-true}" "$3" "$1" "${4:-900}" "$2"
}

# signed KEYNAME: signs the interval records on stdin with that meter's key.
signed() { hive-sign sign --key "$K/$1.key" --type interval; }

# The deficit slot of MARKET.md's known answers: A +2 kWh, B +1 kWh, C −1.5 kWh.
deficit_slot() {
	local t=${1:-2026-06-21T10:00:00Z}
	interval "$A" "$t" 2000 | signed a
	interval "$B" "$t" 1000 | signed b
	interval "$C" "$t" -1500 | signed c
}

# Field f of the clearing (or settlement) record of Worker w in file: jq -r.
field_of() { jq -r --arg w "$2" --arg f "$3" 'select(.worker == $w) | .[$f]' "$1"; }
