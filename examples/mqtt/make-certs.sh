#!/bin/sh
# A hive's own certificate authority for its MQTT broker, and a key and
# certificate for the broker, the Queen and each Worker (named by its meter
# address). Keys are created 0600 and never leave DIR; run it on the machine
# that keeps the CA key, then copy each client's key and certificate to it.
#
# Usage: make-certs.sh DIR HOST WORKER_ADDRESS...
#   DIR   where the files go (ca.crt, ca.key, broker.*, queen.*, ADDRESS.*)
#   HOST  the broker's host name, also valid as 127.0.0.1 and localhost
set -eu
[ $# -ge 2 ] || { echo "usage: make-certs.sh DIR HOST WORKER_ADDRESS..." >&2; exit 2; }
dir=$1 host=$2
shift 2
umask 077
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2> /dev/null; }

# cert NAME CN [EXTENSIONS]: a certificate for NAME.key signed by the CA, valid for two years.
cert() {
	key "$1"
	openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2> /dev/null
	printf '%s\n' "${3:-extendedKeyUsage=clientAuth}" > "$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 730 -sha256 \
		-extfile "$1.ext" -out "$1.crt" 2> /dev/null
	rm -f "$1.csr" "$1.ext"
}

if [ ! -f ca.key ]; then
	key ca
	openssl req -x509 -new -key ca.key -subj "/CN=hive CA" -days 3650 -sha256 -out ca.crt 2> /dev/null
fi
cert broker "$host" "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
cert queen queen
for w in "$@"; do
	cert "$w" "$w"
done
chmod 644 ca.crt ./*.crt
