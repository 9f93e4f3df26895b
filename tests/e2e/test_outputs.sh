#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The edges of tlsmem's outputs and of -- COMMAND's result:
#  - the command's exit status, or 128+N for signal N, is tlsmem's, unless
#    tlsmem's own 1 or 2 applies; the JSON says how the command ended;
#  - the command's stdout is its own: tlsmem writes nothing there;
#  - "-" is stdout for -o, --procs-csv, --sites-csv and --metrics-file; --json=FILE and
#    --report=FILE write to FILE; two outputs on stdout is a usage error;
#  - a write that fails (at open or at a row) is exit 1 with a message,
#    the other outputs still complete; a symlinked path is refused by name;
#  - words: a thread id names its process, -d states its range.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

e2e_require
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }

# expect NAME RC: RC is tlsmem's exit status (from run_tlsmem)
expect()
{
	if [ "$RC" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "exit $RC, expected $2; stderr: $(head -c 300 "$ERR")"
	fi
}

# ---- -- COMMAND keeps its result ----
run_tlsmem cmd_exit7 --json="$TMP/exit7.json" -- sh -c 'echo own-stdout; exit 7'
expect cmd_exit7 7
check_eq cmd_exit7.json_exit_status "$(jq .targets[0].exit_status "$TMP/exit7.json")" 7
check_eq cmd_exit7.json_signal "$(jq .targets[0].signal "$TMP/exit7.json")" null
check_eq cmd_exit7.stdout_own "$(cat "$OUT")" own-stdout

run_tlsmem cmd_segv --json="$TMP/segv.json" -- sh -c 'kill -SEGV $$'
expect cmd_segv 139
check_eq cmd_segv.json_signal "$(jq .targets[0].signal "$TMP/segv.json")" 11
check_eq cmd_segv.json_exit_status "$(jq .targets[0].exit_status "$TMP/segv.json")" null

run_tlsmem cmd_exit0 -- true
expect cmd_exit0 0
# the text report of a command goes to stderr, like time(1): stdout stays the command's
check_eq cmd_exit0.stdout_empty "$(wc -c <"$OUT")" 0
if grep -q 'exited with status 0' "$ERR"; then
	pass cmd_exit0.report_on_stderr
else
	fail cmd_exit0.report_on_stderr "$(head -c 300 "$ERR")"
fi

# tlsmem's own failures come first: 2 (usage), 1 (an output not written)
run_tlsmem cmd_json_stdout --json -- sh -c 'exit 7'
expect cmd_json_stdout 2
check_eq cmd_json_stdout.says "$(grep -c "stdout is the command's own" "$ERR")" 1
run_tlsmem cmd_write_fails -o /dev/full -- sh -c 'exit 7'
expect cmd_write_fails 1

# the command's stdin is its own
echo hello | timeout 30 "$TLSMEM" -- sh -c 'read -r x; [ "$x" = hello ]' >/dev/null 2>"$TMP/stdin.err"
RC=$?
ERR=$TMP/stdin.err
expect cmd_stdin 0

# the command's stdout through a pipe, the JSON in a file: both parse
(
	"$TLSMEM" --json="$TMP/pipe.json" -- "$GT_SERVER" --port 0 --cert "$TMP/cert.pem" \
		--key "$TMP/key.pem" --state "$TMP/pipe.state" 2>"$TMP/pipe.err" </dev/null |
		head -n 1 >"$TMP/pipe.out"
) &
pipe=$!
if wait_for_line "$TMP/pipe.out" '^listening [0-9]+ pid [0-9]+$' 30; then
	read -r _ _ _ srv <"$TMP/pipe.out"
	track_pid "$srv"
	kill -TERM "$srv" 2>/dev/null
	wait "$pipe"
	check_eq cmd_pipe.json_valid "$(jq -r .targets[0].comm "$TMP/pipe.json")" gt_server
	check_eq cmd_pipe.json_signal "$(jq .targets[0].signal "$TMP/pipe.json")" null
	check_eq cmd_pipe.json_exit "$(jq .targets[0].exit_status "$TMP/pipe.json")" 0
else
	fail cmd_pipe "gt_server under tlsmem did not say it listens"
	dump "$TMP/pipe.err"
	kill "$pipe" 2>/dev/null
fi

# ---- outputs that never mix ----
start_gt_server server "$TMP/state"
server=$GT_PID

expect_usage two_stdout_csv_json -p "$server" -o - --json
expect_usage two_stdout_sites_metrics -p "$server" --sites-csv - --metrics-file -
expect_usage two_stdout_csv_report -p "$server" -o - --report=-
expect_usage two_stdout_procs_json -p "$server" --procs-csv - --json
check_eq two_stdout_procs_json.says "$(grep -c 'two outputs on stdout (--procs-csv -, --json)' "$ERR")" 1
expect_usage procs_stdout_command --procs-csv - -- true

run_tlsmem csv_stdout -p "$server" -d 0.5 -i 0.1 -o - --json="$TMP/csv_stdout.json"
expect csv_stdout 0
check_eq csv_stdout.header "$(head -n 1 "$OUT" | cut -d, -f1-3)" time_s,live_ssl,ssl_created
check_eq csv_stdout.no_file "$(ls -- - 2>/dev/null | wc -l)" 0
check_eq csv_stdout.json_file "$(jq -r .targets[0].comm "$TMP/csv_stdout.json")" gt_server

run_tlsmem sites_stdout -p "$server" -d 0.3 --sites-csv - --report="$TMP/sites.report"
expect sites_stdout 0
check_eq sites_stdout.header "$(head -n 1 "$OUT" | cut -d, -f1-2)" file,line
check_eq sites_stdout.report_file "$(grep -c '^SSL objects' "$TMP/sites.report")" 1
[ -e ./- ] && fail sites_stdout.no_dash_file "a file named - was created" && rm -f ./-

run_tlsmem metrics_stdout -p "$server" -d 0.3 --metrics-file -
expect metrics_stdout 0
check_eq metrics_stdout.exposition "$(grep -c '^tlsmem_ssl_live' "$OUT")" 1
[ -e ./- ] && fail metrics_stdout.no_dash_file "a file named - was created" && rm -f ./-

run_tlsmem procs_stdout -p "$server" -d 0.5 -i 0.1 --procs-csv - --json="$TMP/procs_stdout.json"
expect procs_stdout 0
check_eq procs_stdout.header "$(head -n 1 "$OUT" | cut -d, -f1-3)" time_s,pid,ppid
check_gt procs_stdout.rows "$(awk -F, -v p="$server" 'NR > 1 && $2 == p' "$OUT" | wc -l)" 0
check_eq procs_stdout.only_server "$(awk -F, -v p="$server" 'NR > 1 && $2 != p' "$OUT" | wc -l)" 0
[ -e ./- ] && fail procs_stdout.no_dash_file "a file named - was created" && rm -f ./-

# a failing write: exit 1, a message, and the other outputs complete
run_tlsmem full_procs -p "$server" -d 0.5 -i 0.1 --procs-csv /dev/full --json="$TMP/fullp.json"
expect full_procs 1
check_eq full_procs.says "$(grep -c 'failed to write --procs-csv /dev/full' "$ERR")" 1
check_eq full_procs.json_completed "$(jq -r .targets[0].comm "$TMP/fullp.json")" gt_server
run_tlsmem full_csv -p "$server" -d 0.5 -i 0.1 -o /dev/full --json="$TMP/full.json"
expect full_csv 1
check_eq full_csv.says "$(grep -c 'failed to write the CSV file /dev/full' "$ERR")" 1
check_eq full_csv.json_completed "$(jq -r .targets[0].comm "$TMP/full.json")" gt_server
run_tlsmem full_json -p "$server" -d 0.3 --json=/dev/full -o "$TMP/full.csv"
expect full_json 1
check_eq full_json.csv_completed "$(head -n 1 "$TMP/full.csv" | cut -d, -f1)" time_s

# a symlinked output path: refused, and the message says why
ln -s "$TMP/real.json" "$TMP/link.json"
run_tlsmem symlink -p "$server" -d 0.3 --json="$TMP/link.json"
expect symlink 1
check_eq symlink.says "$(grep -c 'symbolic link' "$ERR")" 1
check_eq symlink.not_attached "$(grep -c '^tlsmem: attached' "$ERR")" 0
ln -s "$TMP/real.csv" "$TMP/link.csv"
run_tlsmem symlink_procs -p "$server" -d 0.3 --procs-csv "$TMP/link.csv"
expect symlink_procs 1
check_eq symlink_procs.says "$(grep -c 'cannot write --procs-csv .*symbolic link' "$ERR")" 1
check_eq symlink_procs.not_attached "$(grep -c '^tlsmem: attached' "$ERR")" 0
check_eq symlink_procs.target_untouched "$(ls "$TMP/real.csv" 2>/dev/null | wc -l)" 0

# ---- words ----
# a thread id names its process, and is observed as that process
tid=$(ls "/proc/$server/task" | grep -vx "$server" | head -n 1)
if [ -n "$tid" ]; then
	run_tlsmem thread -p "$tid" -d 0.3 --json
	expect thread 0
	check_eq thread.names_process "$(grep -c "$tid is a thread of process $server" "$ERR")" 1
	check_eq thread.observed_as "$(json_get "$OUT" .targets[0].pid)" "$server"
else
	fail thread "gt_server has no thread besides its main one"
fi
run_tlsmem duration_huge -p "$server" -d 1e9
expect duration_huge 2
check_eq duration_huge.states_range "$(grep -c '0.01 to 31536000 (a year)' "$ERR")" 1
e2e_finish
