#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tlsmem on an unmodified OpenSSL program: `openssl s_server -www`, which
# serves one connection at a time and frees its SSL object before accepting
# the next. Part 1: exactly K sequential s_client requests. Parts 2 and 3: a
# fresh attach while `openssl s_time -new` (then plain `s_time`) hammers the
# server; its printed connection counts must match the SSL objects tlsmem saw
# the server create.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

K=50
STIME_S=3

# s_client_get PORT: one "GET /" through s_client; true when s_server answered
s_client_get()
{
	printf 'GET / HTTP/1.0\r\n\r\n' |
		timeout 20 openssl s_client -connect "127.0.0.1:$1" -quiet 2>/dev/null |
		grep -q '^HTTP/1.0 200 ok'
}

# field NAME FILTER: a value from the JSON of tlsmem run NAME
field()
{
	json_get "$TMP/$1.out" "$2"
}

# stop_and_check NAME PID FREED: once tlsmem NAME saw FREED SSL objects freed,
# stops it and checks its exit and its JSON
stop_and_check()
{
	# s_server frees the last connection's SSL a moment after the client is
	# done: wait until tlsmem's time series has FREED of them freed
	wait_csv "$TMP/$1.csv" ssl_freed "v >= $3" 30 ||
		info "$1: ssl_freed in the CSV is ${CSV_V:-none} after 30 s, expected $3"
	stop_tlsmem "$2"
	check_eq "$1.exit" "$WAIT_RC" 0
	if [ -z "$(field "$1" .ssl.created)" ]; then
		fail "$1.json" "no valid JSON on tlsmem's stdout"
		dump "$TMP/$1.out" "$TMP/$1.err"
		return 1
	fi
	info "$1: ssl created=$(field "$1" .ssl.created) freed=$(field "$1" .ssl.freed)" \
		"live=$(field "$1" .ssl.live) heap allocs=$(field "$1" .heap.allocs)" \
		"frees=$(field "$1" .heap.frees) live_bytes=$(field "$1" .heap.live_bytes)" \
		"events=$(field "$1" .events.received) lost=$(field "$1" .events.lost)"
}

# stime_expected FILE: the number of SSL objects s_server creates for the
# s_time run whose output is FILE. Established against gt_server's SSL_new
# counter with OpenSSL 3.0:
#  - each timing pass prints its count twice, "N connections in T.TTs; ..."
#    (user time) and "N connections in S real seconds, ..." (same N);
#  - a pass counts only completed connections, and s_time stops at the first
#    failure, so the server sees one SSL_new per counted connection;
#  - the session-reuse pass ("Now timing with session id reuse", run when
#    -new is not given) first makes one uncounted connection to get the
#    session, so it adds N + 1.
# With -new only the first pass runs: expected = N.
stime_expected()
{
	local total=0 n _

	while read -r n _; do
		total=$((total + n))
	done < <(grep -Eo '^[0-9]+ connections in [0-9.]+s;' "$1")
	grep -q '^Now timing with session id reuse' "$1" && total=$((total + 1))
	echo $total
}

# both count lines of each pass agree
stime_consistent()
{
	local a b

	a=$(grep -Eo '^[0-9]+ connections in [0-9.]+s;' "$1" | cut -d' ' -f1 | tr '\n' ' ')
	b=$(grep -Eo '^[0-9]+ connections in [0-9]+ real seconds' "$1" | cut -d' ' -f1 |
		tr '\n' ' ')
	[ -n "$a" ] && [ "$a" = "$b" ]
}

# stime_part N [S_TIME_OPTION...]: one s_time run under a fresh tlsmem -p
stime_part()
{
	local n=$1 name=s_time$1 expected tlsmem

	shift
	if ! start_tlsmem "tlsmem$n" -p "$server" --json -i 0.2 -o "$TMP/tlsmem$n.csv"; then
		fail "attach$n" "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/tlsmem$n.err"
		return
	fi
	tlsmem=$LAST_PID
	timeout $((STIME_S * 8 + 30)) openssl s_time -connect "127.0.0.1:$port" "$@" \
		-time $STIME_S </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
	check_eq "$name.exit" $? 0
	grep -E 'connections|reuse' "$TMP/$name.out" | sed "s/^/  $TEST_NAME: $name${*:+ $*}: /"
	if stime_consistent "$TMP/$name.out"; then
		pass "$name.output"
	else
		fail "$name.output" "cannot parse s_time's connection counts"
		dump "$TMP/$name.out" "$TMP/$name.err"
	fi
	expected=$(stime_expected "$TMP/$name.out")
	stop_and_check "tlsmem$n" "$tlsmem" "$expected" || return
	check_gt "$name.connections" "$expected" 0
	check_eq "$name.ssl_created" "$(field "tlsmem$n" .ssl.created)" "$expected"
	check_eq "$name.ssl_freed" "$(field "tlsmem$n" .ssl.freed)" "$expected"
	check_eq "$name.ssl_live" "$(field "tlsmem$n" .ssl.live)" 0
	check_eq "$name.events_lost" "$(field "tlsmem$n" .events.lost)" 0
}

e2e_require
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }
port=$(free_port) || { fail setup "no free loopback port"; e2e_finish; }

spawn s_server openssl s_server -accept "127.0.0.1:$port" -cert "$TMP/cert.pem" \
	-key "$TMP/key.pem" -www
server=$LAST_PID
if ! wait_for_line "$TMP/s_server.out" '^ACCEPT' 10 "$server"; then
	fail setup "openssl s_server did not start"
	dump "$TMP/s_server.out" "$TMP/s_server.err"
	e2e_finish
fi

# part 1: K sequential s_client requests
if ! start_tlsmem tlsmem1 -p "$server" --json -i 0.2 -o "$TMP/tlsmem1.csv"; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem1.err"
	e2e_finish
fi
tlsmem=$LAST_PID
ok=0
for _ in $(seq 1 $K); do
	s_client_get "$port" && ok=$((ok + 1))
done
check_eq s_client_ok "$ok" $K
if stop_and_check tlsmem1 "$tlsmem" $K; then
	check_eq s_client.ssl_created "$(field tlsmem1 .ssl.created)" $K
	check_eq s_client.ssl_freed "$(field tlsmem1 .ssl.freed)" $K
	check_eq s_client.ssl_live "$(field tlsmem1 .ssl.live)" 0
	check_eq s_client.events_lost "$(field tlsmem1 .events.lost)" 0
	check_gt s_client.heap_allocs "$(field tlsmem1 .heap.allocs)" 0
fi

# parts 2 and 3: s_time against a fresh attach each; "-new" times new
# connections only, no option adds the session-reuse pass
stime_part 2 -new
stime_part 3
e2e_finish
