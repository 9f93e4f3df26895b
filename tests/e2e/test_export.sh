#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The exports of one run against gt_server under tls_client load: the CSV
# time series (-o), the Prometheus exposition served at /metrics
# (--metrics-listen) and written for node_exporter (--metrics-file), checked
# against the JSON report; `tlsmem plot` on the CSV; and bad output arguments,
# which must stop tlsmem with exit 2 before any probe is attached.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

INTERVAL=0.5
DURATION=6
CONTRACT=time_s,live_ssl,ssl_created,ssl_freed,live_bytes,live_blocks,allocs_per_s,frees_per_s,bytes_per_live_ssl,rss_bytes,events_lost,flags

# check_expo NAME FILE: FILE is strict Prometheus text (0.0.4): HELP and TYPE
# once per family and before its samples, valid names, quoted and escaped
# label values, a number and no timestamp, counters and only counters named
# *_total, every family with samples. promtool checks it too when installed.
check_expo()
{
	local name=$1 file=$2 why

	why=$(awk '
		function fail(msg) { print "line " NR ": " msg ": " substr($0, 1, 160); bad = 1; exit }
		BEGIN {
			lv = "\"([^\"\\\\]|\\\\[\\\\\"n])*\""
			lab = "[a-zA-Z_][a-zA-Z0-9_]*=" lv
			sample = "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{" lab "(," lab ")*\\})? " \
				 "(-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf)$"
		}
		/^# HELP / {
			if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) fail("bad name")
			if (help[$3]++ || n[$3]) fail("HELP twice or after samples")
			next
		}
		/^# TYPE / {
			if (type[$3] != "" || n[$3]) fail("TYPE twice or after samples")
			if ($4 != "counter" && $4 != "gauge") fail("type")
			if (($4 == "counter") != ($3 ~ /_total$/)) fail("counters, and only counters, end in _total")
			type[$3] = $4; cur = $3
			next
		}
		/^#/ || /^$/ { fail("stray comment or empty line") }
		{
			if ($0 !~ sample) fail("malformed sample")
			nm = $0; sub(/[{ ].*/, "", nm)
			if (nm != cur || !help[nm]) fail("sample not right after its HELP and TYPE")
			key = $0; sub(/ [^ ]*$/, "", key)
			if (seen[key]++) fail("duplicate series")
			n[nm]++
		}
		END {
			if (bad) exit 1
			if (NR == 0) { print "empty"; exit 1 }
			for (f in type) if (!n[f]) { print "family " f " has no samples"; exit 1 }
		}' "$file" 2>&1)
	if [ -z "$why" ] && [ -s "$file" ] && [ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" != '\n' ]; then
		why="no newline at the end"
	fi
	if [ -z "$why" ] && command -v promtool >/dev/null; then
		why=$(promtool check metrics <"$file" 2>&1) || why="promtool: $why"
		[ -n "$why" ] && [ "${why#promtool: }" = "$why" ] && why="promtool lint: $why"
	fi
	if [ -z "$why" ]; then
		pass "$name"
	else
		fail "$name" "$why"
		dump "$file"
	fi
}

# prom_get FILE NAME: the value of the (first) sample of NAME
prom_get()
{
	awk -v n="$2" 'index($0, n "{") == 1 || index($0, n " ") == 1 { print $NF; exit }' "$1"
}

# csv_last FILE COLUMN: COLUMN of the last row, found by header name
csv_last()
{
	awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			   { v = $col[c] } END { print v }' "$1"
}

# compare_json NAME METRIC JQ_FILTER: the metrics file says what the JSON says
compare_json()
{
	check_eq "$1" "$(prom_get "$TMP/m.prom" "$2")" "$(json_get "$TMP/tlsmem.out" "$3")"
}

# expect_bad NAME PATTERN ARG...: exit 2 before attaching, a message matching PATTERN
expect_bad()
{
	local name=$1 re=$2 want=${WANT_RC:-2} rc t0=$SECONDS

	shift 2
	timeout -k 5 60 "$TLSMEM" -p "$server" "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	if [ $rc -ne "$want" ]; then
		fail "$name" "tlsmem $* -> exit $rc, expected $want"
	elif grep -q '^tlsmem: attached' "$TMP/$name.err"; then
		fail "$name" "probes were attached before the error"
	elif ! grep -Eq -- "$re" "$TMP/$name.err"; then
		fail "$name" "no message matching /$re/"
	else
		pass "$name"
		info "$name: $(head -n 1 "$TMP/$name.err") ($((SECONDS - t0)) s)"
		return
	fi
	dump "$TMP/$name.err"
}

e2e_require
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }

start_gt_server server "$TMP/state"
server=$GT_PID
port=$GT_PORT
mport=$(free_port) || { fail setup "no free port"; e2e_finish; }

# ---- bad output arguments: exit 2 (usage) or 1 (a file not writable), nothing attached ----
mkdir "$TMP/adir"
# a file that cannot be written is a runtime error (exit 1), refused before attaching
WANT_RC=1 expect_bad bad_csv_dir 'nonexistent' -o /nonexistent/dir/x.csv --json
WANT_RC=1 expect_bad bad_metrics_file_dir "$TMP/adir" --metrics-file "$TMP/adir" --json
WANT_RC=1 expect_bad bad_metrics_file_nodir 'nonexistent' --metrics-file /nonexistent/dir/m.prom --json
expect_bad bad_metrics_port_in_use "127.0.0.1:$port" --metrics-listen "127.0.0.1:$port" --json
expect_bad bad_metrics_address 'metrics-listen' --metrics-listen nonsense --json

# ---- one run with every export ----
if ! start_tlsmem tlsmem -p "$server" -i $INTERVAL -d $DURATION -o "$TMP/run.csv" --json \
	--metrics-listen "127.0.0.1:$mport" --metrics-file "$TMP/m.prom"; then
	fail attach "no 'tlsmem: attached' line within 60 s"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi
tlsmem=$LAST_PID
pass attach
spawn client "$TLS_CLIENT" --port "$port" --demo --rate 40 --hold 50 --grow-every 1
# scraped mid-run, once tlsmem's own time series shows the client's connections
wait_csv "$TMP/run.csv" live_ssl 'v > 0' $DURATION ||
	info "no live SSL object in the CSV yet (last live_ssl: ${CSV_V:-none})"

if curl -s -m 5 -D "$TMP/scrape.hdr" -o "$TMP/scrape.txt" "http://127.0.0.1:$mport/metrics"; then
	check_eq scrape_status "$(head -n 1 "$TMP/scrape.hdr" | tr -d '\r' | cut -d' ' -f2)" 200
	if grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/scrape.hdr"; then
		pass scrape_content_type
	else
		fail scrape_content_type "$(grep -i '^content-type' "$TMP/scrape.hdr")"
	fi
	check_expo scrape_parses "$TMP/scrape.txt"
	check_gt scrape_live_bytes "$(prom_get "$TMP/scrape.txt" tlsmem_heap_live_bytes)" 0
	check_gt scrape_sites "$(grep -c '^tlsmem_site_live_bytes{' "$TMP/scrape.txt")" 0
else
	fail scrape "curl http://127.0.0.1:$mport/metrics failed"
fi
check_eq scrape_404 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/")" 404
if [ -s "$TMP/m.prom" ]; then
	check_expo metrics_file_midrun "$TMP/m.prom"
else
	fail metrics_file_midrun "$TMP/m.prom not written mid-run"
fi

wait_exit "$tlsmem" 30
check_eq tlsmem_exit "$WAIT_RC" 0
kill "$LAST_PID" 2>/dev/null
json=$TMP/tlsmem.out
if [ -z "$(json_get "$json" .heap.live_bytes)" ]; then
	fail json "no valid JSON on tlsmem's stdout"
	dump "$json" "$TMP/tlsmem.err"
	e2e_finish
fi

# ---- the CSV ----
check_eq csv_header "$(head -n 1 "$TMP/run.csv" | cut -d, -f1-12)" "$CONTRACT"
rows=$(($(wc -l <"$TMP/run.csv") - 1))
want=$(awk -v d=$DURATION -v i=$INTERVAL 'BEGIN { print int(d / i + 0.5) }')
if [ "$rows" -ge $((want - 1)) ] && [ "$rows" -le $((want + 1)) ]; then
	pass csv_rows
	info "csv: $rows rows for ${DURATION} s at ${INTERVAL} s"
else
	fail csv_rows "$rows rows, expected $want +- 1"
fi
check_eq csv_last_live_bytes "$(csv_last "$TMP/run.csv" live_bytes)" "$(json_get "$json" .heap.live_bytes)"
check_eq csv_last_live_ssl "$(csv_last "$TMP/run.csv" live_ssl)" "$(json_get "$json" .ssl.live)"

# ---- the metrics file after the run says what the JSON says ----
check_expo metrics_file "$TMP/m.prom"
[ -e "$TMP/m.prom.tmp" ] && fail metrics_file_tmp "m.prom.tmp left behind"
compare_json prom_live_bytes tlsmem_heap_live_bytes .heap.live_bytes
compare_json prom_live_blocks tlsmem_heap_live_blocks .heap.live_blocks
compare_json prom_allocs tlsmem_heap_allocs_total .heap.allocs
compare_json prom_frees tlsmem_heap_frees_total .heap.frees
compare_json prom_unknown_frees tlsmem_heap_unknown_frees_total .heap.unknown_frees
compare_json prom_ssl_live tlsmem_ssl_live .ssl.live
compare_json prom_ssl_created tlsmem_ssl_created_total .ssl.created
compare_json prom_ssl_freed tlsmem_ssl_freed_total .ssl.freed
compare_json prom_rss tlsmem_process_memory_bytes .process.rss_bytes
compare_json prom_events tlsmem_events_received_total .events.received
compare_json prom_lost tlsmem_events_lost_total .events.lost
compare_json prom_complete tlsmem_complete '.complete | if . then 1 else 0 end'
# JSON prints 6 significant digits
bps_prom=$(prom_get "$TMP/m.prom" tlsmem_heap_per_live_ssl_bytes)
bps_json=$(json_get "$json" .heap.bytes_per_live_ssl)
if awk -v a="$bps_prom" -v b="$bps_json" 'BEGIN { d = a - b; if (d < 0) d = -d
		exit !(a != "" && b != "" && d <= 1e-5 * (b < 0 ? -b : b) + 1e-9) }'; then
	pass prom_bytes_per_live_ssl
else
	fail prom_bytes_per_live_ssl "metrics $bps_prom, JSON $bps_json"
fi
# bounded labels: the program and its container; the pid only on tlsmem_target_info
check_eq prom_no_pid_label "$(grep -v '^#' "$TMP/m.prom" | grep -v '^tlsmem_target_info{' | grep -c 'pid=')" 0
check_eq prom_exe_label "$(grep -o '^tlsmem_ssl_live{exe="[^"]*"' "$TMP/m.prom" | sed 's/.*exe="//; s/"$//')" \
	"$(readlink /proc/"$server"/exe)"
check_eq prom_target_info "$(grep -o '^tlsmem_target_info{pid="[0-9]*"' "$TMP/m.prom" | grep -o '[0-9]*')" "$server"

# ---- a scraper slow to ask: the main loop goes on, and it is answered ----
# port 0: tlsmem picks a free port and says which
if start_tlsmem slow -p "$server" -i 0.2 -o "$TMP/slow.csv" --metrics-listen 127.0.0.1:0; then
	sport=$(sed -n 's|^tlsmem: serving http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' "$TMP/slow.err")
	check_gt serving_line "${sport:-0}" 0
	# connects, waits for 3 more rows of tlsmem's CSV (its main loop ran
	# on), then asks
	python3 - "$sport" "$TMP/slow.csv" >"$TMP/slow.py.out" 2>&1 <<'PY'
import socket, sys, time
port, csv = int(sys.argv[1]), sys.argv[2]
rows = lambda: sum(1 for _ in open(csv))
c = socket.create_connection(("127.0.0.1", port), timeout=60)
n0, t0 = rows(), time.monotonic()
n = n0
while n < n0 + 3 and time.monotonic() - t0 < 60:
    time.sleep(0.05)
    n = rows()
print("rows", n - n0)
c.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
data = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    data += b
print(data.split(b"\r\n")[0].decode(), "live_bytes" if b"\ntlsmem_heap_live_bytes" in data else "")
PY
	check_gt slow_scraper_loop_ran "$(sed -n 's/^rows //p' "$TMP/slow.py.out")" 2
	check_eq slow_scraper_answered "$(tail -n 1 "$TMP/slow.py.out")" "HTTP/1.1 200 OK live_bytes"
	stop_tlsmem "$LAST_PID"
	check_eq slow_tlsmem_exit "$WAIT_RC" 0
else
	fail slow_attach "no 'tlsmem: attached' line within 60 s"
fi

# ---- plots ----
rm -f "$TMP/p.png"
if "$TLSMEM" plot "$TMP/run.csv" -o "$TMP/p.png" 2>"$TMP/plot.err" &&
   [ -s "$TMP/p.png" ] && file "$TMP/p.png" | grep -q 'PNG image data'; then
	pass plot_png
	info "plot: $(file -b "$TMP/p.png")"
else
	fail plot_png "tlsmem plot run.csv -o p.png: $(head -c 300 "$TMP/plot.err")"
fi
cp "$TMP/run.csv" "$TMP/run2.csv"
if "$TLSMEM" plot "$TMP/run.csv" "$TMP/run2.csv" -o "$TMP/both.svg" 2>"$TMP/plot2.err" &&
   grep -q '<svg' "$TMP/both.svg"; then
	pass plot_two_svg
else
	fail plot_two_svg "$(head -c 300 "$TMP/plot2.err")"
fi
"$TLSMEM" plot "$TMP/nonexistent.csv" -o "$TMP/x.png" 2>"$TMP/plot3.err"
rc=$?
if [ $rc -eq 2 ] && grep -q 'nonexistent.csv' "$TMP/plot3.err"; then
	pass plot_missing_file
else
	fail plot_missing_file "exit $rc: $(head -c 300 "$TMP/plot3.err")"
fi
printf 'a,b\n1,2\n' >"$TMP/other.csv"
"$TLSMEM" plot "$TMP/other.csv" -o "$TMP/x.png" 2>"$TMP/plot4.err"
rc=$?
if [ $rc -eq 2 ] && grep -q 'time_s' "$TMP/plot4.err"; then
	pass plot_not_a_series
else
	fail plot_not_a_series "exit $rc: $(head -c 300 "$TMP/plot4.err")"
fi
PATH=/nonexistent "$TLSMEM" plot "$TMP/run.csv" -o "$TMP/x.png" 2>"$TMP/plot5.err"
rc=$?
if [ $rc -eq 1 ] && grep -q 'gnuplot' "$TMP/plot5.err" && [ ! -e "$TMP/x.png" ]; then
	pass plot_no_gnuplot
else
	fail plot_no_gnuplot "exit $rc: $(head -c 300 "$TMP/plot5.err")"
fi
e2e_finish
