#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# --procs-csv on a real multi-process server: nginx (a master and 2 workers)
# under -p MASTER --children, while the test holds TLS connections open.
# Every interval has one row per process; each worker's live_ssl is the
# number of held connections that worker accepted (its sockets, as ss shows
# them); the rows of an interval add up to the -o time series.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_require

NGINX=$(command -v nginx)
if [ -z "$NGINX" ]; then
	fail setup "nginx is not installed (tests/deps.sh installs nginx-light)"
	e2e_finish
fi
N=6
gen_cert "$TMP"
port=$(free_port)
nginx_conf "$TMP/nginx" "$port"
spawn nginx "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
# the master writes its pid file, then forks the workers
master=
for _ in $(seq 1 100); do
	master=$(cat "$TMP/nginx/nginx.pid" 2>/dev/null)
	[ -n "$master" ] && [ "$(pgrep -c -P "$master")" = 2 ] && break
	sleep 0.1
done
workers=$(pgrep -P "$master" | sort -n | paste -sd' ')
if [ "$(wc -w <<<"$workers")" != 2 ]; then
	fail setup "nginx did not start its 2 workers"
	dump "$TMP/nginx.err" "$TMP/nginx/error.log"
	e2e_finish
fi
info "nginx master $master, workers $workers"

if ! start_tlsmem tlsmem -p "$master" --children -i 0.2 --procs-csv "$TMP/procs.csv" \
	-o "$TMP/run.csv" --json="$TMP/run.json"; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi
tl=$LAST_PID

# N TLS connections, handshaken and held open until the test ends
cat >"$TMP/hold.py" <<'EOF'
import signal, socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conns = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
         for _ in range(int(sys.argv[2]))]
print("holding %d" % len(conns), flush=True)
signal.pause()
EOF
spawn hold python3 "$TMP/hold.py" "$port" $N
if ! wait_for_line "$TMP/hold.out" "^holding $N\$" 30 "$LAST_PID"; then
	fail hold "the client did not hold $N connections"
	dump "$TMP/hold.err"
	e2e_finish
fi

# the workers' sockets of the held connections, per pid
declare -A SOCKS=()
for w in $workers; do
	SOCKS[$w]=$(ss -tnpH state established "( sport = :$port )" | grep -c "pid=$w,")
done
check_eq held_sockets "$((SOCKS[${workers% *}] + SOCKS[${workers#* }]))" $N

# procs_last FILE: the rows of the last complete interval, one that a later
# interval follows (tlsmem writes an interval row by row, so the file's last
# interval may lack rows yet),
# "pid ppid comm exe live_ssl memory ssl_created ssl_freed"
procs_last()
{
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		 { t = $c["time_s"]
		   if (t != last) { for (i = 0; i < n; i++) done[i] = row[i]; nd = n; n = 0; last = t }
		   row[n++] = $c["pid"] " " $c["ppid"] " " $c["comm"] " " $c["exe"] " " \
			      $c["live_ssl"] " " $c["memory"] " " $c["ssl_created"] " " $c["ssl_freed"] }
		 END { for (i = 0; i < nd; i++) print done[i] }' "$1" | sort -n
}

# wait for an interval that shows every held connection
got= last=
for _ in $(seq 1 150); do
	last=$(procs_last "$TMP/procs.csv")
	got=$(awk '{ s += $5 } END { print s + 0 }' <<<"$last")
	[ "$got" = $N ] && break
	is_alive "$tl" || break
	sleep 0.2
done
check_eq live_ssl_sum "$got" $N
info "last interval: $(paste -sd';' <<<"$last")"
check_eq rows_per_interval "$(wc -l <<<"$last")" 3
check_eq pids "$(awk '{ print $1 }' <<<"$last" | paste -sd' ')" \
	"$(printf '%s\n' "$master" $workers | sort -n | paste -sd' ')"
exe=$(readlink -f "$NGINX")
for w in $workers; do
	check_eq "worker_${w}_live_ssl" "$(awk -v p="$w" '$1 == p { print $5 }' <<<"$last")" \
		"${SOCKS[$w]}"
	check_eq "worker_${w}_ppid" "$(awk -v p="$w" '$1 == p { print $2 }' <<<"$last")" "$master"
	check_eq "worker_${w}_created_freed" "$(awk -v p="$w" '$1 == p { print $7, $8 }' <<<"$last")" \
		"${SOCKS[$w]} 0"
done
check_eq master_live_ssl "$(awk -v p="$master" '$1 == p { print $5 }' <<<"$last")" 0
check_eq comm_exe "$(awk '{ print $3, $4 }' <<<"$last" | sort -u)" "nginx $exe"
check_eq memory_pss "$(awk '{ print $6 }' <<<"$last" | sort -u)" pss
check_eq header "$(head -n 1 "$TMP/procs.csv")" \
	time_s,pid,ppid,comm,exe,container,pod,live_ssl,ssl_created,ssl_freed,live_bytes,live_blocks,bytes_per_live_ssl,memory_bytes,memory
check_eq one_header "$(grep -c '^time_s,' "$TMP/procs.csv")" 1

stop_tlsmem "$tl"
check_eq tlsmem_exit "$WAIT_RC" 0
# the rows of each interval add up to that interval's row of the time series
sums=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		{ if ($c["time_s"] != last) { n++; last = $c["time_s"] }
		  ssl[n] += $c["live_ssl"]; b[n] += $c["live_bytes"]; k[n] += $c["live_blocks"] }
		END { for (i = 1; i <= n; i++) print ssl[i], b[i], k[i] }' "$TMP/procs.csv")
series=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		  { print $c["live_ssl"], $c["live_bytes"], $c["live_blocks"] }' "$TMP/run.csv")
check_eq intervals "$(wc -l <<<"$sums")" "$(wc -l <<<"$series")"
check_eq rows_add_up "$sums" "$series"
check_eq json_live_ssl "$(jq -r .ssl.live "$TMP/run.json")" $N
for w in $workers; do
	check_eq "worker_${w}_json" "$(jq -r --argjson p "$w" \
		'.targets[] | select(.pid == $p) | "\(.ssl_live) \(.ssl_created) \(.ssl_freed)"' \
		"$TMP/run.json" 2>/dev/null)" "${SOCKS[$w]} ${SOCKS[$w]} 0"
done
e2e_finish
