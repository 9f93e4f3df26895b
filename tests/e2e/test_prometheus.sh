#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# A real Prometheus (Debian's package) scrapes two tlsmem -a on loopback,
# which observe three servers: two processes of one program and one of a
# second program (same name, another path), each holding a known number of
# connections open.
#  - grouped (the default): the live figures come per (exe, container), no
#    pid label on them; Prometheus' HTTP API returns, group by group, the
#    sums of tlsmem's JSON over the processes; created SSL objects equal the
#    connections made; target_info names every process;
#  - --metrics-per-pid --metrics-max-series 2 --metrics-top-sites 1: a pid
#    label, one series per process, at most 2 per family, 1 site;
#    tlsmem_series_dropped counts the rest.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_require

if ! command -v prometheus >/dev/null; then
	skip all "Debian's prometheus package is not installed"
	e2e_finish
fi
NAME=gtprom$$
mkdir -p "$TMP/a" "$TMP/b"
cp "$GT_SERVER" "$TMP/a/$NAME"
cp "$GT_SERVER" "$TMP/b/$NAME"
EXE_A=$(readlink -f "$TMP/a/$NAME")
EXE_B=$(readlink -f "$TMP/b/$NAME")
gen_cert "$TMP"
# connections each server is held: by name, then by pid
declare -A WANT=([a1]=3 [a2]=2 [b]=4) PID=() PORT=() HELD=()
for s in a1 a2 b; do
	GT_SERVER=$EXE_A
	[ $s = b ] && GT_SERVER=$EXE_B
	start_gt_server $s "$TMP/$s.state"
	PID[$s]=$GT_PID
	PORT[$s]=$GT_PORT
	HELD[$GT_PID]=${WANT[$s]}
done
A1=${PID[a1]} A2=${PID[a2]} B=${PID[b]}

M1=$(free_port)
M2=$(free_port)
while [ "$M2" = "$M1" ]; do M2=$(free_port); done
PPORT=$(free_port)
while [ "$PPORT" = "$M1" ] || [ "$PPORT" = "$M2" ]; do PPORT=$(free_port); done

if ! start_tlsmem grouped -a --exe "$NAME" -i 0.5 --metrics-listen "127.0.0.1:$M1" \
	--json="$TMP/grouped.json"; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/grouped.err"
	e2e_finish
fi
T1=$LAST_PID
if ! start_tlsmem perpid -a --exe "$NAME" -i 0.5 --metrics-listen "127.0.0.1:$M2" \
	--metrics-per-pid --metrics-max-series 2 --metrics-top-sites 1 --json="$TMP/perpid.json"; then
	fail attach_per_pid "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/perpid.err"
	e2e_finish
fi
T2=$LAST_PID
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: grouped
    static_configs:
      - targets: ['127.0.0.1:$M1']
  - job_name: perpid
    static_configs:
      - targets: ['127.0.0.1:$M2']
EOF
spawn prometheus prometheus --config.file="$TMP/prometheus.yml" \
	--storage.tsdb.path="$TMP/prom" --web.listen-address="127.0.0.1:$PPORT"
PROM=$LAST_PID

# api PROMQL: the result vector as lines "LABEL=VALUE... value", sorted
api()
{
	curl -s --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[] | ([.metric | to_entries[] |
			select(.key != "__name__" and .key != "instance" and .key != "job") |
			"\(.key)=\(.value)"] | sort | join(" ")) + " " + .value[1]' 2>/dev/null | sort
}

# query PROMQL: the first value of the result, or empty
query()
{
	curl -s --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}

# wait_query PROMQL WANT: until Prometheus answers WANT (60 s at most); sets GOT
wait_query()
{
	local deadline=$((SECONDS + 60))

	GOT=
	while [ $SECONDS -le $deadline ] && is_alive "$PROM"; do
		GOT=$(query "$1")
		[ "$GOT" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

for s in a1 a2 b; do
	spawn "client_$s" "$TLS_CLIENT" --port "${PORT[$s]}" --conns "${WANT[$s]}" \
		--hold "${WANT[$s]}" --bytes 100
	wait_for_line "$TMP/client_$s.out" "^holding ${WANT[$s]}\$" 60 "$LAST_PID" ||
		fail "client_$s" "tls_client did not hold ${WANT[$s]} connections"
done

# ---- grouped: per (exe, container), no pid ----
wait_query "tlsmem_ssl_live{job=\"grouped\",exe=\"$EXE_A\"}" 5
check_eq grouped_ssl_live_a "$GOT" 5
wait_query "tlsmem_ssl_live{job=\"grouped\",exe=\"$EXE_B\"}" 4
check_eq grouped_ssl_live_b "$GOT" 4
check_eq grouped_processes_a "$(query "tlsmem_processes{job=\"grouped\",exe=\"$EXE_A\"}")" 2
check_eq grouped_processes_b "$(query "tlsmem_processes{job=\"grouped\",exe=\"$EXE_B\"}")" 1
check_eq grouped_groups "$(query 'count(tlsmem_heap_live_bytes{job="grouped"})')" 2
check_eq grouped_ssl_created "$(query 'tlsmem_ssl_created_total{job="grouped"}')" 9
check_eq grouped_no_pid_label "$(query 'count({job="grouped",__name__=~"tlsmem_.+",__name__!="tlsmem_target_info",pid!=""}) or vector(0)')" 0
check_eq grouped_target_info "$(api 'tlsmem_target_info{job="grouped"}' | sed 's/ container=[^ ]*//; s/ pod=[^ ]*//' |
	awk '{ print $1, $2, $3 }' | paste -sd';')" \
	"$(for p in "$A1" "$A2" "$B"; do
		e=$EXE_A; [ "$p" = "$B" ] && e=$EXE_B
		echo "comm=$NAME exe=$e pid=$p"
	done | sort | paste -sd';')"
check_eq grouped_self_cpu "$(query 'count(tlsmem_self_cpu_seconds_total{job="grouped"} > 0)')" 1
series=$(query 'count({job="grouped",__name__=~"tlsmem_.+"})')
if [[ "$series" =~ ^[0-9]+$ ]] && [ "$series" -le 120 ]; then
	pass grouped_series_bounded
else
	fail grouped_series_bounded "expected at most 120 tlsmem series, got ${series:-<none>}"
fi
info "grouped: $series tlsmem series in Prometheus"

# the idle servers hold still: Prometheus catches up with what tlsmem serves now
served=$(curl -s --max-time 5 "http://127.0.0.1:$M1/metrics" | grep '^tlsmem_heap_live_bytes{' | sort)
prom=
for _ in $(seq 1 150); do
	prom=$(api 'tlsmem_heap_live_bytes{job="grouped"}')
	now=$(curl -s --max-time 5 "http://127.0.0.1:$M1/metrics" | grep '^tlsmem_heap_live_bytes{' | sort)
	[ "$now" = "$served" ] && [ "$(wc -l <<<"$prom")" = 2 ] &&
		[ "$(awk '{ print $NF }' <<<"$prom" | paste -sd,)" = "$(awk '{ print $NF }' <<<"$now" | paste -sd,)" ] && break
	served=$now
	sleep 0.2
done
prom_ssl=$(api 'tlsmem_ssl_live{job="grouped"}')
stop_tlsmem "$T1"
check_eq grouped_exit "$WAIT_RC" 0
J=$TMP/grouped.json
# "[container=C ]exe=E value" per (exe, container), from the JSON's targets (a
# process without a block has no figure there; Prometheus drops empty labels)
json_groups()
{
	jq -r --arg k "$1" '[.targets[] | select(.exited | not)] | group_by([.container, .exe])[] |
		(if .[0].container == "" then "" else "container=\(.[0].container) " end) +
		"exe=\(.[0].exe) \(map(.[$k] // 0) | add)"' "$J" | sort
}
info "grouped: prometheus heap live bytes: $(paste -sd';' <<<"$prom")"
check_eq grouped_heap_equals_json "$prom" "$(json_groups heap_live_bytes)"
check_eq grouped_ssl_equals_json "$prom_ssl" "$(json_groups ssl_live)"
check_eq json_ssl_created "$(jq -r .ssl.created "$J")" 9

# ---- per pid, 2 series per family at most ----
wait_query 'count(tlsmem_ssl_live{job="perpid"})' 2
check_eq perpid_limited "$GOT" 2
ok=0
while read -r comm exe pid v; do
	[ "${comm#comm=}" = "$NAME" ] && [ -n "${exe#exe=}" ] && ok=$((ok + 1))
	check_eq "perpid_ssl_live_${pid#pid=}" "$v" "${HELD[${pid#pid=}]:-?}"
done < <(api 'tlsmem_ssl_live{job="perpid"}' | sed 's/ container=[^ ]*//')

check_eq perpid_labels "$ok" 2
check_eq perpid_dropped_groups "$(query 'tlsmem_series_dropped{job="perpid",series="groups"}')" 1
check_eq perpid_dropped_info "$(query 'tlsmem_series_dropped{job="perpid",series="target_info"}')" 1
check_eq perpid_top_site "$(query 'count(tlsmem_site_live_bytes{job="perpid"})')" 1
check_eq perpid_sites_dropped "$(query 'count(tlsmem_series_dropped{job="perpid",series="sites"} > 0)')" 1
check_eq perpid_target_info "$(query 'count(tlsmem_target_info{job="perpid"})')" 2
check_eq perpid_families_bounded "$(query 'max(count by (__name__) ({job="perpid",__name__=~"tlsmem_.+",__name__!~"tlsmem_flags_active|tlsmem_series_dropped"}))')" 2
stop_tlsmem "$T2"
check_eq perpid_exit "$WAIT_RC" 0
e2e_finish
