#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# make soak: SOAK_S (default 1800) seconds of connection churn against
# gt_server and nginx (2 workers), each observed by its own tlsmem -p.
# tlsmem's own RSS, its site table and its CPU are sampled at 1, 10 and 30
# minutes (or at the end, for a shorter SOAK_S) and must stay bounded; at
# the end no flag may have been raised (the churn leaks nothing), no event
# lost, and gt_server's ground truth must match tlsmem's figures exactly.
# Not part of make test. Prints PASS/FAIL lines and a table of the samples.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/e2e/lib.sh"

SOAK_S=${SOAK_S:-1800}
RSS_BOUND_KB=${RSS_BOUND_KB:-262144}	# 256 MiB: tlsmem's RSS never above
CPU_BOUND_PCT=${CPU_BOUND_PCT:-25}	# of one CPU, averaged between samples
SITES_BOUND=${SITES_BOUND:-2000}
RSS_GROWTH_KB=${RSS_GROWTH_KB:-16384}	# from the 10-minute sample to the end: 16 MiB at most
RATE=40					# gt_server: short connections a second
HOLD=50					# gt_server: held connections, one more a second

# proc_rss_kb PID / proc_cpu_ticks PID: from /proc
proc_rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

proc_cpu_ticks()
{
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# sample LABEL: one row per tlsmem into $TMP/samples, checked against the bounds
declare -A LAST_T LAST_C RSS_WARM
sample()
{
	local label=$1 name pid rss cpu sites dt pct now hz

	hz=$(getconf CLK_TCK)
	now=$(date +%s.%N)
	for name in gt nginx; do
		pid=${TL[$name]}
		rss=$(proc_rss_kb "$pid")
		cpu=$(proc_cpu_ticks "$pid")
		sites=$(($(wc -l <"$TMP/$name.sites.csv" 2>/dev/null || echo 1) - 1))
		dt=$(awk -v a="${LAST_T[$name]}" -v b="$now" 'BEGIN { print b - a }')
		pct=$(awk -v c0="${LAST_C[$name]}" -v c1="$cpu" -v dt="$dt" -v hz="$hz" \
			'BEGIN { printf "%.1f", (dt > 0 ? 100 * (c1 - c0) / hz / dt : 0) }')
		LAST_T[$name]=$now
		LAST_C[$name]=$cpu
		printf '%-6s %-6s %10s %8s %8s %10s %10s %8s\n' "$label" "$name" "${rss:-?}" \
			"$pct" "$sites" "$(csv_last "$TMP/$name.csv" live_ssl)" \
			"$(csv_last "$TMP/$name.csv" ssl_created)" \
			"$(csv_last "$TMP/$name.csv" events_lost)" | tee -a "$TMP/samples"
		if [ -z "$rss" ] || [ "$rss" -gt "$RSS_BOUND_KB" ]; then
			fail "$label.$name.rss" "tlsmem RSS ${rss:-gone} KiB (bound $RSS_BOUND_KB)"
		fi
		# bounded means flat once warm: what it gains after the 10-minute sample
		[ "$label" = 600s ] && RSS_WARM[$name]=$rss
		if [ -n "${RSS_WARM[$name]:-}" ] && [ -n "$rss" ] && [ "$label" != 600s ] &&
		   [ $((rss - RSS_WARM[$name])) -gt "$RSS_GROWTH_KB" ]; then
			fail "$label.$name.rss_growth" "tlsmem RSS grew $(((rss - RSS_WARM[$name]) / 1024)) MiB since the 10-minute sample (bound $((RSS_GROWTH_KB / 1024)) MiB)"
		fi
		awk -v p="$pct" -v b="$CPU_BOUND_PCT" 'BEGIN { exit !(p <= b) }' ||
			fail "$label.$name.cpu" "tlsmem used $pct% of a CPU (bound $CPU_BOUND_PCT%)"
		[ "$sites" -le "$SITES_BOUND" ] ||
			fail "$label.$name.sites" "$sites sites (bound $SITES_BOUND)"
		[ -z "$(csv_last "$TMP/$name.csv" flags)" ] ||
			fail "$label.$name.flags" "flag raised: $(csv_last "$TMP/$name.csv" flags)"
		[ "$(csv_last "$TMP/$name.csv" events_lost)" = 0 ] ||
			fail "$label.$name.lost" "$(csv_last "$TMP/$name.csv" events_lost) events lost"
	done
}

e2e_require
command -v nginx >/dev/null || { fail setup "nginx not installed (make deps)"; e2e_finish; }
make -s targets >/dev/null || { fail setup "make targets failed"; e2e_finish; }
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }
declare -A TL

# gt_server, and nginx with 2 workers
start_gt_server gt "$TMP/gt.state"
gt=$GT_PID
gt_port=$GT_PORT
port=$(free_port)
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log notice;
daemon off;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	keepalive_timeout 300s;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $TMP/cert.pem;
		ssl_certificate_key $TMP/key.pem;
		location / { return 200 "ok\n"; }
	}
}
EOF
spawn nginx nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
master=$LAST_PID
for _ in $(seq 1 100); do
	workers=$(pgrep -P "$master" | sort -n | paste -sd, -)
	[ "$(echo "$workers" | tr ',' '\n' | grep -c .)" -eq 2 ] && break
	sleep 0.1
done
[ -n "$workers" ] || { fail setup "nginx did not start its workers"; e2e_finish; }

# one tlsmem per server
for name in gt nginx; do
	[ $name = gt ] && target=$gt || target=$workers
	if ! start_tlsmem "$name.tlsmem" -p "$target" -i 1 -o "$TMP/$name.csv" \
			--sites-csv "$TMP/$name.sites.csv" --json="$TMP/$name.json"; then
		fail setup "tlsmem on $name did not attach"
		dump "$TMP/$name.tlsmem.err"
		e2e_finish
	fi
	TL[$name]=$LAST_PID
	LAST_T[$name]=$(date +%s.%N)
	LAST_C[$name]=$(proc_cpu_ticks "$LAST_PID")
done
request_state "$gt" "$TMP/gt.state" USR1	# the truth counts from here, like tlsmem

# the churn: short connections and a growing set of held ones on each
spawn gt.churn "$TLS_CLIENT" --port "$gt_port" --demo --rate $RATE --hold $HOLD --grow-every 1
churn_gt=$LAST_PID
spawn nginx.hold .output/shapes/hold_client --port "$port" --conns 20
spawn nginx.churn sh -c "while :; do
	curl -sk -o /dev/null -H 'Connection: close' \$(for i in 1 2 3 4 5 6 7 8; do
		printf 'https://127.0.0.1:%s/ ' $port; done) || exit 1
	sleep 0.2
done"
churn_nginx=$LAST_PID

echo "  soak: ${SOAK_S}s of churn; gt_server $gt (port $gt_port), nginx workers $workers (port $port)"
printf '%-6s %-6s %10s %8s %8s %10s %10s %8s\n' at tlsmem rss_kib cpu_pct sites live_ssl \
	ssl_created lost | tee "$TMP/samples"
t0=$SECONDS
for at in 60 600 1800; do
	[ "$at" -gt "$SOAK_S" ] && at=$SOAK_S
	while [ $((SECONDS - t0)) -lt "$at" ]; do
		for name in gt nginx; do
			is_alive "${TL[$name]}" || { fail "$name.alive" "tlsmem on $name exited"; break 3; }
		done
		is_alive "$churn_nginx" || { fail nginx.churn "the curl loop failed"; break 2; }
		sleep 5
	done
	sample "${at}s"
	[ "$at" -ge "$SOAK_S" ] && break
done

# the end: churn off, the servers settle, the truth against tlsmem
kill -TERM "$churn_gt" "$churn_nginx" 2>/dev/null
wait_exit "$churn_gt" 30
for _ in $(seq 1 150); do
	request_state "$gt" "$TMP/gt.state" USR2
	[ "$(state_get "$TMP/gt.state" open_conns)" = 0 ] &&
		[ "$(state_get "$TMP/gt.state" ssl_free)" = "$(state_get "$TMP/gt.state" ssl_new)" ] && break
	sleep 0.2
done
check_eq gt.settled "$(state_get "$TMP/gt.state" open_conns)" 0
for name in gt nginx; do
	stop_tlsmem "${TL[$name]}"
	check_eq "$name.tlsmem_exit" "$WAIT_RC" 0
	check_eq "$name.no_flags" "$(jq '[.flags[] | select(.kind != "cache")] | length' "$TMP/$name.json")" 0
	check_eq "$name.events_lost" "$(jq .events.lost "$TMP/$name.json")" 0
	check_eq "$name.complete" "$(jq .complete "$TMP/$name.json")" true
done
JSON_OUT=$TMP/gt.json
compare_out gt.live_bytes .heap.live_bytes "$(state_get "$TMP/gt.state" live_bytes)"
compare_out gt.live_blocks .heap.live_blocks "$(state_get "$TMP/gt.state" live_blocks)"
compare_out gt.ssl_created .ssl.created "$(state_get "$TMP/gt.state" ssl_new)"
compare_out gt.ssl_freed .ssl.freed "$(state_get "$TMP/gt.state" ssl_free)"
info "nginx: ssl $(jq -c .ssl "$TMP/nginx.json"), heap $(jq -c '.heap | {live_bytes, allocs, frees}' "$TMP/nginx.json")"
echo "  soak: samples"
sed 's/^/  soak: /' "$TMP/samples"
cp "$TMP/samples" "${SOAK_SAMPLES:-.output/soak-samples.txt}" 2>/dev/null
e2e_finish
