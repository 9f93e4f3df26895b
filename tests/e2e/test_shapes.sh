#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The shapes in which OpenSSL turns up in real processes (issue 4), each on a
# real process, with SSL counts and byte accounting compared with a ground
# truth wherever the target is ours:
#   static     gt_server with OpenSSL linked statically, symbols in .symtab
#              only; and its stripped copy, which tlsmem must refuse clearly
#   deleted    a JNI-like library (libtcn.so) loaded from a temp file since
#              deleted; and libcrypto itself loaded from a deleted copy
#   late       OpenSSL loaded with dlopen after tlsmem attached: -p on a
#              process without OpenSSL yet, -- COMMAND, and -p on a process
#              that maps a second libcrypto later (rescan at the loader event)
#   mntns      gt_server in another mount namespace, its libcrypto not the
#              host's file: bound over the host path, or in a private tmpfs
#   boringssl  a target on Debian's BoringSSL (android-libboringssl-dev)
#   multi      -p PID1,PID2 on two gt_servers: totals are the sums
#   nginx      Debian's nginx, 2 workers, -p on the workers; then a reload
# SHAPES_ONLY="static late" runs a subset. The shape targets are built by
# `make targets` into .output/shapes.
# Ground truth: gt_server's epochs (bumped right after attach); dl_host's and
# boring_target's own counting allocators (tests/targets/shapes/gtcount.h).
# shellcheck disable=SC2317 # the shape_* functions are called as "shape_$shape"
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

SHAPES=${SHAPES_OUT:-.output/shapes}
SHAPES_ONLY=${SHAPES_ONLY:-static deleted late mntns boringssl multi nginx}
CONNS=200
THREADS=4
HOLD=20
BYTES=1000

# --- helpers ---

# compare NAME JSON FILTER TRUTH: one check of a JSON figure against the truth
compare()
{
	local got

	got=$(json_get "$2" "$3")
	info "$1 tlsmem=$got truth=$4"
	check_eq "$1" "$got" "$4"
}

# jc JSON FILTER: compact jq output, for the log
jc()
{
	grep -Ev '^listening [0-9]+ pid [0-9]+$' "$1" 2>/dev/null | jq -c "$2" 2>/dev/null
}

# jnum JSON FILTER: a JSON figure, or empty
jnum()
{
	json_get "$1" "$2"
}

# start_server NAME STATE [PREFIX...] -- BIN: starts a gt_server (BIN with
# gt_server's options), possibly behind a PREFIX command (unshare ...); sets
# SRV_PID (the server itself, from its "listening" line) and SRV_PORT
start_server()
{
	local name=$1 state=$2 prefix=()

	shift 2
	while [ "$1" != -- ]; do
		prefix+=("$1")
		shift
	done
	shift
	spawn "$name" "${prefix[@]}" "$1" --port 0 --cert "$TMP/cert.pem" --key "$TMP/key.pem" \
		--state "$state"
	SRV_PID=
	if ! wait_for_line "$TMP/$name.out" '^listening [0-9]+ pid [0-9]+$' 15 "$LAST_PID"; then
		fail "$name.start" "$1 did not start"
		dump "$TMP/$name.out" "$TMP/$name.err"
		return 1
	fi
	read -r _ SRV_PORT _ SRV_PID < <(grep -E '^listening' "$TMP/$name.out")
	track_pid "$SRV_PID"
}

# settle PID STATE CONNS HOLD: waits until the server's threads are done
settle()
{
	for _ in $(seq 1 100); do
		request_state "$1" "$2" USR2 || return 1
		[ "$(state_get "$2" open_conns)" = "$4" ] &&
			[ "$(state_get "$2" ssl_free)" = $(($3 - $4)) ] && return 0
		sleep 0.2
	done
	return 1
}

# load_server NAME PID PORT STATE CONNS HOLD: tls_client against a gt_server,
# then waits for the server to settle; sets CLIENT_PID (holding HOLD conns)
load_server()
{
	local name=$1 pid=$2 port=$3 state=$4 conns=$5 hold=$6

	spawn "$name" "$TLS_CLIENT" --port "$port" --conns "$conns" --threads $THREADS \
		--hold "$hold" --bytes $BYTES
	CLIENT_PID=$LAST_PID
	if ! wait_for_line "$TMP/$name.out" '^holding ' 120 "$CLIENT_PID"; then
		fail "$name" "tls_client did not finish its connections"
		dump "$TMP/$name.out" "$TMP/$name.err"
		return 1
	fi
	check_eq "$name.done" "$(grep '^done ' "$TMP/$name.out")" "done $conns ok 0 failed"
	if ! settle "$pid" "$state" "$conns" "$hold"; then
		fail "$name.settle" "server state did not reach open_conns=$hold ssl_free=$((conns - hold))"
		cat "$state"
		return 1
	fi
}

# gt_checks PREFIX JSON HOLD STATE...: tlsmem's figures against the sum of
# the gt_servers' ground truths (since their epoch 1)
gt_checks()
{
	local p=$1 json=$2 hold=$3 lb=0 lk=0 sn=0 sf=0 st

	shift 3
	for st in "$@"; do
		lb=$((lb + $(state_get "$st" live_bytes)))
		lk=$((lk + $(state_get "$st" live_blocks)))
		sn=$((sn + $(state_get "$st" ssl_new)))
		sf=$((sf + $(state_get "$st" ssl_free)))
	done
	compare "$p.live_bytes" "$json" .heap.live_bytes $lb
	compare "$p.live_blocks" "$json" .heap.live_blocks $lk
	compare "$p.ssl_live" "$json" .ssl.live "$hold"
	compare "$p.ssl_created" "$json" .ssl.created $sn
	compare "$p.ssl_freed" "$json" .ssl.freed $sf
	compare "$p.events_lost" "$json" .events.lost 0
	info "$p: allocs=$(jnum "$json" .heap.allocs) frees=$(jnum "$json" .heap.frees)" \
		"unknown_frees=$(jnum "$json" .heap.unknown_frees)" \
		"bytes_per_live_ssl=$(jnum "$json" .heap.bytes_per_live_ssl)"
}

# gt_shape PREFIX SERVER_BIN [PREFIX_CMD...]: one gt_server, tlsmem -p,
# epoch 1, load, truth, compare. Leaves SRV_PID running; kills the client.
gt_shape()
{
	local p=$1 bin=$2 state=$TMP/$1.state tl

	shift 2
	start_server "$p.server" "$state" "$@" -- "$bin" || return 1
	if ! start_tlsmem "$p.tlsmem" -p "$SRV_PID" --json; then
		fail "$p.attach" "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/$p.tlsmem.err"
		return 1
	fi
	tl=$LAST_PID
	pass "$p.attach"
	if ! request_state "$SRV_PID" "$state" USR1 || [ "$(state_get "$state" epoch)" != 1 ]; then
		fail "$p.epoch" "the server did not start epoch 1"
		return 1
	fi
	load_server "$p.client" "$SRV_PID" "$SRV_PORT" "$state" $CONNS $HOLD || return 1
	request_state "$SRV_PID" "$state" USR2 || fail "$p.truth" "no final state from the server"
	stop_tlsmem "$tl"
	check_eq "$p.tlsmem_exit" "$WAIT_RC" 0
	gt_checks "$p" "$TMP/$p.tlsmem.out" $HOLD "$state"
	kill -TERM "$CLIENT_PID" 2>/dev/null
}

# signal_state PID STATE SIG: SIG to a shape target (dl_host, boring_target),
# then waits for its fresh state file
signal_state()
{
	request_state "$1" "$2" "$3"
}

# maps_line PID REGEX: the first /proc/PID/maps line whose path matches
maps_line()
{
	grep -E -- "$2" "/proc/$1/maps" 2>/dev/null | head -n 1
}

# --- 1. static OpenSSL, symbols in .symtab only; stripped copy ---

shape_static()
{
	local bin=$SHAPES/gt_server_static strip=$SHAPES/gt_server_static_stripped pid rc msg

	info "[static] $bin: OpenSSL linked in, nm -D CRYPTO_malloc:" \
		"$(nm -D "$bin" 2>/dev/null | grep -cw CRYPTO_malloc), nm:" \
		"$(nm "$bin" 2>/dev/null | grep -cw CRYPTO_malloc)"
	check_eq static.not_exported "$(nm -D "$bin" 2>/dev/null | grep -cw CRYPTO_malloc)" 0
	check_eq static.in_symtab "$(nm "$bin" 2>/dev/null | grep -cw 'T CRYPTO_malloc')" 1
	check_eq static.no_libssl "$(ldd "$bin" | grep -cE 'libssl|libcrypto')" 0
	if gt_shape static "$bin"; then
		compare static.kind "$TMP/static.tlsmem.out" '.targets[0].openssl[0].kind' static
		compare static.objects "$TMP/static.tlsmem.out" '.targets[0].openssl | length' 1
		info "[static] openssl[0]: $(jc "$TMP/static.tlsmem.out" '.targets[0].openssl[0]')"
	fi
	kill -TERM "$SRV_PID" 2>/dev/null

	# stripped: no symbol table left; tlsmem must say what is missing
	check_eq static.stripped_no_symtab "$(nm "$strip" 2>&1 | grep -c 'no symbols')" 1
	start_server static.stripped "$TMP/stripped.state" -- "$strip" || return
	pid=$SRV_PID
	timeout -k 5 60 "$TLSMEM" -p "$pid" --json -d 2 </dev/null >"$TMP/stripped.out" \
		2>"$TMP/stripped.err"
	rc=$?
	msg=$(grep -m1 'error' "$TMP/stripped.err")
	info "[static] stripped: tlsmem -p $pid -> exit $rc: $msg"
	check_eq static.stripped_exit "$rc" 1
	if grep -q 'CRYPTO_malloc' "$TMP/stripped.err"; then
		pass static.stripped_names_symbol
	else
		fail static.stripped_names_symbol "message does not name CRYPTO_malloc: $msg"
	fi
	# what is missing is the symbol table, not OpenSSL: the message should say so
	# (the file's own name, which says "stripped", does not count)
	if sed -E 's/[^ ]*gt_server_stati[^ ]*//g' "$TMP/stripped.err" |
			grep -Eqi 'strip|symbol table|no symbols|\.symtab'; then
		pass static.stripped_says_stripped
	else
		fail static.stripped_says_stripped "expected the message to say that $(basename "$strip") has no symbol table (stripped), got: $msg"
	fi
	kill -TERM "$pid" 2>/dev/null
}

# --- 2. deleted library (netty-tcnative), deleted libcrypto ---

shape_deleted()
{
	local st=$TMP/tcn.state n=25 pid tl json=$TMP/deleted.tlsmem.out got lib

	spawn deleted.host "$SHAPES/dl_host" --state "$st" --load "$SHAPES/libtcn.so" \
		--copy "$TMP" --delete --at-start --gt --call tcn --batch $n
	pid=$LAST_PID
	if ! wait_for_state_seq "$st" 0 10; then
		fail deleted.start "dl_host did not start"
		dump "$TMP/deleted.host.err"
		return
	fi
	info "[deleted] maps: $(maps_line "$pid" 'libtcn' | awk '{ $1 = $2 = $3 = $4 = $5 = ""; print }')"
	check_eq deleted.mapped_deleted "$(grep -c 'libtcn.*(deleted)$' "/proc/$pid/maps" | \
		awk '{ print ($1 > 0) }')" 1
	if ! start_tlsmem deleted.tlsmem -p "$pid" --json; then
		fail deleted.attach "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/deleted.tlsmem.err"
		return
	fi
	tl=$LAST_PID
	signal_state "$pid" "$st" USR2
	signal_state "$pid" "$st" USR1
	stop_tlsmem "$tl"
	check_eq deleted.tlsmem_exit "$WAIT_RC" 0
	got=$(json_get "$json" '[.sites[] | select((.module | endswith(" (deleted)")) and
		.caller == "tcn_state_new")] | .[0].live_blocks')
	info "[deleted] site: $(jc "$json" '.sites[] | select(.module | endswith(" (deleted)"))')"
	info "[deleted] calls after attach=$(state_get "$st" calls) site live_blocks=$got"
	check_eq deleted.site_live_blocks "$got" "$(state_get "$st" calls)"
	check_eq deleted.calls "$(state_get "$st" calls)" $n
	got=$(json_get "$json" '[.sites[] | select((.module | endswith(" (deleted)")) and
		.caller == "tcn_state_new")] | .[0].live_bytes')
	check_eq deleted.site_live_bytes "$got" $((32 * n))
	compare deleted.site_file "$json" '[.sites[] | select(.module | endswith(" (deleted)"))] |
		.[0].file | endswith("/tcn.c")' true
	compare deleted.live_bytes "$json" .heap.live_bytes "$(state_get "$st" live_bytes)"
	compare deleted.live_blocks "$json" .heap.live_blocks "$(state_get "$st" live_blocks)"
	kill -TERM "$pid" 2>/dev/null

	# libcrypto itself from a deleted copy
	st=$TMP/delcrypto.state
	json=$TMP/delcrypto.tlsmem.out
	lib=$(readlink -f "$LIBCRYPTO")
	spawn delcrypto.host "$SHAPES/dl_host" --state "$st" --load "$lib" --copy "$TMP" \
		--delete --at-start --gt --call crypto --size 77 --batch 40
	pid=$LAST_PID
	if ! wait_for_state_seq "$st" 0 10; then
		fail delcrypto.start "dl_host did not start"
		dump "$TMP/delcrypto.host.err"
		return
	fi
	info "[deleted] maps: $(maps_line "$pid" 'libcrypto' | awk '{ $1 = $2 = $3 = $4 = $5 = ""; print }')"
	if ! start_tlsmem delcrypto.tlsmem -p "$pid" --json; then
		fail delcrypto.attach "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/delcrypto.tlsmem.err"
		return
	fi
	tl=$LAST_PID
	signal_state "$pid" "$st" USR2
	signal_state "$pid" "$st" USR1
	stop_tlsmem "$tl"
	check_eq delcrypto.tlsmem_exit "$WAIT_RC" 0
	info "[deleted] openssl: $(jc "$json" '.targets[0].openssl')"
	compare delcrypto.kind "$json" '.targets[0].openssl[0].kind' deleted
	compare delcrypto.path "$json" '.targets[0].openssl[0].path' "$(state_get "$st" module)"
	compare delcrypto.live_bytes "$json" .heap.live_bytes "$(state_get "$st" live_bytes)"
	compare delcrypto.live_blocks "$json" .heap.live_blocks "$(state_get "$st" live_blocks)"
	check_eq delcrypto.truth "$(state_get "$st" live_bytes)" $((77 * 40))
	kill -TERM "$pid" 2>/dev/null
}

# --- 3. OpenSSL loaded after attach ---

# late_compare PREFIX JSON STATE: heap and SSL figures against dl_host's truth
late_compare()
{
	local p=$1 json=$2 st=$3 missed

	compare "$p.live_bytes" "$json" .heap.live_bytes "$(state_get "$st" live_bytes)"
	compare "$p.live_blocks" "$json" .heap.live_blocks "$(state_get "$st" live_blocks)"
	missed=$(($(state_get "$st" live_blocks) - $(jnum "$json" .heap.live_blocks)))
	info "[late] $p: blocks missed $missed of $(state_get "$st" live_blocks)" \
		"(explicit calls $(state_get "$st" calls), gt $(state_get "$st" gt))"
}

# late_at_least PREFIX JSON STATE N: at least the N blocks of the later batch,
# never more than the truth
late_at_least()
{
	local p=$1 json=$2 st=$3 n=$4 got truth

	got=$(jnum "$json" .heap.live_blocks)
	truth=$(state_get "$st" live_blocks)
	if [ "$got" -ge "$n" ] 2>/dev/null && [ "$got" -le "$truth" ]; then
		pass "$p.later_batch"
	else
		fail "$p.later_batch" "expected between $n and $truth blocks, got $got"
	fi
	late_missed "$p" "$json" "$st"
}

# late_missed PREFIX JSON STATE: how much of the burst at the load was missed (info)
late_missed()
{
	local p=$1 json=$2 st=$3

	info "[late] $p: blocks missed $(($(state_get "$st" live_blocks) - $(jnum "$json" .heap.live_blocks)))" \
		"of $(state_get "$st" live_blocks) (the burst between the dlopen and the probes)"
}

# late_probed PREFIX TLSMEM_PID LIB: waits for tlsmem's line saying that LIB,
# loaded after attach, is probed (the event the later batch must follow)
late_probed()
{
	if wait_for_line "$TMP/$1.tlsmem.err" "^tlsmem: probed $3 in PID [0-9]+ .*loaded after attach" \
			30 "$2"; then
		pass "$1.probed_line"
	else
		fail "$1.probed_line" "no 'tlsmem: probed $3 ... loaded after attach' line within 30 s"
		dump "$TMP/$1.tlsmem.err"
	fi
}

shape_late()
{
	local st=$TMP/late_p.state k=50 s=10 pid tl json lib rc

	# -p --wait on a process with no OpenSSL mapped yet: tlsmem attaches to
	# the loader, waits, and probes libssl when the loader maps it
	spawn late_p.host "$SHAPES/dl_host" --state "$st" --load libssl.so.3 --gt \
		--call crypto --size 64 --batch $k --ssl $s
	pid=$LAST_PID
	wait_for_state_seq "$st" 0 10 || { fail late_p.start "dl_host did not start"; return; }
	if ! start_tlsmem late_p.tlsmem -p "$pid" --wait --json; then
		wait_exit "$LAST_PID" 5
		fail late_p.waits "tlsmem -p $pid (OpenSSL not loaded yet): expected it to attach and wait for the library, got exit $WAIT_RC: $(grep -m1 error "$TMP/late_p.tlsmem.err")"
	else
		tl=$LAST_PID
		pass late_p.waits
		if grep -q '^tlsmem: attached .*waiting for OpenSSL to be loaded' "$TMP/late_p.tlsmem.err"; then
			pass late_p.says_waiting
		else
			fail late_p.says_waiting "$(grep -m1 '^tlsmem: attached' "$TMP/late_p.tlsmem.err")"
		fi
		signal_state "$pid" "$st" USR2
		signal_state "$pid" "$st" USR1		# dlopen, then at once the first batch
		late_probed late_p "$tl" 'libcrypto[^ ]*'
		signal_state "$pid" "$st" USR1		# after the probes: must be whole
		stop_tlsmem "$tl"
		# a -p target is not held at the load: the batch right after the
		# dlopen may be partly missed, the one after the probes must be whole,
		# and the window is said, not silent
		json=$TMP/late_p.tlsmem.out
		late_at_least late_p "$json" "$st" $k
		compare late_p.loaded_after_attach "$json" \
			'[.targets[0].openssl[] | select(.loaded_after_attach)] | length > 0' true
		compare late_p.window_shown "$json" \
			'[.targets[0].openssl[] | select(.unobserved_ms > 0)] | length > 0' true
		compare late_p.incomplete "$json" .complete false
		info "[late] late_p: $(grep -m1 '^tlsmem: probed libcrypto' "$TMP/late_p.tlsmem.err")"
	fi
	kill -TERM "$pid" 2>/dev/null

	# -p --wait --hold-loads: the process is held at the load until probed,
	# so nothing it allocates is missed: the figures are exact
	st=$TMP/late_h.state
	json=$TMP/late_h.tlsmem.out
	spawn late_h.host "$SHAPES/dl_host" --state "$st" --load libssl.so.3 --gt \
		--call crypto --size 64 --batch $k --ssl $s
	pid=$LAST_PID
	wait_for_state_seq "$st" 0 10 || { fail late_h.start "dl_host did not start"; return; }
	if ! start_tlsmem late_h.tlsmem -p "$pid" --wait --hold-loads --json; then
		fail late_h.attach "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/late_h.tlsmem.err"
	else
		tl=$LAST_PID
		signal_state "$pid" "$st" USR2
		if signal_state "$pid" "$st" USR1; then	# dlopen (held), then at once a batch
			pass late_h.continued
		else
			fail late_h.continued "dl_host did not go on after the load: $(sed 's/.*) //' "/proc/$pid/stat" | cut -c1)"
		fi
		signal_state "$pid" "$st" USR1
		stop_tlsmem "$tl"
		check_eq late_h.tlsmem_exit "$WAIT_RC" 0
		check_eq late_h.gt "$(state_get "$st" gt)" 1
		late_compare late_h "$json" "$st"
		compare late_h.ssl_created "$json" .ssl.created $((2 * s))
		compare late_h.complete "$json" .complete true
		if grep -q '^tlsmem: probed libcrypto.* held at the load, nothing missed' "$TMP/late_h.tlsmem.err"; then
			pass late_h.says_held
		else
			fail late_h.says_held "no 'held at the load' line"
			dump "$TMP/late_h.tlsmem.err"
		fi
	fi
	kill -TERM "$pid" 2>/dev/null

	# OpenSSL never loaded: --wait says so at the end, exit 1
	spawn late_never.host "$SHAPES/dl_host" --state "$TMP/late_never.state" --load libssl.so.3
	pid=$LAST_PID
	wait_for_state_seq "$TMP/late_never.state" 0 10 ||
		{ fail late_never.start "dl_host did not start"; return; }
	RUN_TIMEOUT_S=30 run_tlsmem late_never.tlsmem -p "$pid" --wait -d 0.5 --report
	check_eq late_never.exit "$RC" 1
	if grep -q "OpenSSL never loaded in PID $pid" "$ERR" && grep -q 'OpenSSL never loaded' "$OUT"; then
		pass late_never.said
	else
		fail late_never.said "stderr: $(tail -n 2 "$ERR"); report: $(head -n 3 "$OUT")"
	fi
	kill -TERM "$pid" 2>/dev/null

	# -- COMMAND: the child is held at every loader event while tlsmem probes
	st=$TMP/late_cmd.state
	json=$TMP/late_cmd.json
	if ! start_tlsmem late_cmd.tlsmem --json="$json" -- "$SHAPES/dl_host" --state "$st" \
			--load libssl.so.3 --gt --call crypto --size 64 --batch $k --ssl $s; then
		fail late_cmd.attach "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/late_cmd.tlsmem.err"
		return
	fi
	tl=$LAST_PID
	wait_for_state_seq "$st" 0 10 || { fail late_cmd.start "dl_host did not start"; return; }
	pid=$(state_get "$st" pid)
	track_pid "$pid"
	signal_state "$pid" "$st" USR1		# dlopen (held), then at once the first batch
	signal_state "$pid" "$st" USR1
	stop_tlsmem "$tl"
	check_eq late_cmd.tlsmem_exit "$WAIT_RC" 0
	check_eq late_cmd.gt "$(state_get "$st" gt)" 1
	info "[late] -- COMMAND openssl: $(jc "$json" '[.targets[0].openssl[] | .path]')"
	late_compare late_cmd "$json" "$st"
	compare late_cmd.ssl_created "$json" .ssl.created $((2 * s))
	compare late_cmd.ssl_freed "$json" .ssl.freed $((2 * (s / 2)))
	compare late_cmd.ssl_live "$json" .ssl.live $((2 * (s - s / 2)))

	# -p, and a second libcrypto (a copy: new inode) mapped after attach; the
	# burst right after dlopen, then a second batch a second later
	st=$TMP/late_re.state
	json=$TMP/late_re.tlsmem.out
	lib=$(readlink -f "$LIBCRYPTO")
	spawn late_re.host "$SHAPES/dl_host" --state "$st" --preload libcrypto.so.3 \
		--load "$lib" --copy "$TMP" --gt --call crypto --size 64 --batch 200
	pid=$LAST_PID
	wait_for_state_seq "$st" 0 10 || { fail late_re.start "dl_host did not start"; return; }
	if ! start_tlsmem late_re.tlsmem -p "$pid" --json; then
		fail late_re.attach "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/late_re.tlsmem.err"
		return
	fi
	tl=$LAST_PID
	signal_state "$pid" "$st" USR2
	signal_state "$pid" "$st" USR1		# dlopen of the copy, then 200 calls at once
	late_probed late_re "$tl" 'libcrypto[^ ]*'
	signal_state "$pid" "$st" USR1		# 200 more, after the probes
	stop_tlsmem "$tl"
	check_eq late_re.tlsmem_exit "$WAIT_RC" 0
	info "[late] -p rescan openssl: $(jc "$json" '[.targets[0].openssl[] | .path]')"
	compare late_re.found_copy "$json" \
		"[.targets[0].openssl[] | select(.path == \"$(state_get "$st" module)\")] | length" 1
	if [ "$(jnum "$json" .heap.live_blocks)" -ge 200 ] 2>/dev/null; then
		pass late_re.second_batch
	else
		fail late_re.second_batch "expected >= 200 blocks (the batch after the probes), got $(jnum "$json" .heap.live_blocks)"
	fi
	late_missed late_re "$json" "$st"
	info "[late] late_re: complete=$(jnum "$json" .complete) events.lost=$(jnum "$json" .events.lost)"
	kill -TERM "$pid" 2>/dev/null

	# how long after the load the probes come: a steady stream of calls 1 ms apart
	st=$TMP/late_win.state
	json=$TMP/late_win.tlsmem.out
	spawn late_win.host "$SHAPES/dl_host" --state "$st" --preload libcrypto.so.3 \
		--load "$lib" --copy "$TMP" --gt --call crypto --size 64 --batch 1000 --spread-us 1000
	pid=$LAST_PID
	wait_for_state_seq "$st" 0 10 || { fail late_win.start "dl_host did not start"; return; }
	if start_tlsmem late_win.tlsmem -p "$pid" --json; then
		tl=$LAST_PID
		signal_state "$pid" "$st" USR2
		signal_state "$pid" "$st" USR1
		stop_tlsmem "$tl"
		info "[late] -p stream of 1000 calls 1 ms apart from the dlopen: tlsmem saw" \
			"$(jnum "$json" .heap.live_blocks) of $(state_get "$st" live_blocks)" \
			"(about $(($(state_get "$st" live_blocks) - $(jnum "$json" .heap.live_blocks))) ms" \
			"from the loader event to live probes)"
	fi
	kill -TERM "$pid" 2>/dev/null
}

# --- 4. another mount namespace ---

shape_mntns()
{
	local libdir ns pid maps host

	libdir=$(dirname "$(readlink -f "$LIBCRYPTO")")
	# a: copies bound over the host's paths (same name, other file)
	mkdir -p "$TMP/nsbind"
	ns=$TMP/ns_bind.sh
	cat >"$ns" <<-EOF
		set -e
		mount -t tmpfs tlsmem-shapes "$TMP/nsbind"
		cp "$libdir/libssl.so.3" "$libdir/libcrypto.so.3" "$TMP/nsbind/"
		mount --bind "$TMP/nsbind/libcrypto.so.3" "$libdir/libcrypto.so.3"
		mount --bind "$TMP/nsbind/libssl.so.3" "$libdir/libssl.so.3"
		exec "\$@"
	EOF
	if gt_shape mntns_bind "$GT_SERVER" unshare --mount --fork sh "$ns"; then
		pid=$SRV_PID
		maps=$(maps_line "$pid" 'libcrypto\.so\.3$')
		host=$(stat -c '%d %i' "$libdir/libcrypto.so.3")
		info "[mntns] bind: target maps $(echo "$maps" | awk '{ print $4, $5, $6 }');" \
			"host file dev $host"
		if [ "$(echo "$maps" | awk '{ print $5 }')" != "$(echo "$host" | awk '{ print $2 }')" ]; then
			pass mntns_bind.other_inode
		else
			fail mntns_bind.other_inode "the target maps the host's libcrypto: $maps"
		fi
		compare mntns_bind.path "$TMP/mntns_bind.tlsmem.out" \
			'[.targets[0].openssl[] | select(.path | test("libcrypto"))] | .[0].path' \
			"$libdir/libcrypto.so.3"
		check_eq mntns_bind.host_unchanged "$(findmnt -n "$libdir/libcrypto.so.3" | wc -l)" 0
		kill -TERM "$pid" 2>/dev/null
	fi

	# b: a private tmpfs directory, empty from the host's side
	mkdir -p "$TMP/nsonly"
	ns=$TMP/ns_only.sh
	cat >"$ns" <<-EOF
		set -e
		mount -t tmpfs tlsmem-shapes "$TMP/nsonly"
		cp "$libdir/libssl.so.3" "$libdir/libcrypto.so.3" "$TMP/nsonly/"
		export LD_LIBRARY_PATH="$TMP/nsonly"
		exec "\$@"
	EOF
	if gt_shape mntns_only "$GT_SERVER" unshare --mount --fork sh "$ns"; then
		pid=$SRV_PID
		info "[mntns] private: target maps $(maps_line "$pid" 'libcrypto' | awk '{ print $4, $5, $6 }');" \
			"host sees $(find "$TMP/nsonly" -mindepth 1 | wc -l) files there"
		check_eq mntns_only.host_empty "$(find "$TMP/nsonly" -mindepth 1 | wc -l)" 0
		compare mntns_only.path "$TMP/mntns_only.tlsmem.out" \
			'[.targets[0].openssl[] | select(.path | test("libcrypto"))] | .[0].path' \
			"$TMP/nsonly/libcrypto.so.3"
		# callers in the private libcrypto are named from its own symbol table
		compare mntns_only.symbolized "$TMP/mntns_only.tlsmem.out" \
			"[.sites[] | select(.module == \"$TMP/nsonly/libcrypto.so.3\" and
				(.caller | test(\"[+]0x\") | not))] | length > 0" true
		kill -TERM "$pid" 2>/dev/null
	fi
}

# --- 5. BoringSSL ---

shape_boringssl()
{
	local st=$TMP/boring.state json=$TMP/boring.tlsmem.out m=30 s=10 pid tl

	info "[boringssl] $(apt-cache policy android-libboringssl-dev 2>/dev/null |
		awk '/Installed|Candidate/ { printf "%s ", $0 }')"
	if [ ! -x "$SHAPES/boring_target" ]; then
		skip boringssl "android-libboringssl-dev not installed (apt-get install android-libboringssl-dev, then rerun)"
		return
	fi
	spawn boring.host "$SHAPES/boring_target" --state "$st" --size 100 --mallocs $m --ssl $s
	pid=$LAST_PID
	wait_for_state_seq "$st" 0 10 || { fail boringssl.start "boring_target did not start"; return; }
	if ! start_tlsmem boring.tlsmem -p "$pid" --json; then
		fail boringssl.attach "no 'tlsmem: attached' line within 60 s: $(grep -m1 error "$TMP/boring.tlsmem.err")"
		return
	fi
	tl=$LAST_PID
	pass boringssl.attach
	signal_state "$pid" "$st" USR2
	signal_state "$pid" "$st" USR1
	stop_tlsmem "$tl"
	check_eq boringssl.tlsmem_exit "$WAIT_RC" 0
	info "[boringssl] openssl: $(jc "$json" '[.targets[0].openssl[] | {path, kind, version, probes}]')"
	info "[boringssl] ssl: $(jc "$json" .ssl) heap: $(jc "$json" .heap)"
	info "[boringssl] truth: $(tr '\n' ' ' <"$st")"
	# libssl takes its libcrypto's version: both say BoringSSL
	compare boringssl.version "$json" \
		'[.targets[0].openssl[] | .version == "BoringSSL"] | all' true
	compare boringssl.ssl_created "$json" .ssl.created "$(state_get "$st" ssl_new)"
	compare boringssl.ssl_freed "$json" .ssl.freed "$(state_get "$st" ssl_free)"
	compare boringssl.ssl_live "$json" .ssl.live $((s - s / 2))
	compare boringssl.live_bytes "$json" .heap.live_bytes "$(state_get "$st" live_bytes)"
	compare boringssl.live_blocks "$json" .heap.live_blocks "$(state_get "$st" live_blocks)"
	kill -TERM "$pid" 2>/dev/null
}

# --- 6. several processes ---

shape_multi()
{
	local s1=$TMP/multi1.state s2=$TMP/multi2.state p1 p2 port1 port2 c1 c2 tl line
	local json=$TMP/multi.tlsmem.out

	start_server multi1.server "$s1" -- "$GT_SERVER" || return
	p1=$SRV_PID
	port1=$SRV_PORT
	start_server multi2.server "$s2" -- "$GT_SERVER" || return
	p2=$SRV_PID
	port2=$SRV_PORT
	if ! start_tlsmem multi.tlsmem -p "$p1,$p2" --json; then
		fail multi.attach "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/multi.tlsmem.err"
		return
	fi
	tl=$LAST_PID
	pass multi.attach
	# the attach line names each object once, however many processes map it
	line=$(grep -m1 '^tlsmem: attached' "$TMP/multi.tlsmem.err")
	info "[multi] $line"
	check_eq multi.attach_line_once "$(grep -o 'libcrypto\.so\.3' <<<"$line" | wc -l)" 1
	request_state "$p1" "$s1" USR1
	request_state "$p2" "$s2" USR1
	load_server multi1.client "$p1" "$port1" "$s1" 150 10 || return
	c1=$CLIENT_PID
	load_server multi2.client "$p2" "$port2" "$s2" 100 25 || return
	c2=$CLIENT_PID
	request_state "$p1" "$s1" USR2
	request_state "$p2" "$s2" USR2
	stop_tlsmem "$tl"
	check_eq multi.tlsmem_exit "$WAIT_RC" 0
	compare multi.targets "$json" '.targets | length' 2
	# libssl has no version string of its own: it is its libcrypto's release
	compare multi.libssl_version "$json" \
		'[.targets[].openssl[] | select(.path | test("libssl")) | .version |
			test("^OpenSSL [0-9]")] | all' true
	info "[multi] truth 1: live_bytes $(state_get "$s1" live_bytes) ssl_new $(state_get "$s1" ssl_new);" \
		"truth 2: live_bytes $(state_get "$s2" live_bytes) ssl_new $(state_get "$s2" ssl_new)"
	gt_checks multi "$json" 35 "$s1" "$s2"
	kill -TERM "$c1" "$c2" "$p1" "$p2" 2>/dev/null
}

# --- 7. nginx ---

# nginx_workers MASTER: the worker pids, comma separated, once there are 2
nginx_workers()
{
	local w

	for _ in $(seq 1 50); do
		w=$(pgrep -P "$1" | sort -n | paste -sd, -)
		[ "$(echo "$w" | tr ',' '\n' | grep -c .)" -eq 2 ] && { echo "$w"; return 0; }
		sleep 0.1
	done
	return 1
}

# wait_for_line_count FILE REGEX N TIMEOUT_S: waits for N matching lines
wait_for_line_count()
{
	local deadline=$((SECONDS + $4))

	while [ $SECONDS -le $deadline ]; do
		[ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.2
	done
	return 1
}

# wait_csv_live CSV N: waits up to 30 s for the last row's live_ssl to be N; sets live
wait_csv_live()
{
	wait_csv "$1" live_ssl "v == $2" 30
	local rc=$?

	live=$CSV_V
	return $rc
}

shape_nginx()
{
	local conf=$TMP/nginx/nginx.conf port master workers tl hc n=40 csv json live new w deadline

	if ! command -v nginx >/dev/null; then
		skip nginx "nginx not installed (apt-get install nginx-light)"
		return
	fi
	port=$(free_port)
	nginx_conf "$TMP/nginx" "$port" "keepalive_timeout 300s;" "keepalive_requests 100000;"
	spawn nginx nginx -p "$TMP/nginx" -c "$conf" -e "$TMP/nginx/error.log"
	master=$LAST_PID
	if ! workers=$(nginx_workers "$master"); then
		fail nginx.start "nginx did not start 2 workers"
		dump "$TMP/nginx.err" "$TMP/nginx/error.log"
		return
	fi
	info "[nginx] $(nginx -v 2>&1), master $master, workers $workers"

	# run 1: connections opened and held after attach
	csv=$TMP/nginx1.csv
	json=$TMP/nginx1.tlsmem.out
	if ! start_tlsmem nginx1.tlsmem -p "$workers" --json -i 1 -o "$csv"; then
		fail nginx.attach "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/nginx1.tlsmem.err"
		return
	fi
	tl=$LAST_PID
	pass nginx.attach
	spawn nginx.client "$SHAPES/hold_client" --port "$port" --conns $n
	hc=$LAST_PID
	if ! wait_for_line "$TMP/nginx.client.out" '^holding ' 60 "$hc"; then
		fail nginx.client "hold_client did not open its connections"
		dump "$TMP/nginx.client.err"
		return
	fi
	check_eq nginx.client "$(cat "$TMP/nginx.client.out")" "holding $n ok 0 failed"
	wait_csv "$csv" live_ssl "v == $n" 30
	live=$CSV_V
	info "[nginx] live_ssl in the CSV while $n connections are held: $live;" \
		"established per worker: $(ss -Htnp state established "( sport = :$port )" 2>/dev/null |
			grep -o 'pid=[0-9]*' | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')"
	check_eq nginx.csv_live_ssl "$live" $n
	stop_tlsmem "$tl"
	check_eq nginx.tlsmem_exit "$WAIT_RC" 0
	compare nginx.ssl_live "$json" .ssl.live $n
	compare nginx.ssl_created "$json" .ssl.created $n
	compare nginx.ssl_freed "$json" .ssl.freed 0
	compare nginx.events_lost "$json" .events.lost 0
	info "[nginx] heap: $(jc "$json" .heap)"
	if [ "$(jnum "$json" .heap.bytes_per_live_ssl | cut -d. -f1)" -gt 0 ] 2>/dev/null; then
		pass nginx.bytes_per_live_ssl
	else
		fail nginx.bytes_per_live_ssl "expected > 0, got $(jnum "$json" .heap.bytes_per_live_ssl)"
	fi

	kill -TERM "$hc" 2>/dev/null
	wait_exit "$hc" 10

	# run 2: --children on the master follows its workers, and the new ones
	# after nginx -s reload; the old ones close their connections and exit
	csv=$TMP/nginx2.csv
	json=$TMP/nginx2.tlsmem.out
	if ! start_tlsmem nginx2.tlsmem -p "$master" --children -i 0.5 --json -o "$csv"; then
		fail nginx.attach2 "no 'tlsmem: attached' line within 60 s"
		return
	fi
	tl=$LAST_PID
	if wait_for_line_count "$TMP/nginx2.tlsmem.err" '^tlsmem: following child' 2 20; then
		pass nginx.children_followed
	else
		fail nginx.children_followed "the 2 workers were not followed"
		dump "$TMP/nginx2.tlsmem.err"
	fi
	spawn nginx.client2 "$SHAPES/hold_client" --port "$port" --conns $n
	wait_for_line "$TMP/nginx.client2.out" '^holding ' 60 "$LAST_PID" ||
		fail nginx.client2 "hold_client did not open its connections"
	hc=$LAST_PID
	wait_csv_live "$csv" $n
	check_eq nginx.children_live_ssl "$live" $n
	nginx -p "$TMP/nginx" -c "$conf" -e "$TMP/nginx/error.log" -s reload 2>>"$TMP/nginx.err"
	if wait_for_line_count "$TMP/nginx2.tlsmem.err" '^tlsmem: following child' 4 30; then
		pass nginx.reload_followed
	else
		fail nginx.reload_followed "the new workers were not followed after the reload"
		dump "$TMP/nginx2.tlsmem.err"
	fi
	kill -TERM "$hc" 2>/dev/null
	wait_exit "$hc" 10
	# the old workers exit once their connections are closed; until then they
	# may still accept one, and close it as idle when they shut down
	for w in ${workers//,/ }; do
		deadline=$((SECONDS + 30))
		while is_alive "$w" && [ $SECONDS -le $deadline ]; do
			sleep 0.1
		done
		is_alive "$w" && fail nginx.old_worker_gone "old worker $w still runs 30 s after its clients left"
	done
	spawn nginx.client3 "$SHAPES/hold_client" --port "$port" --conns $((n / 2))
	hc=$LAST_PID
	wait_for_line "$TMP/nginx.client3.out" '^holding ' 60 "$hc" ||
		fail nginx.client3 "hold_client did not open its connections after the reload"
	wait_csv_live "$csv" $((n / 2))
	check_eq nginx.reload_live_ssl "$live" $((n / 2))
	stop_tlsmem "$tl"
	check_eq nginx.reload_tlsmem_exit "$WAIT_RC" 0
	compare nginx.reload_targets "$json" '.targets | length' 5
	compare nginx.reload_targets_exited "$json" '[.targets[] | select(.exited)] | length' 2
	info "[nginx] reload: ssl $(jc "$json" .ssl), targets $(jc "$json" '[.targets[] | {pid, exited}]')"
	kill -TERM "$hc" 2>/dev/null
	kill -QUIT "$master" 2>/dev/null
}

# --- main ---

e2e_require
if ! make -s targets >"$TMP/build.log" 2>&1; then
	fail build "make targets failed"
	cat "$TMP/build.log"
	e2e_finish
fi
SHAPES=$(cd "$SHAPES" && pwd)
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }
LIBCRYPTO=$(ldd "$GT_SERVER" | awk '$1 ~ /^libcrypto\.so/ { print $3; exit }')
if [ -z "$LIBCRYPTO" ]; then
	fail setup "cannot find the libcrypto $GT_SERVER uses"
	e2e_finish
fi

for shape in $SHAPES_ONLY; do
	echo "  shapes: == $shape"
	if ! declare -F "shape_$shape" >/dev/null; then
		fail setup "unknown shape $shape in SHAPES_ONLY"
		continue
	fi
	"shape_$shape"
done
e2e_finish
