#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Start gt_server under tlsmem (tlsmem -- COMMAND): the probes are live from
# the first instruction, so tlsmem must account for every OpenSSL allocation
# the server ever made, i.e. epoch 0 of its ground truth (never bumped here).
# The server's stdout is its own (tlsmem's stdout); the JSON goes to a file.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CONNS=3000
THREADS=4
HOLD=300
BYTES=1000

e2e_require
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }

state=$TMP/state
JSON_OUT=$TMP/tlsmem.json
if ! start_tlsmem tlsmem --json="$JSON_OUT" -- "$GT_SERVER" --port 0 --cert "$TMP/cert.pem" \
		--key "$TMP/key.pem" --state "$state"; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem.out" "$TMP/tlsmem.err"
	e2e_finish
fi
tlsmem=$LAST_PID
pass attach
if ! wait_for_line "$TMP/tlsmem.out" '^listening [0-9]+ pid [0-9]+$' 20 "$tlsmem"; then
	fail setup "gt_server started by tlsmem did not listen"
	dump "$TMP/tlsmem.out" "$TMP/tlsmem.err"
	e2e_finish
fi
read -r _ port _ server < <(grep -E '^listening [0-9]+ pid [0-9]+$' "$TMP/tlsmem.out")
track_pid "$server"
check_eq server_epoch "$(state_get "$state" epoch)" 0

spawn client "$TLS_CLIENT" --port "$port" --conns $CONNS --threads $THREADS \
	--hold $HOLD --bytes $BYTES
client=$LAST_PID
if ! wait_for_line "$TMP/client.out" '^holding ' 600 "$client"; then
	fail load "tls_client did not finish its connections"
	dump "$TMP/client.out" "$TMP/client.err"
	e2e_finish
fi
check_eq client_done "$(grep '^done ' "$TMP/client.out")" "done $CONNS ok 0 failed"
check_eq client_holding "$(grep '^holding ' "$TMP/client.out")" "holding $HOLD"

if ! settle_gt "$server" "$state" $HOLD $((CONNS - HOLD)); then
	fail settle "server state did not reach open_conns=$HOLD ssl_free=$((CONNS - HOLD))"
	cat "$state"
fi
request_state "$server" "$state" USR2 || fail truth "no final state from gt_server"
stop_tlsmem "$tlsmem"
check_eq tlsmem_exit "$WAIT_RC" 0
if is_alive "$server"; then
	info "gt_server still runs after tlsmem exited (killed by the test)"
else
	info "gt_server ended with tlsmem"
fi
if ! jq . "$JSON_OUT" >/dev/null 2>&1 || [ -z "$(json_get "$JSON_OUT" .heap.live_bytes)" ]; then
	fail json "no valid JSON in --json=FILE"
	dump "$JSON_OUT" "$TMP/tlsmem.err"
	e2e_finish
fi
# the command's stdout is its own: its one line, and nothing of tlsmem's
check_eq command_stdout_own "$(grep -vc '^listening [0-9]* pid [0-9]*$' "$TMP/tlsmem.out")" 0

compare_out live_bytes .heap.live_bytes "$(state_get "$state" live_bytes)"
compare_out live_blocks .heap.live_blocks "$(state_get "$state" live_blocks)"
compare_out ssl_live .ssl.live $HOLD
compare_out ssl_created .ssl.created "$(state_get "$state" ssl_new)"
compare_out ssl_freed .ssl.freed "$(state_get "$state" ssl_free)"
compare_out ssl_adopted .ssl.adopted 0
compare_out unknown_frees .heap.unknown_frees 0
compare_out events_lost .events.lost 0
compare_out complete .complete true
info "bytes_per_live_ssl tlsmem=$(json_get "$JSON_OUT" .heap.bytes_per_live_ssl)" \
	"allocs=$(json_get "$JSON_OUT" .heap.allocs)" \
	"frees=$(json_get "$JSON_OUT" .heap.frees)"
e2e_finish
