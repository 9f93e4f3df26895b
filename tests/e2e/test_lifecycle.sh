#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Leaks proven from lifecycles in one short run, and silence on healthy
# servers. Each scenario attaches tlsmem (--json --fail-on-growth) to a
# server, drives CONNS connections through it with tls_client, waits until
# the server has freed them all, then stops tlsmem: the verdict must be in
# the final JSON and the exit status, however short the run.
# - after:   gt_server --leak-per-conn (a 32-byte state allocated right after
#            SSL_new, netty-tcnative's newSSL): leak-per-connection at
#            tcn_state_new, orphan blocks equal to the server's own count.
# - exdata:  the same state allocated before SSL_new and hung on the SSL
#            object with SSL_set_ex_data.
# - tenth:   one connection in ten keeps its state, the others free it.
# - session: every connection keeps a reference to its session: session-leak,
#            and no leak-per-connection.
# - healthy: gt_server without leaks: exit 0, no active flag.
# - stunnel: Debian's stunnel with its default session cache: exit 0, the
#            cache reported as such (informational).
# - s_server: openssl s_server, clients resuming sessions: exit 0.
# - nginx:   nginx with ssl_session_cache shared, new and resumed sessions:
#            exit 0.
# - node:    node's TLS server, 1000 connections opened and closed: exit 0.
# - pooled:  gt_server with SSL_MODE_RELEASE_BUFFERS (buffers given back and
#            taken again while connections idle): exit 0.
# Time to verdict (closed connections weighed when the flag was first
# raised, and seconds) is printed for each leak.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CONNS=600
SRC=tests/targets/gt_server.c

e2e_require
gen_cert "$TMP" || { fail setup "no certificate"; e2e_finish; }

# observe NAME PID: starts tlsmem on PID; sets TLM
observe()
{
	if ! start_tlsmem "tlm_$1" -p "$2" --json --fail-on-growth -d 300; then
		fail "$1.attach" "no 'tlsmem: attached' line"
		dump "$TMP/tlm_$1.err"
		return 1
	fi
	TLM=$LAST_PID
}

# finish NAME: stops tlsmem; sets RC and J (its JSON)
finish()
{
	stop_tlsmem "$TLM"
	RC=$WAIT_RC
	J=$TMP/tlm_$1.out
	if ! jq -e . "$J" >/dev/null 2>&1; then
		fail "$1.json" "no JSON summary (exit $RC)"
		dump "$TMP/tlm_$1.err"
		return 1
	fi
}

# active KIND: the active flags of that kind in $J
active()
{
	json_get "$J" "[.flags[] | select(.active and .kind == \"$1\")] | length"
}

# gt_case NAME EXPECT_KIND ARG...: a gt_server scenario
gt_case()
{
	local name=$1 kind=$2 state=$TMP/$1.state t0 t1 flag truth got

	shift 2
	start_gt_server "srv_$name" "$state" "$@"
	observe "$name" "$GT_PID" || return
	t0=$(date +%s.%N)
	"$TLS_CLIENT" --port "$GT_PORT" --conns "$CONNS" --threads 4 >"$TMP/cl_$name.out" 2>&1
	t1=$(date +%s.%N)
	if ! settle_gt "$GT_PID" "$state" 0 "$CONNS"; then
		fail "$name.settle" "gt_server did not free its $CONNS connections"
		return
	fi
	finish "$name" || return
	info "$name: $CONNS connections in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
	if [ "$kind" = none ]; then
		check_eq "$name.exit" "$RC" 0
		check_eq "$name.no_leak" "$(active leak-per-connection)" 0
		check_eq "$name.no_session_leak" "$(active session-leak)" 0
		check_eq "$name.no_growth" "$(active growth)" 0
		return
	fi
	check_eq "$name.exit" "$RC" 3
	check_eq "$name.flagged" "$(active "$kind")" 1
	flag=$(json_get "$J" "[.flags[] | select(.kind == \"$kind\")][0]")
	info "$name: $(jq -r .message <<<"$flag")"
	info "$name: time to verdict: $(jq -r .owners_freed_at_raise <<<"$flag") closed" \
	     "connections, $(jq -r '.since_s * 10 | round / 10' <<<"$flag") s after attach"
	check_eq "$name.evidence" "$(jq -r .evidence <<<"$flag")" lifecycle
	got=$(jq -r .owners_freed_at_raise <<<"$flag")
	[ "$got" -le 300 ] 2>/dev/null && pass "$name.within_300" ||
		fail "$name.within_300" "verdict after $got closed connections"
	[ "$kind" = session-leak ] && return
	check_eq "$name.site" "$(jq -r '.site.file + ":" + .site.caller' <<<"$flag")" \
		"$SRC:tcn_state_new"
	request_state "$GT_PID" "$state" USR2
	truth=$(state_get "$state" tcn_states)
	got=$(json_get "$J" "[.orphans[] | select(.caller == \"tcn_state_new\") | .live_blocks] | add")
	info "$name: orphan blocks at tcn_state_new tlsmem=$got truth=$truth"
	check_eq "$name.orphans_exact" "$got" "$truth"
}

gt_case after leak-per-connection --leak-per-conn
check_eq after.how "$(json_get "$J" '[.flags[] | select(.kind == "leak-per-connection")][0].message | test("right after SSL_new")')" true
gt_case exdata leak-per-connection --leak-ex-data
check_eq exdata.how "$(json_get "$J" '[.flags[] | select(.kind == "leak-per-connection")][0].message | test("SSL_set_ex_data")')" true
gt_case tenth leak-per-connection --leak-every 10
check_eq tenth.left "$(json_get "$J" '[.flags[] | select(.kind == "leak-per-connection")][0].owners_left')" $((CONNS / 10))
gt_case session session-leak --leak-session
check_eq session.no_leak "$(active leak-per-connection)" 0
gt_case healthy none
gt_case pooled none --release-buffers

# echo_backend NAME: a plain TCP echo server on loopback; sets BACK_PORT
echo_backend()
{
	spawn "$1" python3 -c '
import socket, socketserver, sys
class H(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            d = self.request.recv(65536)
            if not d:
                break
            self.request.sendall(d)
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
print("listening", s.server_address[1], flush=True)
s.serve_forever()'
	wait_for_line "$TMP/$1.out" '^listening [0-9]+$' 10 "$LAST_PID" || return 1
	BACK_PORT=$(awk '{ print $2; exit }' "$TMP/$1.out")
}

# wait_closed PORT: until no connection to 127.0.0.1:PORT is established (10 s at
# most): stunnel and node free an SSL object once both sides closed
wait_closed()
{
	for _ in $(seq 1 100); do
		[ "$(ss -Htn state established "( sport = :$1 )" | wc -l)" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_listen PORT: until something accepts on 127.0.0.1:PORT (10 s at most)
wait_listen()
{
	for _ in $(seq 1 100); do
		ss -Htln "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

stunnel_case()
{
	local port conf=$TMP/stunnel.conf

	if ! command -v stunnel4 >/dev/null; then
		fail stunnel.setup "stunnel4 is not installed (tests/deps.sh)"
		return
	fi
	echo_backend backend || { fail stunnel.setup "no echo backend"; return; }
	port=$(free_port)
	cat >"$conf" <<CONF
foreground = yes
pid =
[echo]
accept = 127.0.0.1:$port
connect = 127.0.0.1:$BACK_PORT
cert = $TMP/cert.pem
key = $TMP/key.pem
CONF
	spawn stunnel stunnel4 "$conf"
	local spid=$LAST_PID
	wait_listen "$port" || { fail stunnel.setup "stunnel did not listen"; dump "$TMP/stunnel.err"; return; }
	observe stunnel "$spid" || return
	"$TLS_CLIENT" --port "$port" --conns 300 --threads 4 >"$TMP/cl_stunnel.out" 2>&1
	wait_closed "$port"
	finish stunnel || return
	check_eq stunnel.exit "$RC" 0
	check_eq stunnel.no_leak "$(active leak-per-connection)" 0
	check_eq stunnel.no_session_leak "$(active session-leak)" 0
	got=$(json_get "$J" '.owners.sessions_cached')
	info "stunnel: $(json_get "$J" '.ssl.freed') connections closed, $got sessions cached;" \
	     "$(json_get "$J" '[.flags[] | select(.kind == "cache")][0].message')"
	check_gt stunnel.cache_seen "$got" 0
}

s_server_case()
{
	local port

	port=$(free_port)
	spawn s_server openssl s_server -accept "127.0.0.1:$port" -cert "$TMP/cert.pem" \
		-key "$TMP/key.pem" -www -quiet
	local spid=$LAST_PID
	wait_listen "$port" || { fail s_server.setup "s_server did not listen"; return; }
	observe s_server "$spid" || return
	# new sessions, then resumed ones (TLS 1.2 and 1.3)
	for v in -tls1_2 -tls1_3; do
		timeout 60 openssl s_time -connect "127.0.0.1:$port" -new -time 2 $v >/dev/null 2>&1
		timeout 60 openssl s_time -connect "127.0.0.1:$port" -reuse -time 2 $v \
			>"$TMP/s_time$v.out" 2>&1
	done
	finish s_server || return
	check_eq s_server.exit "$RC" 0
	check_eq s_server.no_leak "$(active leak-per-connection)" 0
	check_eq s_server.no_session_leak "$(active session-leak)" 0
	info "s_server: $(json_get "$J" '.ssl.freed') connections closed," \
	     "$(json_get "$J" '.owners.sessions_cached') sessions cached"
	check_gt s_server.conns "$(json_get "$J" '.ssl.freed')" 100
}

# s_time_load NAME PORT [ARG...]: new, then resumed sessions, TLS 1.2 and 1.3
s_time_load()
{
	local name=$1 port=$2 v

	shift 2
	for v in -tls1_2 -tls1_3; do
		timeout 60 openssl s_time -connect "127.0.0.1:$port" -new -time 2 $v "$@" \
			>"$TMP/s_time_$name$v.new" 2>&1
		timeout 60 openssl s_time -connect "127.0.0.1:$port" -reuse -time 2 $v "$@" \
			>"$TMP/s_time_$name$v.reuse" 2>&1
	done
}

nginx_case()
{
	local conf=$TMP/nginx/nginx.conf port master workers

	if ! command -v nginx >/dev/null; then
		fail nginx.setup "nginx is not installed (tests/deps.sh)"
		return
	fi
	port=$(free_port)
	nginx_conf "$TMP/nginx" "$port" "ssl_session_cache shared:SSL:1m;" \
		"ssl_session_timeout 10m;"
	spawn nginx nginx -p "$TMP/nginx" -c "$conf" -e "$TMP/nginx/error.log"
	master=$LAST_PID
	wait_listen "$port" || { fail nginx.setup "nginx did not listen"; dump "$TMP/nginx.err"; return; }
	for _ in $(seq 1 100); do
		workers=$(pgrep -P "$master" | paste -sd, -)
		[ "$(tr , '\n' <<<"$workers" | grep -c .)" -ge 2 ] && break
		sleep 0.1
	done
	observe nginx "$workers" || return
	s_time_load nginx "$port" -www /
	finish nginx || return
	check_eq nginx.exit "$RC" 0
	check_eq nginx.no_leak "$(active leak-per-connection)" 0
	check_eq nginx.no_session_leak "$(active session-leak)" 0
	info "nginx: $(json_get "$J" '.ssl.freed') connections closed," \
	     "$(json_get "$J" '.owners.session.created') sessions created"
	check_gt nginx.conns "$(json_get "$J" '.ssl.freed')" 100
}

node_case()
{
	local node port

	node=$(command -v node) || { fail node.setup "node not found on PATH"; return; }
	spawn node_srv "$node" tests/targets/node_server.js --port 0 --cert "$TMP/cert.pem" \
		--key "$TMP/key.pem"
	local npid=$LAST_PID
	if ! wait_for_line "$TMP/node_srv.out" '^listening [0-9]+ pid [0-9]+$' 20 "$npid"; then
		fail node.setup "node_server.js did not start"
		dump "$TMP/node_srv.err"
		return
	fi
	port=$(awk '{ print $2; exit }' "$TMP/node_srv.out")
	observe node "$npid" || return
	"$TLS_CLIENT" --port "$port" --conns 1000 --threads 4 --bytes 100 \
		>"$TMP/cl_node.out" 2>&1
	wait_closed "$port"
	finish node || return
	check_eq node.exit "$RC" 0
	check_eq node.no_leak "$(active leak-per-connection)" 0
	check_eq node.no_session_leak "$(active session-leak)" 0
	check_gt node.conns "$(json_get "$J" '.ssl.freed')" 900
	info "node: $(json_get "$J" '.ssl.freed') closed; per closed connection:" \
	     "$(json_get "$J" '.ssl_cost.closed.mean_peak_bytes | round') B at peak"
}

stunnel_case
s_server_case
nginx_case
node_case
e2e_finish
