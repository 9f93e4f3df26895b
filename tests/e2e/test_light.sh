#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# --light: SSL_new and SSL_free only. The SSL counts stay exact, no
# allocation is traced, and the memory per connection is estimated by
# regressing RSS on live SSL objects while the client holds more and more
# connections open.
. "$(dirname "$0")/lib.sh"

e2e_require
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }
start_gt_server server "$TMP/state"
server=$GT_PID
port=$GT_PORT
csv=$TMP/light.csv
if ! start_tlsmem light.tlsmem -p "$server" --light -i 0.5 --json -o "$csv"; then
	fail attach "no attached line"
	e2e_finish
fi
tl=$LAST_PID
pass attach
# four steps of 50 more connections held open, each step sampled 4 times
# once tlsmem counts its connections
for step in 1 2 3 4; do
	spawn "light.client$step" "$TLS_CLIENT" --port "$port" --conns 50 --threads 2 \
		--hold 50 --bytes 1000
	wait_for_line "$TMP/light.client$step.out" '^holding 50' 60 || fail "client$step" "no holding line"
	wait_csv "$csv" live_ssl "v == $((50 * step))" 30 ||
		info "step $step: live_ssl ${CSV_V:-none} in the CSV, expected $((50 * step))"
	wait_csv_rows "$csv" $(($(wc -l <"$csv") - 1 + 4)) 30
done
stop_tlsmem "$tl"
j=$TMP/light.tlsmem.out
check_eq tlsmem_exit "$WAIT_RC" 0
check_eq mode "$(jq -r .tlsmem.mode "$j")" light
check_eq ssl_live "$(jq .ssl.live "$j")" 200
check_eq ssl_created "$(jq .ssl.created "$j")" 200
# nothing of the heap is measured: null in the JSON, "not measured" in words
check_eq heap_allocs "$(jq .heap.allocs "$j")" null
check_eq heap_live_bytes "$(jq .heap.live_bytes "$j")" null
RUN_TIMEOUT_S=30 run_tlsmem light.report -p "$server" --light -d 0.3 --report
check_eq light_report_exit "$RC" 0
if grep -q '^OpenSSL heap   not measured' "$OUT" && ! grep -q 'allocs 0' "$OUT"; then
	pass report_not_measured
else
	fail report_not_measured "$(grep '^OpenSSL heap' "$OUT")"
fi
est=$(jq '.estimate.rss_per_ssl_bytes // 0 | floor' "$j")
info "light: estimate $est bytes of RSS per live SSL (R^2 $(jq .estimate.r2 "$j")," \
	"$(jq .estimate.samples "$j") samples), $(jq .tlsmem.hits_per_s "$j") hits/s"
# an SSL connection of gt_server holds tens of KiB (buffers, thread stack use)
if [ "$est" -gt 4096 ] && [ "$est" -lt 4194304 ]; then
	pass estimate_plausible
else
	fail estimate_plausible "estimate $est bytes per SSL"
fi
e2e_finish
