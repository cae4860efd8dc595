#!/bin/sh
# A Worker's day-ahead forecast from its utility's CSV export: how well each
# model would have done over the last two weeks, then tomorrow's forecast
# per 30-minute slot with its 10–90 % band, as CSV for a spreadsheet.
#
# Usage: forecast.sh EXPORT.csv [ZONE [LAT LON]]
#   EXPORT.csv  timestamp,value rows: RFC 3339 start of each half-hour and
#               the mean power in W over it (as tests/fixtures/forecast/)
#   ZONE        the household's time zone for weekdays (default UTC)
#   LAT LON     where its PV panels are, for the clear-sky model
# Writes forecast.csv in the current directory.
set -eu
[ $# -ge 1 ] || { echo "usage: forecast.sh EXPORT.csv [ZONE [LAT LON]]" >&2; exit 2; }
export_csv=$1
zone=${2:-UTC}
site=
[ $# -ge 4 ] && site="--lat $3 --lon $4"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The export becomes interval records (integer Wh per slot, exact carry).
hive-read csv --kind power --unit W --step 30m --import value "$export_csv" > "$work/history.ndjson" 2> "$work/read.err" ||
	{ cat "$work/read.err" >&2; exit 1; }

echo "== the last 14 days, forecast day by day from what came before (MASE < 1 beats repeating the previous season)"
# shellcheck disable=SC2086
hive-forecast backtest --step 30m --days 14 --tz "$zone" $site --table < "$work/history.ndjson"

echo
echo "== tomorrow, written to forecast.csv"
# shellcheck disable=SC2086
hive-forecast --step 30m --tz "$zone" $site < "$work/history.ndjson" |
	jq -r 'select(.type == "forecast") | .start as $t0 | .step as $step | .series.net_wh as $s
		| "slot_start,forecast_wh,q10_wh,q90_wh",
		  (range($s.point | length) as $i | [($t0 | fromdateiso8601) + $i * $step | todateiso8601,
		   $s.point[$i], $s.q10[$i], $s.q90[$i]] | @csv)' > forecast.csv
head -n 4 forecast.csv
echo "... $(($(wc -l < forecast.csv) - 1)) slots"
