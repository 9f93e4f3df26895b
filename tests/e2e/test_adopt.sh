#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Connections opened before attach are adopted when they next read or write:
# gt_server's threads sit in SSL_read, so the first call tlsmem can see on
# them is the SSL_write (then SSL_read) of one more echo, which the client
# makes on SIGUSR1. Where SSL_read/SSL_write are probed in the function
# they call (their own entry would be single-stepped), that function must
# receive the same SSL *. No connection is created or closed meanwhile.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

HOLD=40

e2e_require
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }

start_gt_server server "$TMP/state"
server=$GT_PID
port=$GT_PORT

spawn client "$TLS_CLIENT" --port "$port" --conns $HOLD --threads 4 --hold $HOLD --bytes 100
client=$LAST_PID
if ! wait_for_line "$TMP/client.out" '^holding ' 60 "$client"; then
	fail setup "tls_client did not open its connections"
	dump "$TMP/client.out" "$TMP/client.err"
	e2e_finish
fi
check_eq client_holding "$(grep '^holding ' "$TMP/client.out")" "holding $HOLD"

# connections opened before attach are counted and said while they wait
run_tlsmem pre -p "$server" -d 0.5 --json
check_eq pre.exit "$RC" 0
check_eq pre.said "$(grep -c "^tlsmem: $HOLD connections opened before attach: adopted when they next read or write" "$ERR")" 1
check_eq pre.json_before_attach "$(json_get "$OUT" .sockets.before_attach)" $HOLD
check_eq pre.json_waiting "$(json_get "$OUT" .sockets.before_attach_waiting)" $HOLD

if ! start_tlsmem tlsmem -p "$server" --json -v; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi
tlsmem=$LAST_PID
pass attach

kill -USR1 "$client"
if ! wait_for_line "$TMP/client.out" '^exchanged ' 30 "$client"; then
	fail exchange "tls_client did not exchange on its held connections"
	dump "$TMP/client.out" "$TMP/client.err"
fi
check_eq client_exchanged "$(grep '^exchanged ' "$TMP/client.out")" "exchanged $HOLD"
# every held connection made its SSL_write before the client saw the echo, and
# tlsmem drains the ring buffer before it stops: nothing to wait for
stop_tlsmem "$tlsmem"
check_eq tlsmem_exit "$WAIT_RC" 0
json=$TMP/tlsmem.out
compare_out ssl_adopted .ssl.adopted $HOLD
compare_out ssl_live .ssl.live $HOLD
compare_out ssl_created .ssl.created 0
compare_out ssl_freed .ssl.freed 0
# every one of them adopted: none waits any more
compare_out before_attach .sockets.before_attach $HOLD
compare_out before_attach_waiting .sockets.before_attach_waiting 0
# what this covers on Debian's libssl: SSL_read and SSL_write probed in the
# functions they call, their own entries being single-stepped
for f in SSL_read SSL_write; do
	if grep -q "$f in .*libssl.*: probed in the function it calls" "$TMP/tlsmem.err"; then
		pass "${f}_moved"
	else
		fail "${f}_moved" "$f is probed at its own entry"
	fi
done
kill "$client" 2>/dev/null
e2e_finish
