#!/bin/sh
# The hive demo, on the embedded defaults: a Worker's meter gets a key, its
# half-hourly energy for one real day is signed record by record, the Queen's
# side verifies every record against the meter named in it, a tampered copy is
# caught line by line, and each record gets the hash an archive chains on.
# Runs with the freshly built tools first on PATH (make demo does that).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
share=${HIVE_SHARE:-$here/share}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf '\n== %s\n' "$*"; }

say "1. the meter's key: an Ethereum keystore v3 (scrypt), password from HIVE_PASSWORD"
HIVE_PASSWORD=demo-only-password
export HIVE_PASSWORD
meter=$(hive-sign keygen --keystore "$work/meter.json")
echo "meter address: $meter"
ls -l "$work/meter.json" | awk '{ print "keystore file mode:", $1 }'

say "2. one day of real household load (share/demo) as interval records"
# Energy per half hour from the average power: Wh = W x 0.5 h, rounded to whole Wh.
awk -F, -v meter="$meter" 'NR > 1 {
	wh = $2 * 0.5
	printf "{\"type\":\"interval\",\"meter\":\"%s\",\"start\":\"%s\",\"seconds\":1800,\"energy_wh\":%d}\n",
	    meter, $1, int(wh + 0.5)
}' "$share/demo/household_load_2024-10-01.csv" > "$work/intervals.ndjson"
wc -l < "$work/intervals.ndjson" | awk '{ print $1, "records; the first:" }'
head -n 1 "$work/intervals.ndjson"

say "3. hive-sign sign: EIP-191 signature over each record's RFC 8785 canonical form"
hive-sign sign --keystore "$work/meter.json" --type interval < "$work/intervals.ndjson" > "$work/signed.ndjson"
head -n 1 "$work/signed.ndjson"

say "4. hive-sign verify --signer-field meter: every record signed by the meter it names"
hive-sign verify --signer-field meter --require-sig < "$work/signed.ndjson" > "$work/verified.ndjson"
echo "$(wc -l < "$work/verified.ndjson") of $(wc -l < "$work/signed.ndjson") records verified"

say "5. a tampered copy: line 20 claims less energy; verify reports it and keeps the rest"
awk 'NR == 20 { sub(/"energy_wh":[0-9]+/, "\"energy_wh\":1") } { print }' "$work/signed.ndjson" > "$work/tampered.ndjson"
if hive-sign verify --signer-field meter < "$work/tampered.ndjson" > "$work/kept.ndjson"; then
	echo "demo: the tampered record was not caught" >&2
	exit 1
else
	echo "verify exited $? and kept $(wc -l < "$work/kept.ndjson") good records"
fi

say "6. hive-sign hash: keccak256 of each canonical record, what an archive chains on"
hive-sign hash < "$work/signed.ndjson" | tail -n 1

say "7. the signer, recovered from the last record"
tail -n 1 "$work/signed.ndjson" | hive-sign recover | sed 's/.*"signer":"\([^"]*\)".*/\1/'
echo
echo "demo finished: $(wc -l < "$work/verified.ndjson") signed, verified records for meter $meter"
