#!/usr/bin/env bash
# Creates a throwaway CA and a serving certificate for local runs of `flink-memguard serve`
# (SANs localhost and 127.0.0.1), in build/dev-certs/ unless given another directory. Does
# nothing if they exist, so `make run` keeps the certificate a client already trusts.
set -euo pipefail

dir="${1:-build/dev-certs}"
if [ -s "$dir/ca.crt" ] && [ -s "$dir/tls.crt" ] && [ -s "$dir/tls.key" ]; then
  exit 0
fi
mkdir -p "$dir"
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=flink-memguard dev CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$tmp/ca.key" -out "$tmp/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=localhost" -keyout "$tmp/tls.key" -out "$tmp/tls.csr" 2>/dev/null
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
  "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" > "$tmp/ext.cnf"
openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
  -days 30 -extfile "$tmp/ext.cnf" -out "$tmp/tls.crt" 2>/dev/null

install -m 0644 "$tmp/ca.crt" "$dir/ca.crt"
install -m 0600 "$tmp/ca.key" "$dir/ca.key"
install -m 0644 "$tmp/tls.crt" "$dir/tls.crt"
install -m 0600 "$tmp/tls.key" "$dir/tls.key"
echo "dev-cert: wrote $dir/{ca,tls}.{crt,key} (valid 30 days, SAN localhost, 127.0.0.1)"
