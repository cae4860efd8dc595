#!/bin/sh
# The Queen of a hive on its MQTT broker (mosquitto.conf beside this file):
# she reads every Worker's bids, answers each iteration with one broadcast
# signal until the plans converge, and appends the final, signed bids of
# each round to BIDS for hive-settle.
#
# Usage: queen.sh DIR HOST PORT EXPORT TARIFF BIDS [hive-clear coordinate options]
#   DIR     queen.key, queen.crt and ca.crt (make-certs.sh)
#   EXPORT  the hive's members, as hive-beekeeper export writes them
set -eu
[ $# -ge 7 ] || { echo "usage: queen.sh DIR HOST PORT EXPORT TARIFF BIDS KEY [OPTIONS]" >&2; exit 2; }
dir=$1 host=$2 port=$3 export=$4 tariff=$5 bids=$6 key=$7
shift 7
hive=$(jq -r 'select(.type == "hive_export") | .hive' "$export")
tls="-h $host -p $port --cafile $dir/ca.crt --cert $dir/queen.crt --key $dir/queen.key -q 1"
# shellcheck disable=SC2086
mosquitto_sub $tls -t "hive/$hive/bids/+" |
	hive-clear coordinate --tariff "$tariff" --export "$export" --signed --key "$key" --bids "$bids" "$@" |
	mosquitto_pub $tls -l -t "hive/$hive/signals"
