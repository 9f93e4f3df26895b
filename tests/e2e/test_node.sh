#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The Node.js story: OpenSSL linked statically into the node executable.
# Attach to a fresh node TLS echo server, open HOLD connections and keep them
# open; tlsmem must see exactly those SSL objects and a per-connection cost.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

HOLD=300
NODE=${NODE:-$(command -v node)}

field()
{
	json_get "$TMP/tlsmem.out" "$1"
}

e2e_require
if [ -z "$NODE" ]; then
	fail setup "node not found on PATH"
	e2e_finish
fi
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }

spawn node "$NODE" tests/targets/node_server.js --port 0 --cert "$TMP/cert.pem" \
	--key "$TMP/key.pem"
server=$LAST_PID
if ! wait_for_line "$TMP/node.out" '^listening [0-9]+ pid [0-9]+$' 20 "$server"; then
	fail setup "node_server.js did not start"
	dump "$TMP/node.out" "$TMP/node.err"
	e2e_finish
fi
port=$(awk '{ print $2; exit }' "$TMP/node.out")

if ! start_tlsmem tlsmem -p "$server" --json -i 0.2 -o "$TMP/tlsmem.csv"; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi
tlsmem=$LAST_PID
pass attach

spawn client "$TLS_CLIENT" --port "$port" --conns $HOLD --threads 4 --hold $HOLD
client=$LAST_PID
if ! wait_for_line "$TMP/client.out" '^holding ' 120 "$client"; then
	fail load "tls_client did not finish its connections"
	dump "$TMP/client.out" "$TMP/client.err"
	e2e_finish
fi
check_eq client_holding "$(grep '^holding ' "$TMP/client.out")" "holding $HOLD"
# node finishes its side of the last handshakes asynchronously: wait until
# tlsmem's own time series has them (the checks below assert the figure)
wait_csv "$TMP/tlsmem.csv" live_ssl "v == $HOLD" 30 ||
	info "live_ssl in the CSV is ${CSV_V:-none} after 30 s, expected $HOLD"

stop_tlsmem "$tlsmem"
check_eq tlsmem_exit "$WAIT_RC" 0
if [ -z "$(field .ssl.live)" ]; then
	fail json "no valid JSON on tlsmem's stdout"
	dump "$TMP/tlsmem.out" "$TMP/tlsmem.err"
	e2e_finish
fi
info "ssl live=$(field .ssl.live) created=$(field .ssl.created) freed=$(field .ssl.freed)" \
	"adopted=$(field .ssl.adopted)"
info "heap live_bytes=$(field .heap.live_bytes) live_blocks=$(field .heap.live_blocks)" \
	"bytes_per_live_ssl=$(field .heap.bytes_per_live_ssl) lost=$(field .events.lost)"
info "openssl: $(field '[.targets[].openssl[] | "\(.path) (\(.kind))"] | join(", ")')"
check_eq ssl_live "$(field .ssl.live)" $HOLD
check_eq ssl_created "$(field .ssl.created)" $HOLD
check_gt bytes_per_live_ssl "$(field '.heap.bytes_per_live_ssl | floor')" 0
check_gt live_bytes "$(field .heap.live_bytes)" 0
check_eq events_lost "$(field .events.lost)" 0
e2e_finish
