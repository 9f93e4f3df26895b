#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tlsmem -a: every OpenSSL process on the host, present and to come, never
# tlsmem itself. Three gt_servers: one running before tlsmem, one started
# after it, and one in another mount namespace (its program on a tmpfs only
# that namespace sees) inside a docker-like cgroup. Each is found, with its
# program and container id, and every connection's SSL object is counted;
# --container keeps only the third; bad input gets exit status 2.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_require

N=5
# a program name of our own: other gt_servers on this host are not ours to count
NAME=gtall$$
cp "$GT_SERVER" "$TMP/$NAME"
GT_SERVER=$TMP/$NAME
ID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
CG=
gen_cert "$TMP"

# a cgroup named like docker's (systemd driver) in a v1 hierarchy we may write
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if mkdir -p "$h/tlsmem-e2e-$$/docker-$ID.scope" 2>/dev/null &&
		[ -e "$h/tlsmem-e2e-$$/docker-$ID.scope/cgroup.procs" ]; then
		CG=$h/tlsmem-e2e-$$/docker-$ID.scope
		break
	fi
	rmdir "$h/tlsmem-e2e-$$/docker-$ID.scope" "$h/tlsmem-e2e-$$" 2>/dev/null
done
cleanup_cg()
{
	[ -n "$CG" ] || return 0
	for _ in $(seq 1 50); do
		rmdir "$CG" 2>/dev/null && break
		sleep 0.1
	done
	rmdir "$(dirname "$CG")" 2>/dev/null
}

# bad input first: nothing to clean up
expect_usage all_with_pid -a -p 1
expect_usage exe_without_all --exe nginx -p 1
expect_usage container_not_hex -a --container not-an-id
expect_usage container_unknown -a --container 0123456789abcdef0123 -d 1

start_gt_server a "$TMP/a.state"
A=$GT_PID
A_PORT=$GT_PORT

if ! start_tlsmem tlsmem -a --exe "$NAME" -i 0.5 --json="$TMP/all.json" \
	--metrics-file "$TMP/all.prom" --procs-csv "$TMP/all.procs.csv"; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi
TL=$LAST_PID
if grep -Eq "^tlsmem: attached to 1 OpenSSL process .*$A $NAME" "$TMP/tlsmem.err"; then
	pass found_at_start
else
	fail found_at_start "$(grep attached "$TMP/tlsmem.err")"
fi

start_gt_server b "$TMP/b.state"
B=$GT_PID
B_PORT=$GT_PORT
wait_for_line "$TMP/tlsmem.err" "^tlsmem: observing PID $B " 10 "$TL" &&
	pass found_when_started || fail found_when_started "PID $B not observed within 10 s"

# another mount namespace and a docker-like cgroup
if [ -n "$CG" ]; then
	spawn c unshare -m sh -c "mount -t tmpfs tlsmem-e2e /mnt && cp $GT_SERVER /mnt/$NAME &&
		echo \$\$ > $CG/cgroup.procs && exec /mnt/$NAME --port 0 \
		--cert $TMP/cert.pem --key $TMP/key.pem --state $TMP/c.state"
	C=$LAST_PID
	if wait_for_line "$TMP/c.out" '^listening [0-9]+ pid [0-9]+$' 10 "$C"; then
		C_PORT=$(awk '{ print $2; exit }' "$TMP/c.out")
		wait_for_line "$TMP/tlsmem.err" "^tlsmem: observing PID $C .*container $ID" 10 "$TL" &&
			pass found_in_container ||
			fail found_in_container "PID $C not observed with its container id"
	else
		fail container_setup "gt_server did not start in its namespace: $(head -c 200 "$TMP/c.err")"
		C=
	fi
else
	skip container "no writable cgroup hierarchy for a docker-like path"
	C=
fi

conns=0
for p in $A_PORT $B_PORT ${C_PORT:-}; do
	echo | "$TLS_CLIENT" --port "$p" --conns $N --bytes 100 >>"$TMP/clients" 2>&1
	conns=$((conns + N))
done
check_eq clients_ok "$(grep -c "^done $N ok 0 failed" "$TMP/clients")" $((conns / N))
stop_tlsmem "$TL"
check_eq tlsmem_exit "$WAIT_RC" 0
J=$TMP/all.json
info "ssl $(jq -c .ssl "$J"), targets $(jq -c '[.targets[] | {pid, exe, container}]' "$J")"
check_eq ssl_created "$(jq -r .ssl.created "$J")" $conns
check_eq events_lost "$(jq -r .events.lost "$J")" 0
check_eq a_listed "$(jq -r --argjson p "$A" '[.targets[] | select(.pid == $p)] | length' "$J")" 1
check_eq b_listed "$(jq -r --argjson p "$B" '[.targets[] | select(.pid == $p)] | length' "$J")" 1
check_eq b_exe "$(jq -r --argjson p "$B" '.targets[] | select(.pid == $p) | .exe' "$J")" \
	"$(readlink -f "$GT_SERVER")"
check_eq three_listed "$(jq -r '.targets | length' "$J")" $((2 + ${C:+1}))
# per process: its live SSL objects and OpenSSL bytes, adding up to the totals
check_eq per_process_bytes "$(jq -r '[.targets[].heap_live_bytes // 0] | add' "$J")" \
	"$(jq -r .heap.live_bytes "$J")"
check_eq per_process_ssl "$(jq -r '[.targets[].ssl_live // 0] | add' "$J")" "$(jq -r .ssl.live "$J")"
check_eq not_itself "$(jq -r --argjson p "$TL" '[.targets[] | select(.pid == $p)] | length' "$J")" 0
check_eq only_named "$(jq -r --arg n "$NAME" '[.targets[] | select(.comm != $n)] | length' "$J")" 0
# A and B run one program outside any container: one group of 2 in the metrics
check_eq ab_metrics_group "$(grep -c "^tlsmem_processes{exe=\"$(readlink -f "$GT_SERVER")\",container=\"\"} 2\$" \
	"$TMP/all.prom")" 1
check_eq ab_no_pid_label "$(grep -v '^#' "$TMP/all.prom" | grep -v '^tlsmem_target_info{' | grep -c 'pid=')" 0
if [ -n "$C" ]; then
	check_eq c_container "$(jq -r --argjson p "$C" '.targets[] | select(.pid == $p) | .container' "$J")" "$ID"
	check_eq c_exe "$(jq -r --argjson p "$C" '.targets[] | select(.pid == $p) | .exe' "$J")" \
		"/mnt/$NAME"
	# the metrics group it apart: its program in its container
	check_eq c_metrics_group "$(grep -c "^tlsmem_processes{exe=\"/mnt/$NAME\",container=\"$ID\"} 1\$" \
		"$TMP/all.prom")" 1
	check_eq c_metrics_bytes "$(awk -v k="tlsmem_heap_live_bytes{exe=\"/mnt/$NAME\",container=\"$ID\"}" \
		'$1 == k { print $2 }' "$TMP/all.prom")" \
		"$(jq -r --argjson p "$C" '.targets[] | select(.pid == $p) | .heap_live_bytes' "$J")"
	check_eq c_procs_csv "$(awk -F, -v p="$C" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["pid"] == p { v = $c["exe"] " " $c["container"] } END { print v }' "$TMP/all.procs.csv")" \
		"/mnt/$NAME $ID"
	# --container: that container's processes only (a prefix of its id will do)
	run_tlsmem bycontainer -a --container "${ID:0:12}" -d 1 --json
	check_eq container_exit "$RC" 0
	check_eq container_only "$(json_get "$OUT" '[.targets[].pid] | tostring')" "[$C]"
	kill "$C" 2>/dev/null
	wait_exit "$C" 10
fi

# the whole host, no filter: nginx and node among the rest, with their programs
NODE=$(command -v node || command -v nodejs)
NGINX=$(command -v nginx)
if [ -n "$NGINX" ] && [ -n "$NODE" ]; then
	port=$(free_port)
	nginx_conf "$TMP/nginx" "$port"
	spawn nginx "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
	spawn node "$NODE" tests/targets/node_server.js --port 0 --cert "$TMP/cert.pem" \
		--key "$TMP/key.pem"
	NODE_PID=$LAST_PID
	wait_for_line "$TMP/node.out" '^listening [0-9]+ pid [0-9]+$' 20 "$NODE_PID" ||
		fail node_setup "node_server.js did not start"
	for _ in $(seq 1 100); do
		[ -s "$TMP/nginx/nginx.pid" ] && break
		sleep 0.1
	done
	NGINX_PID=$(cat "$TMP/nginx/nginx.pid" 2>/dev/null)
	RUN_TIMEOUT_S=60 run_tlsmem host -a -d 1 --json
	check_eq host_exit "$RC" 0
	check_eq nginx_seen "$(jq -r --argjson p "${NGINX_PID:-0}" \
		'.targets[] | select(.pid == $p) | .exe' "$OUT")" "$(readlink -f "$NGINX")"
	check_eq node_seen "$(jq -r --argjson p "$NODE_PID" '.targets[] | select(.pid == $p) | .exe' "$OUT")" \
		"$(readlink -f "$NODE")"
else
	skip host "nginx or node not installed"
fi
cleanup_cg
e2e_finish
