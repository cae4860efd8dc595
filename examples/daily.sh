#!/bin/sh
# The Queen's day, from cron: clear yesterday's signed intervals slot by slot,
# settle the day in the hive's stablecoin into the archive, and audit the
# archive against its inputs. Every input the audit needs is kept.
#
#   sh examples/daily.sh DIR KEY [DAY]
#
# DIR holds export.ndjson (hive-beekeeper export), tariff.ndjson and
# intervals/DAY.ndjson (the meters' signed interval records of that local
# day); KEY is the Queen's raw key file. DAY defaults to yesterday; the day
# is the local day of $HIVE_TZ (default Europe/Zurich). A crontab line:
#   15 0 * * *  sh /usr/local/share/hive/examples/daily.sh /srv/hive /etc/hive/queen.key
# (make install puts the examples there). Keep export.ndjson current with
# 'hive-beekeeper export HIVE'; each day's copy goes to exports/.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 DIR KEY [DAY]" >&2; exit 2; }
dir=$1 key=$2
tz=${HIVE_TZ:-Europe/Zurich}
day=${3:-$(TZ=$tz date -d yesterday +%F)}
mkdir -p "$dir/clearing" "$dir/csv" "$dir/exports"
# The registry's state the day was settled with, kept for the audits to come
# (never replaced: a second run for the same day is refused by hive-settle).
[ -e "$dir/exports/$day.ndjson" ] || cp "$dir/export.ndjson" "$dir/exports/$day.ndjson"

# Refused intervals are appended to rejects.ndjson with their reason; the run
# still clears what is valid and exits 1 so that cron mails the diagnostics.
rc=0
# The day alone (--day), as the audit clears it, so an interval of another day
# cannot change this one. Into a new file, kept only once the day is settled.
hive-clear --export "$dir/exports/$day.ndjson" --tariff "$dir/tariff.ndjson" --day "$day" --tz "$tz" \
	--rejects "$dir/rejects.ndjson" "$dir/intervals/$day.ndjson" > "$dir/clearing/$day.new" || rc=$?
[ "$rc" -le 1 ] || { rm -f "$dir/clearing/$day.new"; exit "$rc"; }

# Bids from every intervals file, the set the audit reads them from (a day-ahead
# plan may sit in the day before's file). Exit 1 here (a refused record, a
# broken channel) still settles and archives the day.
set --
for f in "$dir"/intervals/*.ndjson; do set -- "$@" --bids "$f"; done
hive-settle --export "$dir/exports/$day.ndjson" --day "$day" --tz "$tz" --key "$key" "$@" \
	--archive "$dir/settlements.ndjson" --csv "$dir/csv/$day.csv" "$dir/clearing/$day.new" > /dev/null || rc2=$?
[ "${rc2:-0}" -le 1 ] || { rm -f "$dir/clearing/$day.new"; exit "$rc2"; }
[ "${rc2:-0}" -eq 0 ] || rc=1
mv "$dir/clearing/$day.new" "$dir/clearing/$day.ndjson"

set --
for e in "$dir"/exports/*.ndjson; do set -- "$@" --export "$e"; done
hive-settle audit "$@" --tariff "$dir/tariff.ndjson" --archive "$dir/settlements.ndjson" "$dir"/intervals/*.ndjson
exit "$rc"
