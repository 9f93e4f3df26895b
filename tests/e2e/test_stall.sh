#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tlsmem's main thread blocked on its output (stdout a pipe nobody reads, as
# behind a stopped pager or a stalled ssh session) while the target churns
# through handshakes: the reader's thread keeps emptying the ring buffer, so
# once the output flows again no event was lost and the figures are exact
# against gt_server's ground truth. (With the ring drained by the main
# thread alone, the 8 MiB ring overflows within a few dozen connections.)
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CONNS=400
THREADS=4
HOLD=40
BYTES=1000

e2e_require
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }

state=$TMP/state
start_gt_server server "$state"
server=$GT_PID

# the time series on stdout: a row every 10 ms fills the pipe within a second
spawn tlsmem python3 "$(dirname "$0")/stall_pipe.py" "$TMP/series.csv" "$TMP/go" -- \
	"$TLSMEM" -p "$server" -i 0.01 -o - --json="$TMP/out.json"
wrapper=$LAST_PID
if ! wait_for_line "$TMP/tlsmem.err" '^tlsmem: attached' 60 "$wrapper"; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem.out" "$TMP/tlsmem.err"
	e2e_finish
fi
# the wrapper prints tlsmem's pid after starting it: not necessarily before
# tlsmem says it attached
wait_for_line "$TMP/tlsmem.out" '^pid [0-9]+$' 10 "$wrapper"
tlsmem=$(awk '$1 == "pid" { print $2; exit }' "$TMP/tlsmem.out")
if ! request_state "$server" "$state" USR1 || [ "$(state_get "$state" epoch)" != 1 ]; then
	fail setup "gt_server did not start epoch 1"
	e2e_finish
fi

# the main thread (its tid is the pid) waits in a pipe write
blocked()
{
	grep -q pipe_write "/proc/$tlsmem/wchan" 2>/dev/null
}
deadline=$((SECONDS + 30))
until blocked || [ $SECONDS -gt $deadline ]; do sleep 0.05; done
if blocked; then
	pass main_thread_blocked
else
	fail main_thread_blocked "tlsmem never blocked on its output: $(cat "/proc/$tlsmem/wchan" 2>&1)"
	touch "$TMP/go"
	e2e_finish
fi

spawn client "$TLS_CLIENT" --port "$GT_PORT" --conns $CONNS --threads $THREADS \
	--hold $HOLD --bytes $BYTES
client=$LAST_PID
if ! wait_for_line "$TMP/client.out" '^holding ' 300 "$client"; then
	fail load "tls_client did not finish its connections"
	dump "$TMP/client.out" "$TMP/client.err"
	touch "$TMP/go"
	e2e_finish
fi
check_eq client_done "$(grep '^done ' "$TMP/client.out")" "done $CONNS ok 0 failed"
if blocked; then
	pass blocked_through_the_load
else
	fail blocked_through_the_load "the main thread left its write during the load"
fi
if ! settle_gt "$server" "$state" $HOLD $((CONNS - HOLD)); then
	fail settle "server state did not reach open_conns=$HOLD ssl_free=$((CONNS - HOLD))"
	cat "$state"
fi
request_state "$server" "$state" USR2 || fail truth "no final state from gt_server"

# the output flows again: everything the thread kept reaches the model
touch "$TMP/go"
kill -INT "$tlsmem" 2>/dev/null
wait_exit "$wrapper" 30
check_eq tlsmem_exit "$WAIT_RC" 0
[ "$WAIT_RC" = 0 ] || dump "$TMP/tlsmem.err"
JSON_OUT=$TMP/out.json
compare_out events_lost .events.lost 0
compare_out live_bytes .heap.live_bytes "$(state_get "$state" live_bytes)"
compare_out live_blocks .heap.live_blocks "$(state_get "$state" live_blocks)"
compare_out ssl_live .ssl.live $HOLD
compare_out ssl_created .ssl.created "$(state_get "$state" ssl_new)"
compare_out ssl_freed .ssl.freed "$(state_get "$state" ssl_free)"
compare_out complete .complete true
info "events received $(json_get "$JSON_OUT" .events.received)"
check_gt csv_rows "$(wc -l < "$TMP/series.csv")" 1
e2e_finish
