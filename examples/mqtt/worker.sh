#!/bin/sh
# A Worker of a hive on its MQTT broker (mosquitto.conf beside this file):
# it bids its plan alone from its forecast, then answers each of the
# Queen's signals with its next plan, every bid signed with its meter's key.
#
# Usage: worker.sh DIR HOST PORT HIVE ADDRESS ASSETS TARIFF KEY FORECAST
#   DIR       ADDRESS.key, ADDRESS.crt and ca.crt (make-certs.sh): the TLS identity
#   KEY       the meter's signing key (hive-sign keygen --key, mode 0600)
#   FORECAST  the Worker's forecast record (hive-forecast)
set -eu
[ $# -eq 10 ] || { echo "usage: worker.sh DIR HOST PORT HIVE ADDRESS ASSETS TARIFF KEY FORECAST QUEEN" >&2; exit 2; }
dir=$1 host=$2 port=$3 hive=$4 addr=$5 assets=$6 tariff=$7 key=$8 forecast=$9 queen=${10}
tls="-h $host -p $port --cafile $dir/ca.crt --cert $dir/$addr.crt --key $dir/$addr.key -q 1"
# The signal's subscription opens with the pipeline; a Worker that misses
# the first signals answers the next it gets (hive-bid(1)).
# shellcheck disable=SC2086
mosquitto_sub $tls -t "hive/$hive/signals" |
	hive-bid --assets "$assets" --tariff "$tariff" --key "$key" --queen "$queen" --hive "$hive" "$forecast" - |
	mosquitto_pub $tls -l -t "hive/$hive/bids/$addr"
