#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tlsmem beside another tracer: a bpftrace return probe on CRYPTO_zalloc
# (as bcc's memleak puts them) replaces the wrapper's return address on the
# stack with the kernel's uretprobe trampoline. The callers of the blocks
# CRYPTO_zalloc returns must still be the real ones (from the kernel's
# record of the original), never the trampoline page with no module, and the
# figures stay exact against gt_server's ground truth.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CONNS=200
HOLD=20

e2e_require
command -v bpftrace >/dev/null || { fail setup "bpftrace missing (make deps installs it)"; e2e_finish; }
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }
state=$TMP/state
start_gt_server server "$state"
server=$GT_PID
lib=$(awk '/libcrypto\.so/ { print $6; exit }' "/proc/$server/maps")

spawn bt bpftrace -e "uretprobe:$lib:CRYPTO_zalloc /pid == $server/ { @zalloc = count(); }"
bt=$LAST_PID
if ! wait_for_line "$TMP/bt.out" '^Attaching' 60 "$bt"; then
	fail setup "bpftrace did not attach"
	dump "$TMP/bt.out" "$TMP/bt.err"
	e2e_finish
fi
if ! start_tlsmem tlsmem -p "$server" --json; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi
tlsmem=$LAST_PID
request_state "$server" "$state" USR1 || fail setup "gt_server did not start epoch 1"

spawn client "$TLS_CLIENT" --port "$GT_PORT" --conns $CONNS --threads 2 --hold $HOLD --bytes 100
if ! wait_for_line "$TMP/client.out" '^holding ' 300 "$LAST_PID"; then
	fail load "tls_client did not finish its connections"
	e2e_finish
fi
settle_gt "$server" "$state" $HOLD $((CONNS - HOLD)) || fail settle "gt_server did not settle"
request_state "$server" "$state" USR2 || fail truth "no final state from gt_server"
stop_tlsmem "$tlsmem"
check_eq tlsmem_exit "$WAIT_RC" 0
kill -INT "$bt" 2>/dev/null
wait_exit "$bt" 30
# the other tracer did see CRYPTO_zalloc return, so its trampoline was there
check_gt bpftrace_fired "$(sed -n 's/^@zalloc: //p' "$TMP/bt.out")" 0

compare_out live_bytes .heap.live_bytes "$(state_get "$state" live_bytes)"
compare_out live_blocks .heap.live_blocks "$(state_get "$state" live_blocks)"
compare_out ssl_created .ssl.created "$(state_get "$state" ssl_new)"
trampoline=$(json_get "$TMP/tlsmem.out" \
	'[.sites[] | select(.module == "?" and (.caller | test("^0x[0-9a-f]*000$")))] | length')
check_eq no_trampoline_callers "$trampoline" 0
# zalloc'ed blocks are named: BN_new's own call (bn_lib.c), as without bpftrace
check_gt zalloc_callers_named "$(json_get "$TMP/tlsmem.out" \
	'[.sites[] | select(.module != "?" and (.file | test("bn_lib.c")))] | length')" 0
e2e_finish
