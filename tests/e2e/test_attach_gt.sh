#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Attach to a running gt_server and compare tlsmem's figures with the
# server's own ground truth. tlsmem accounts from attach; the server's epoch
# is bumped right after attach, so "live since the current epoch" in its state
# file covers exactly what tlsmem saw (the server is idle in between).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CONNS=3000
THREADS=4
HOLD=300
BYTES=1000

e2e_require
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }

state=$TMP/state
start_gt_server server "$state"
server=$GT_PID
port=$GT_PORT

if ! start_tlsmem tlsmem -p "$server" --json -v; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi
tlsmem=$LAST_PID
pass attach

if ! request_state "$server" "$state" USR1 || [ "$(state_get "$state" epoch)" != 1 ]; then
	fail setup "gt_server did not start epoch 1"
	e2e_finish
fi

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

# final truth; the server is idle from here on
request_state "$server" "$state" USR2 || fail truth "no final state from gt_server"
stop_tlsmem "$tlsmem"
check_eq tlsmem_exit "$WAIT_RC" 0
json=$TMP/tlsmem.out
if ! json_get "$json" . >/dev/null || [ -z "$(json_get "$json" .heap.live_bytes)" ]; then
	fail json "no valid JSON on tlsmem's stdout"
	dump "$json" "$TMP/tlsmem.err"
	e2e_finish
fi

compare_out live_bytes .heap.live_bytes "$(state_get "$state" live_bytes)"
compare_out live_blocks .heap.live_blocks "$(state_get "$state" live_blocks)"
compare_out ssl_live .ssl.live $HOLD
compare_out ssl_created .ssl.created "$(state_get "$state" ssl_new)"
compare_out ssl_freed .ssl.freed "$(state_get "$state" ssl_free)"
compare_out events_lost .events.lost 0
compare_out complete .complete true
# CRYPTO_zalloc goes unprobed (its blocks come from CRYPTO_malloc): the
# caller found on the stack must still be the real one, e.g. SSL_new for
# the SSL object itself, one per open connection; never the wrapper.
if grep -q "CRYPTO_zalloc in .*libcrypto.*: not probed" "$TMP/tlsmem.err" &&
   grep -q "CRYPTO_clear_free in .*libcrypto.*: not probed" "$TMP/tlsmem.err"; then
	pass wrappers_unprobed
else
	fail wrappers_unprobed "CRYPTO_zalloc and CRYPTO_clear_free are probed in libcrypto"
fi
# and it shows in the probes: two fewer per wrapper (entry and return) than
# with every function probed at its entry, which leaves wrappers alone
crypto_probes='[.targets[].openssl[] | select(.path | test("libcrypto")) | .probes] | add'
run_tlsmem entry -p "$server" --entry-probes -d 0.2 --json
check_eq wrapper_probes_dropped \
	"$(( $(json_get "$TMP/entry.out" "$crypto_probes") - $(json_get "$json" "$crypto_probes") ))" 4
ssl_new_blocks=$(json_get "$json" '[.sites[] | select(.caller == "SSL_new") | .live_blocks] | add // 0')
if [ "${ssl_new_blocks:-0}" -ge "$HOLD" ]; then
	pass caller_ssl_new
else
	fail caller_ssl_new "live blocks allocated by SSL_new: ${ssl_new_blocks:-none}, expected >= $HOLD"
fi
check_eq caller_not_wrapper \
	"$(json_get "$json" '[.sites[] | select(.caller | test("^CRYPTO_(zalloc|malloc)$"))] | length')" 0
info "bytes_per_live_ssl tlsmem=$(json_get "$json" .heap.bytes_per_live_ssl)" \
	"allocs=$(json_get "$json" .heap.allocs) frees=$(json_get "$json" .heap.frees)" \
	"unknown_frees=$(json_get "$json" .heap.unknown_frees)" \
	"events=$(json_get "$json" .events.received)"

# the target keeps serving once the probes are gone
if is_alive "$server" &&
   timeout 30 "$TLS_CLIENT" --port "$port" --conns 1 </dev/null >/dev/null 2>"$TMP/after.err"; then
	pass server_survives
else
	fail server_survives "gt_server dead or not serving after tlsmem exited"
	dump "$TMP/after.err" "$TMP/server.err"
fi
e2e_finish
