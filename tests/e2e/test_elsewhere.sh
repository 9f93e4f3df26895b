#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Following processes (--children, -- COMMAND, -a) puts the probes per file:
# every process that maps the same libcrypto takes their hits, filtered out
# in BPF. That cost to processes tlsmem does not observe is counted and
# shown, never silent. An idle tree (a parent and a child, each holding an
# SSL object) is followed while an unrelated gt_server serves handshakes:
# the hits that server and its client take are counted as unobserved, at
# least as many as tlsmem -p counts in gt_server alone for the same load;
# with -p on the tree (probes filtered by the kernel), there are none.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CONNS=100

e2e_require
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }
start_gt_server server "$TMP/state"
spawn tree python3 "$ROOT/tests/targets/idle_tree.py" 2
tree=$LAST_PID
if ! wait_for_line "$TMP/tree.out" '^ready ' 30 "$tree"; then
	fail setup "idle_tree.py did not start"
	dump "$TMP/tree.err"
	e2e_finish
fi

# run NAME TLSMEM-ARGS...: the load on gt_server while tlsmem observes; its
# output (--json or --report, given) in $TMP/NAME.out
run()
{
	local name=$1 client tl

	shift
	if ! start_tlsmem "$name" "$@"; then
		fail "$name.attach" "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/$name.err"
		return 1
	fi
	tl=$LAST_PID
	spawn "$name.client" "$TLS_CLIENT" --port "$GT_PORT" --conns $CONNS --threads 2 --bytes 100
	client=$LAST_PID
	wait_exit "$client" 300
	check_eq "$name.client_done" "$(grep '^done ' "$TMP/$name.client.out")" "done $CONNS ok 0 failed"
	stop_tlsmem "$tl"
	check_eq "$name.exit" "$WAIT_RC" 0
}

hits()
{
	json_get "$TMP/$1.out" ".tlsmem.$2"
}

# the same load observed in gt_server itself, for scale
if run alone -p "$GT_PID" --json; then
	observed=$(hits alone probe_hits)
	check_gt alone.hits "$observed" $CONNS
	check_eq alone.unobserved "$(hits alone probe_hits_unobserved)" 0
fi

if run follow --children -p "$tree" --json; then
	check_eq follow.targets "$(json_get "$TMP/follow.out" '[.targets[].pid] | length')" 2
	check_eq follow.ssl_created "$(json_get "$TMP/follow.out" .ssl.created)" 0
	unobserved=$(hits follow probe_hits_unobserved)
	info "unobserved hits $unobserved; gt_server alone under -p: ${observed:-?}"
	# gt_server's hits, and its client's on top
	check_gt follow.unobserved "$unobserved" $(( ${observed:-0} * 9 / 10 ))
	check_gt follow.unobserved_per_s "$(hits follow unobserved_hits_per_s | cut -d. -f1)" 0
	if grep -q 'following children: the probes are placed per file' "$TMP/follow.err"; then
		pass follow.said_at_attach
	else
		fail follow.said_at_attach "no word of the probes' cost to other processes"
	fi
fi

# -p on the tree's parent: the kernel filters by process, no hit elsewhere
if run tree_p -p "$tree" --json; then
	check_eq tree_p.unobserved "$(hits tree_p probe_hits_unobserved)" 0
fi

# the text report says it
if run report --children -p "$tree" --report; then
	if grep -q '^elsewhere .* probe hits/s in processes not observed' "$TMP/report.out"; then
		pass report.elsewhere
	else
		fail report.elsewhere "no 'elsewhere' line in the report"
		dump "$TMP/report.out"
	fi
fi
e2e_finish
