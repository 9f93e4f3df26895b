#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# tlsmem's error paths and exit statuses (0 ok, 1 runtime error, 2 usage):
# a PID that does not exist, a process without OpenSSL, malformed options,
# -h and -V. Every run is bounded by timeout(1).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# a pid that is free: a child that has been reaped
dead_pid()
{
	sh -c 'exit 0' &
	local p=$!

	wait "$p"
	echo "$p"
}

e2e_require

pid=$(dead_pid)
run_tlsmem no_such_pid -p "$pid"
if [ "$RC" -eq 2 ] && grep -q -- "$pid" "$ERR"; then
	pass no_such_pid
else
	fail no_such_pid "tlsmem -p $pid (no such process) -> exit $RC, stderr: $(head -c 200 "$ERR")"
fi

spawn sleeper sleep 60
sleeper=$LAST_PID
run_tlsmem no_openssl -p "$sleeper"
if [ "$RC" -eq 1 ] && grep -qi openssl "$ERR"; then
	pass no_openssl
else
	fail no_openssl "tlsmem -p PID-of-sleep -> exit $RC (expected 1), stderr: $(head -c 200 "$ERR")"
fi

expect_usage interval_zero -p "$sleeper" -i 0
expect_usage interval_negative -p "$sleeper" -i -1
expect_usage interval_text -p "$sleeper" -i abc
expect_usage duration_suffix -p "$sleeper" -d 10x
expect_usage pid_empty -p ''
expect_usage pid_list_empty_item -p 12,,13
expect_usage unknown_option --no-such-option -p "$sleeper"
expect_usage no_target
expect_usage no_target_json --json

run_tlsmem help -h
if [ "$RC" -eq 0 ] && grep -q -- '-p' "$OUT"; then
	pass help
else
	fail help "tlsmem -h -> exit $RC (expected 0), stdout $(wc -c <"$OUT") bytes"
fi
run_tlsmem version -V
if [ "$RC" -eq 0 ] && [ -s "$OUT" ]; then
	pass version
else
	fail version "tlsmem -V -> exit $RC (expected 0), stdout $(wc -c <"$OUT") bytes"
fi
e2e_finish
