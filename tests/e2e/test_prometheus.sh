#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# A real Prometheus (Debian's package) scrapes tlsmem -a on loopback: the
# figures its HTTP API returns equal tlsmem's JSON, target_info names the
# process, and the number of series stays bounded.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_require

if ! command -v prometheus >/dev/null; then
	skip all "Debian's prometheus package is not installed"
	e2e_finish
fi
N=12
NAME=gtprom$$
cp "$GT_SERVER" "$TMP/$NAME"
GT_SERVER=$TMP/$NAME
gen_cert "$TMP"
start_gt_server gt "$TMP/gt.state"
MPORT=$(free_port)
PPORT=$(free_port)
while [ "$PPORT" = "$MPORT" ]; do PPORT=$(free_port); done

if ! start_tlsmem tlsmem -a --exe "$NAME" -i 0.5 --metrics-listen "127.0.0.1:$MPORT" \
	--json="$TMP/tlsmem.json"; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi
TL=$LAST_PID
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tlsmem
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
spawn prometheus prometheus --config.file="$TMP/prometheus.yml" \
	--storage.tsdb.path="$TMP/prom" --web.listen-address="127.0.0.1:$PPORT"
PROM=$LAST_PID

# query PROMQL: the first value of the result, or empty
query()
{
	curl -s --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}

echo | "$TLS_CLIENT" --port "$GT_PORT" --conns $N --bytes 100 >"$TMP/client.out" 2>&1
check_eq client_ok "$(grep -c "^done $N ok 0 failed" "$TMP/client.out")" 1
got=
for _ in $(seq 1 150); do
	got=$(query 'tlsmem_ssl_created_total')
	[ "$got" = "$N" ] && break
	is_alive "$PROM" || break
	sleep 0.2
done
check_eq scraped_ssl_created "$got" $N
# the server's connection threads finish a moment after the client: then
# nothing changes, and a scrape after that is what the JSON will say
settle_gt "$GT_PID" "$TMP/gt.state" 0 $N || fail settle "gt_server did not settle"
served=$(curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" |
	awk '/^tlsmem_heap_live_bytes\{/ { print $2 }')
for _ in $(seq 1 100); do
	live=$(query 'tlsmem_heap_live_bytes')
	[ -n "$live" ] && [ "$live" = "$served" ] && break
	sleep 0.2
done
info=$(query "tlsmem_target_info{pid=\"$GT_PID\",comm=\"$NAME\"}")
series=$(query 'count({__name__=~"tlsmem_.+"})')
stop_tlsmem "$TL"
check_eq tlsmem_exit "$WAIT_RC" 0
J=$TMP/tlsmem.json
check_eq json_ssl_created "$(jq -r .ssl.created "$J")" "$got"
info "heap live bytes: prometheus $live, json $(jq -r .heap.live_bytes "$J")"
check_eq live_bytes_equal "$live" "$(jq -r .heap.live_bytes "$J")"
check_eq target_info "$info" 1
if [[ "$series" =~ ^[0-9]+$ ]] && [ "$series" -le 120 ]; then
	pass series_bounded
else
	fail series_bounded "expected at most 120 tlsmem series, got ${series:-<none>}"
fi
info "tlsmem series in Prometheus: $series"
e2e_finish
