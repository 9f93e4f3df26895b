#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Runs the unit-test binaries given as arguments, then (unless --unit-only)
# every tests/e2e/test_*.sh in order, and aggregates their "PASS name" and
# "FAIL name[: reason]" lines. Output passes through, except each part's own
# "N passed, N failed" line; the last line is the overall
# "N passed, N failed". Exits 1 when anything failed, including a part that
# exited non-zero (or timed out) without printing a FAIL line. The end-to-end
# tests need root; otherwise they are skipped, and under CI=true a skip
# counts as a failure.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UNIT_TIMEOUT_S=${UNIT_TIMEOUT_S:-300}
E2E_TIMEOUT_S=${E2E_TIMEOUT_S:-900}
CI=${CI:-false}

n_pass=0
n_fail=0

usage()
{
	echo "usage: tests/run-all.sh [--unit-only] UNIT_TEST_BINARY..." >&2
	exit 2
}

# skipped NAME REASON: a skip, which fails under CI=true
skipped()
{
	if [ "$CI" = true ]; then
		echo "FAIL $1: skipped under CI=true: $2"
		n_fail=$((n_fail + 1))
	else
		echo "SKIP $1: $2"
	fi
}

# run_part NAME TIMEOUT_S CMD...: runs one binary or script and counts its lines
run_part()
{
	local name=$1 limit=$2 log rc p f s

	shift 2
	log=$(mktemp) || exit 1
	echo "== $name"
	timeout -k 10 "$limit" "$@" 2>&1 | tee "$log" |
		grep --line-buffered -Ev '^[0-9]+ passed, [0-9]+ failed$'
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^SKIP ' "$log")
	rm -f "$log"
	n_pass=$((n_pass + p))
	n_fail=$((n_fail + f))
	if [ "$s" -gt 0 ] && [ "$CI" = true ]; then
		echo "FAIL $name: $s check(s) skipped under CI=true"
		n_fail=$((n_fail + 1))
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		[ "$rc" -eq 124 ] && rc="$rc (timed out after ${limit}s)"
		echo "FAIL $name: exited with status $rc without a FAIL line"
		n_fail=$((n_fail + 1))
	fi
}

run_unit()
{
	local t

	for t in "$@"; do
		if [ ! -x "$t" ]; then
			echo "FAIL $(basename "$t"): unit-test binary not found"
			n_fail=$((n_fail + 1))
			continue
		fi
		run_part "$(basename "$t")" "$UNIT_TIMEOUT_S" "$t"
	done
}

run_e2e()
{
	local t

	if [ "$(id -u)" -ne 0 ]; then
		skipped e2e "not root (the end-to-end tests attach BPF uprobes)"
		return
	fi
	for t in "$ROOT"/tests/e2e/test_*.sh; do
		[ -e "$t" ] || continue
		run_part "e2e/$(basename "$t" .sh)" "$E2E_TIMEOUT_S" bash "$t"
	done
}

unit_only=0
if [ "${1:-}" = --unit-only ]; then
	unit_only=1
	shift
fi
case "${1:-}" in
-h | --help) usage ;;
esac

run_unit "$@"
[ $unit_only -eq 0 ] && run_e2e
echo "$n_pass passed, $n_fail failed"
[ "$n_fail" -eq 0 ]
