#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The live view's process table on a real terminal: nginx with 2 workers
# (reuseport, so the kernel spreads connections over both), observed with
# tlsmem -p MASTER --children inside tmux while tls_client holds connections
# open. The kernel says which worker holds which connection (ss -p); P must
# show every process with those live SSL counts, and Enter on a worker must
# show that worker's sites only: its SSL_new blocks are its connections, not
# all of them. Then two gt_servers under -p A,B, one with a per-connection
# leak: the flags column says LEAK on its row only.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

HOLD=25		# odd: the workers cannot hold as many each, the sort tells them apart
CHURN=600	# closed connections per gt_server: a lifecycle verdict needs <= 300
SOCK=tlsmem-e2e-$$
SCREEN=$TMP/screen
PANE=pv		# the tmux session read and typed into

tm()
{
	tmux -L "$SOCK" "$@"
}

trap 'tm kill-server 2>/dev/null; _cleanup' EXIT

# snap: the screen into $SCREEN, a frame drawn whole
snap()
{
	capture_settled "$SCREEN" "$SOCK" "$PANE"
}

key()
{
	tm send-keys -t "$PANE" "$@"
}

# proc_ssl PID: the LIVE SSL column of PID's row in the process table on the screen
proc_ssl()
{
	awk -v p="$1" '/ PROGRAM / { t = 1; next } t && $1 == p { print $3; exit }' "$SCREEN"
}

# wait_proc_ssl PID N TIMEOUT_S: until PID's row says N live SSL (a figure of an interval)
wait_proc_ssl()
{
	local deadline=$((SECONDS + $3))

	while [ $SECONDS -le $deadline ]; do
		snap
		[ "$(proc_ssl "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# ssl_new_blocks: the BLOCKS column of the site table's first ssl_lib.c row called from SSL_new
ssl_new_blocks()
{
	awk '/FILE:LINE/ { t = 1; next }
	     t && /ssl\/ssl_lib\.c:[0-9]+ +SSL_new / { print $3; exit }' "$SCREEN"
}

# blocks_are N: the site table's SSL_new row says N blocks
blocks_are()
{
	[ "$(ssl_new_blocks)" = "$1" ]
}

# conns_of PID: established connections on the port that PID holds (the kernel's word)
conns_of()
{
	ss -Htnp state established "( sport = :$port )" 2>/dev/null | grep -c "pid=$1,"
}

# open_proc PID: filters the process table to PID and opens it
open_proc()
{
	key /
	key "$1" Enter
	wait_screen "filter \"$1\"" 5 || return 1
	key Enter
	wait_screen "^process $1 \\(nginx\\) only" 10
}

e2e_require
for cmd in tmux nginx ss; do
	if ! command -v $cmd >/dev/null; then
		fail setup "$cmd missing (make deps installs it)"
		e2e_finish
	fi
done
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }
port=$(free_port)
NGINX_LISTEN=reuseport nginx_conf "$TMP/nginx" "$port" "client_header_timeout 300s;"
spawn nginx nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
master=$LAST_PID
for _ in $(seq 1 100); do
	workers=$(pgrep -P "$master" | sort -n | tr '\n' ' ')
	[ "$(wc -w <<<"$workers")" -ge 2 ] && ss -Htln "sport = :$port" | grep -q . && break
	sleep 0.1
done
read -r w1 w2 _ <<<"$workers"
if [ -z "$w2" ]; then
	fail setup "nginx did not start 2 workers"
	dump "$TMP/nginx.err" "$TMP/nginx/error.log"
	e2e_finish
fi

tm new-session -d -s pv -x 160 -y 50 \
	"sh -c 'echo \$\$ >$TMP/tlsmem.pid; exec $TLSMEM -p $master --children 2>$TMP/tlsmem.err';
	 echo \$? >$TMP/tlsmem.rc"
# the server outlives its sessions: a session started just as the last one
# ends would reach a server on its way out ("server exited unexpectedly")
tm set-option -g exit-empty off
for _ in $(seq 1 50); do
	[ -s "$TMP/tlsmem.pid" ] && break
	sleep 0.1
done
tlsmem=$(cat "$TMP/tlsmem.pid" 2>/dev/null)
[ -n "$tlsmem" ] && track_pid "$tlsmem"
if ! wait_screen 'lost [0-9]+' 60; then
	fail header "no header on the screen within 60 s"
	cat "$SCREEN"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi
if wait_screen '^tlsmem - 3 processes \(3 running\)' 10; then
	pass title
else
	fail title "$(head -1 "$SCREEN")"
fi

# the probes are live: these connections are seen from SSL_new
spawn client "$TLS_CLIENT" --port "$port" --conns $HOLD --threads 4 --hold $HOLD --bytes 0
if ! wait_for_line "$TMP/client.out" '^holding ' 60 "$LAST_PID"; then
	fail load "tls_client did not hold its connections"
	dump "$TMP/client.out" "$TMP/client.err"
	e2e_finish
fi
for _ in $(seq 1 100); do
	n1=$(conns_of "$w1")
	n2=$(conns_of "$w2")
	[ $((n1 + n2)) -eq $HOLD ] && break
	sleep 0.1
done
info "the kernel: worker $w1 holds $n1 connections, worker $w2 holds $n2"
check_eq conns_held "$((n1 + n2))" $HOLD
wait_screen "^SSL +$HOLD live" 30 || fail live_ssl "$(grep '^SSL' "$SCREEN")"
screen_until 10 blocks_are $HOLD
# the site table of all processes: every connection's SSL_new block
check_eq all_ssl_new_blocks "$(ssl_new_blocks)" $HOLD

key P
if wait_screen 'PID +PROGRAM +CONTAINER +LIVE SSL +[v▼]LIVE BYTES +PER SSL +FLAGS' 5; then
	pass proc_table
else
	fail proc_table "no process table"
	cat "$SCREEN"
fi
for w in "$w1" "$w2"; do
	n=$(conns_of "$w")
	if wait_proc_ssl "$w" "$n" 15; then
		pass "worker_$w.live_ssl"
	else
		fail "worker_$w.live_ssl" "expected $n, got $(proc_ssl "$w")"
	fi
done
check_eq master.live_ssl "$(proc_ssl "$master")" 0
wait_screen '\[processes\]' 5 && pass footer || fail footer "$(tail -1 "$SCREEN")"
# sorted by OpenSSL bytes: the worker with more connections first
rows=$(awk '/ PROGRAM / { t = 1; next } t && $1 ~ /^[0-9]+$/ { print $1 }' "$SCREEN" | tr '\n' ' ')
info "table rows: $rows"
if [ "$n1" -ne "$n2" ]; then
	top=$w1
	[ "$n2" -gt "$n1" ] && top=$w2
	check_eq sorted_by_bytes "$(awk '{ print $1 }' <<<"$rows")" "$top"
fi

# Enter on each worker: its own sites, then Esc back to the table
for w in "$w1" "$w2"; do
	n=$(conns_of "$w")
	if ! open_proc "$w"; then
		fail "worker_$w.open" "$(sed -n 1,8p "$SCREEN")"
		continue
	fi
	pass "worker_$w.open"
	wait_screen "\[sites of $w\]" 5 || fail "worker_$w.footer" "$(tail -1 "$SCREEN")"
	if [ "$n" -gt 0 ]; then
		screen_until 10 blocks_are "$n"
		check_eq "worker_$w.ssl_new_blocks" "$(ssl_new_blocks)" "$n"
	fi
	key Escape
	wait_screen 'PID +PROGRAM +CONTAINER' 5 || fail "worker_$w.back" "Esc did not go back"
	key Escape		# the table's filter goes
	wait_screen "^ +$master +nginx" 5 || fail "worker_$w.unfiltered" "the filter stayed"
done

key q
for _ in $(seq 1 100); do
	[ -s "$TMP/tlsmem.rc" ] && break
	sleep 0.1
done
check_eq exit_status "$(cat "$TMP/tlsmem.rc" 2>/dev/null)" 0

# 80x24: the table fits, its figures whole
tm new-session -d -s small -x 80 -y 24 "sh -c 'exec $TLSMEM -p $master --children 2>$TMP/small.err'"
tm resize-window -t small -x 80 -y 24 2>/dev/null
small()
{
	local deadline=$((SECONDS + $2))

	while [ $SECONDS -le $deadline ]; do
		capture_settled "$SCREEN" "$SOCK" small
		grep -Eq -- "$1" "$SCREEN" && return 0
		sleep 0.2
	done
	return 1
}
if small 'lost [0-9]+' 60; then
	tm send-keys -t small P
	if small 'PID +PROGRAM +CONTAINER +LIVE SSL +[v▼]LIVE BYTES +PER SSL +FLAGS' 5 &&
	   small "^ +$w1 +nginx +[0-9]+ +[0-9.]+ [KMG]?i?B" 10 &&
	   [ "$(max_cols "$SCREEN")" -le 80 ]; then
		pass small.table
	else
		fail small.table "$(cat "$SCREEN")"
	fi
	tm send-keys -t small q
else
	fail small.header "no header within 60 s"
fi

# -p A,B: A leaks a 32-byte block per connection (at tcn_state_new, a site of
# the executable both map), B does not; only A's row carries the flag
start_gt_server srv_a "$TMP/a.state" --leak-per-conn
a=$GT_PID a_port=$GT_PORT
start_gt_server srv_b "$TMP/b.state"
b=$GT_PID b_port=$GT_PORT
PANE=fl
tm new-session -d -s fl -x 160 -y 50 "sh -c 'exec $TLSMEM -p $a,$b 2>$TMP/fl.err'"
if ! wait_screen 'lost [0-9]+' 60; then
	fail flags.header "no header within 60 s"
	dump "$TMP/fl.err"
	e2e_finish
fi
grep -q "^tlsmem - pid $a (gt_server), pid $b (gt_server)" "$SCREEN" && pass flags.title ||
	fail flags.title "$(head -1 "$SCREEN")"
timeout 120 "$TLS_CLIENT" --port "$a_port" --conns $CHURN --threads 4 </dev/null \
	>"$TMP/cl_a.out" 2>&1 &
cl_a=$!
timeout 120 "$TLS_CLIENT" --port "$b_port" --conns $CHURN --threads 4 </dev/null \
	>"$TMP/cl_b.out" 2>&1
wait "$cl_a"
if wait_screen '^flags +LEAK ' 60; then
	pass flags.raised
else
	fail flags.raised "$(grep -A2 '^flags' "$SCREEN")"
fi
key P
wait_screen 'PID +PROGRAM +CONTAINER' 5
# the flags column is walked once an interval: wait for the next one
deadline=$((SECONDS + 15))
while [ $SECONDS -le $deadline ]; do
	snap
	awk -v p="$a" '/ PROGRAM / { t = 1; next } t && $1 == p' "$SCREEN" | grep -q ' LEAK$' && break
	sleep 0.2
done
row_a=$(awk -v p="$a" '/ PROGRAM / { t = 1; next } t && $1 == p' "$SCREEN")
row_b=$(awk -v p="$b" '/ PROGRAM / { t = 1; next } t && $1 == p' "$SCREEN")
info "rows: $row_a | $row_b"
[[ "$row_a" =~ \ LEAK$ ]] && pass flags.leaking_row || fail flags.leaking_row "$row_a"
[[ -n "$row_b" && ! "$row_b" =~ LEAK ]] && pass flags.healthy_row || fail flags.healthy_row "$row_b"
key q
[ "$N_FAIL" -gt 0 ] && dump "$TMP/tlsmem.err" "$TMP/fl.err"
e2e_finish
