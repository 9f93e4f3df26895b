#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Names in stripped code. dl_host loads a stripped libnames (tests/targets/
# shapes/names.c), whose allocation site's caller is the static function
# new_ssl_state, laid out right after the export tcn_state_new. Each case
# gives tlsmem one way to find the name, and checks the site's caller, the
# module's "names_from", and that the export's name is never given:
#   bare       no debug info: the function's start (from .eh_frame)
#   buildid    debug file under /usr/lib/debug/.build-id inside the target's
#              root (a private mount namespace: the host has no such file)
#   buildid_bad  a debug file of another build at that place: skipped
#   debuglink  .gnu_debuglink, debug file in the library's .debug/ folder
#   debuglink_crc  a debug file whose CRC does not match: skipped
#   mini       .gnu_debugdata (MiniDebugInfo)
#   mini_trunc .gnu_debugdata truncated: skipped
#   jni        a JNINativeMethod table names it "newSSL"
#   report     the text report says per module where its names came from
#   debuginfod a local debuginfod server (own network namespace, loopback)
#   refused    a debuginfod URL that refuses: the start, exit 0
#   silent     a debuginfod server that never answers delays nothing
#   nolib      libdebuginfod absent: tlsmem starts and names all the same
# NAMES_ONLY="bare jni" runs a subset.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHAPES=${SHAPES_OUT:-.output/shapes}
NAMES_ONLY=${NAMES_ONLY:-bare buildid buildid_bad debuglink debuglink_crc mini mini_trunc jni \
report debuginfod refused silent nolib}
BATCH=5

# sym_addr LIB SYM: the symbol's address in the unstripped LIB, as 0xHEX
sym_addr()
{
	local a

	a=$(nm "$1" | awk -v s="$2" '$3 == s { print $1; exit }')
	[ -n "$a" ] && printf '0x%x\n' $((16#$a))
}

# site JSON FILTER: of the site in names.c
site()
{
	json_get "$1" "[.sites[] | select(.file | endswith(\"names.c\"))] | .[0] | $2"
}

# run_case NAME LIB CALLER FROM [PREFIX...]: dl_host loads LIB (run through
# PREFIX, e.g. unshare), tlsmem -v attaches; the site's caller must be
# CALLER (a regex when it starts with ~) and its names_from FROM.
# TLSMEM_PREFIX runs tlsmem through a command (nsenter).
run_case()
{
	local name=$1 lib=$2 want=$3 from=$4 st pid tl json got
	shift 4
	st=$TMP/$name.state
	json=$TMP/$name.tlsmem.out
	spawn "$name.host" "$@" "$SHAPES/dl_host" --state "$st" --load "$lib" --at-start \
		--call tcn --batch $BATCH
	pid=$LAST_PID
	if ! wait_for_state_seq "$st" 0 10; then
		fail "$name.start" "dl_host did not start"
		dump "$TMP/$name.host.err"
		return 1
	fi
	if ! TLSMEM="${TLSMEM_PREFIX:-} ./tlsmem" start_tlsmem_words "$name.tlsmem" -p "$pid" \
		--json -v --sites-csv "$TMP/$name.sites.csv" --metrics-file "$TMP/$name.prom"; then
		fail "$name.attach" "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/$name.tlsmem.err"
		return 1
	fi
	tl=$LAST_PID
	request_state "$pid" "$st" USR1
	stop_tlsmem "$tl"
	check_eq "$name.tlsmem_exit" "$WAIT_RC" 0
	kill -TERM "$pid" 2>/dev/null
	got=$(site "$json" .caller)
	info "[$name] site: $(site "$json" '{caller, names_from, build_id, live_blocks}' | tr -d '\n ')"
	if [ "${want:0:1}" = "~" ]; then
		if [[ "$got" =~ ${want:1} ]]; then
			pass "$name.caller"
		else
			fail "$name.caller" "caller '$got', want /${want:1}/"
		fi
	else
		check_eq "$name.caller" "$got" "$want"
	fi
	check_eq "$name.names_from" "$(site "$json" .names_from)" "$from"
	check_eq "$name.live_blocks" "$(site "$json" .live_blocks)" $BATCH
	check_eq "$name.no_wrong_name" "$(json_get "$json" \
		'[.sites[] | select(.caller == "tcn_state_new")] | length')" 0
	check_eq "$name.build_id" "$(site "$json" .build_id)" "$BUILD_ID"
	check_eq "$name.csv_build_id" "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["file"] ~ /names\.c$/ { print $c["build_id"]; exit }' "$TMP/$name.sites.csv")" "$BUILD_ID"
	check_eq "$name.prom_build_id" "$(grep '^tlsmem_site_live_bytes{' "$TMP/$name.prom" |
		grep 'names\.c' | grep -c "build_id=\"$BUILD_ID\"")" 1
	return 0
}

# start_tlsmem_words NAME ARG...: start_tlsmem with $TLSMEM split into words
start_tlsmem_words()
{
	local name=$1

	shift
	spawn "$name" $TLSMEM "$@"
	wait_for_line "$TMP/$name.err" '^tlsmem: attached' 60 "$LAST_PID"
}

case_bare()
{
	run_case bare "$SHAPES/names/libnames_stripped.so" \
		"libnames_stripped.so+$START+$DELTA" "eh_frame only"
}

# the debug file at its build-id path inside a private /usr/lib/debug
buildid_case()
{
	local name=$1 debug=$2 want=$3 from=$4 d=$TMP/$1.debugroot

	mkdir -p "$d/.build-id/${BUILD_ID:0:2}"
	cp "$debug" "$d/.build-id/${BUILD_ID:0:2}/${BUILD_ID:2}.debug"
	run_case "$name" "$SHAPES/names/libnames_stripped.so" "$want" "$from" \
		unshare --mount --propagation private sh -c \
		"mount --bind '$d' /usr/lib/debug && exec \"\$0\" \"\$@\""
}

# the text report says, per module, where the names came from
case_report()
{
	local st=$TMP/report.state pid tl

	spawn report.host "$SHAPES/dl_host" --state "$st" --load "$SHAPES/names/libnames_jni.so" \
		--at-start --call tcn --batch $BATCH
	pid=$LAST_PID
	wait_for_state_seq "$st" 0 10 || { fail report.start "dl_host did not start"; return; }
	start_tlsmem report.tlsmem -p "$pid" --report ||
		{ fail report.attach "no 'tlsmem: attached' line"; return; }
	tl=$LAST_PID
	request_state "$pid" "$st" USR1
	stop_tlsmem "$tl"
	kill -TERM "$pid" 2>/dev/null
	info "[report] $(grep -A3 '^names of the callers' "$TMP/report.tlsmem.out" | tr -s ' ')"
	check_eq report.names "$(grep -A3 '^names of the callers' "$TMP/report.tlsmem.out" |
		grep -cE '^  libnames_jni\.so +JNI +build-id [0-9a-f]{40}$')" 1
	check_eq report.site "$(grep -cE 'names\.c:[0-9]+ newSSL libnames_jni\.so$' \
		"$TMP/report.tlsmem.out")" 1
}

case_buildid()
{
	[ -e "/usr/lib/debug/.build-id/${BUILD_ID:0:2}/${BUILD_ID:2}.debug" ] &&
		info "[buildid] the host has this debug file too"
	buildid_case buildid "$SHAPES/names/libnames.so.debug" new_ssl_state "build-id file"
}

case_buildid_bad()
{
	local other=$TMP/other.debug

	objcopy --only-keep-debug "$SHAPES/names/libnames_jni_full.so" "$other"
	buildid_case buildid_bad "$other" "libnames_stripped.so+$START+$DELTA" \
		"eh_frame only"
	check_eq buildid_bad.debug_message "$(grep -c 'another build-id; skipped' \
		"$TMP/buildid_bad.tlsmem.err")" 1
}

# the library and its debug file (or a copy with one more byte) in $TMP/NAME/
debuglink_case()
{
	local name=$1 extra=$2 want=$3 from=$4 d=$TMP/$1

	mkdir -p "$d/.debug"
	cp "$SHAPES/names/libnames_link.so" "$d/"
	cp "$SHAPES/names/libnames_link.so.debug" "$d/.debug/"
	[ -n "$extra" ] && printf '%s' "$extra" >>"$d/.debug/libnames_link.so.debug"
	run_case "$name" "$d/libnames_link.so" "$want" "$from"
}

case_debuglink()
{
	debuglink_case debuglink "" new_ssl_state debuglink
}

case_debuglink_crc()
{
	debuglink_case debuglink_crc x "libnames_link.so+$START+$DELTA" \
		"eh_frame only"
	check_gt debuglink_crc.debug_message "$(grep -c 'the debuglink wants' \
		"$TMP/debuglink_crc.tlsmem.err")" 0
}

case_mini()
{
	run_case mini "$SHAPES/names/libnames_mini.so" new_ssl_state debugdata
}

case_mini_trunc()
{
	local d=$TMP/mini_trunc

	mkdir -p "$d"
	objcopy --dump-section .gnu_debugdata="$d/full.xz" "$SHAPES/names/libnames_mini.so" &&
		head -c 200 "$d/full.xz" >"$d/trunc.xz" &&
		objcopy --update-section .gnu_debugdata="$d/trunc.xz" \
			"$SHAPES/names/libnames_mini.so" "$d/libnames_mini.so" ||
		{ fail mini_trunc.setup "objcopy failed"; return; }
	run_case mini_trunc "$d/libnames_mini.so" "libnames_mini.so+$START+$DELTA" \
		"eh_frame only"
	check_eq mini_trunc.debug_message "$(grep -c 'gnu_debugdata unusable' \
		"$TMP/mini_trunc.tlsmem.err")" 1
}

case_jni()
{
	local save=$BUILD_ID

	BUILD_ID=$(readelf -n "$SHAPES/names/libnames_jni.so" | awk '/Build ID/ { print $3 }')
	run_case jni "$SHAPES/names/libnames_jni.so" newSSL JNI
	BUILD_ID=$save
}

# debuginfod in its own network namespace (loopback only), indexing a folder
case_debuginfod()
{
	local d=$TMP/dbgsrv dpid ok=0

	mkdir -p "$d/files"
	cp "$SHAPES/names/libnames.so.debug" "$d/files/"
	spawn debuginfod.server unshare --net sh -c \
		"ip link set lo up && exec debuginfod -p 8002 -F '$d/files' -d '$d/db.sqlite' -t 0 -g 0"
	dpid=$LAST_PID
	for _ in $(seq 1 300); do
		if nsenter -t "$dpid" -n curl -sf -o /dev/null \
			"http://127.0.0.1:8002/buildid/$BUILD_ID/debuginfo"; then
			ok=1
			break
		fi
		is_alive "$dpid" || break
		sleep 0.1
	done
	if [ $ok -eq 0 ]; then
		fail debuginfod.server "debuginfod did not serve the debug file within 30 s"
		dump "$TMP/debuginfod.server.err"
		return
	fi
	DEBUGINFOD_URLS=http://127.0.0.1:8002 DEBUGINFOD_CACHE_PATH=$TMP/cache \
		TLSMEM_PREFIX="nsenter -t $dpid -n" run_case debuginfod \
		"$SHAPES/names/libnames_stripped.so" new_ssl_state debuginfod
	check_eq debuginfod.cached "$(find "$TMP/cache" -name debuginfo | wc -l)" 1
}

# a debuginfod server that accepts and never answers: the probes are live, the
# time series keeps its pace, the run ends within the lookup's limit
case_silent()
{
	local port st=$TMP/silent.state csv=$TMP/silent.csv pid tl rows t0 t1

	spawn silent.server python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(600)'
	wait_for_line "$TMP/silent.server.out" '^[0-9]+$' 10 || { fail silent.server "no listener"; return; }
	port=$(head -n 1 "$TMP/silent.server.out")
	spawn silent.host "$SHAPES/dl_host" --state "$st" --load "$SHAPES/names/libnames_stripped.so" \
		--at-start --call tcn --batch $BATCH
	pid=$LAST_PID
	wait_for_state_seq "$st" 0 10 || { fail silent.start "dl_host did not start"; return; }
	DEBUGINFOD_URLS=http://127.0.0.1:$port DEBUGINFOD_CACHE_PATH=$TMP/cache-silent \
		start_tlsmem silent.tlsmem -p "$pid" --json -v -o "$csv" -i 0.2 ||
		{ fail silent.attach "no 'tlsmem: attached' line"; return; }
	tl=$LAST_PID
	request_state "$pid" "$st" USR1
	wait_for_line "$TMP/silent.tlsmem.err" 'names of .*libnames_stripped' 10 ||
		fail silent.named "the site was not named"
	rows=$(wc -l <"$csv")
	# five more rows (1 s at -i 0.2) while the lookup hangs, in at most 4 s
	if wait_for_line_count "$csv" $((rows + 5)) 4; then
		pass silent.rows_on_time
	else
		fail silent.rows_on_time "$(($(wc -l <"$csv") - rows)) rows in 4 s at -i 0.2"
	fi
	t0=$SECONDS
	stop_tlsmem "$tl"
	t1=$SECONDS
	kill -TERM "$pid" 2>/dev/null
	check_eq silent.tlsmem_exit "$WAIT_RC" 0
	info "[silent] the run ended $((t1 - t0)) s after SIGINT; site $(site "$TMP/silent.tlsmem.out" .caller)"
	check_eq silent.ends_within_limit "$((t1 - t0 <= 15))" 1
	check_eq silent.caller "$(site "$TMP/silent.tlsmem.out" .caller)" \
		"libnames_stripped.so+$START+$DELTA"
}

# libdebuginfod hidden (a private mount over it), DEBUGINFOD_URLS set: tlsmem,
# which does not link it, starts and names with what it has
case_nolib()
{
	local lib wrap=$TMP/nolib.sh

	check_eq nolib.not_linked "$(ldd ./tlsmem | grep -c debuginfod)" 0
	lib=$(readlink -f /usr/lib/x86_64-linux-gnu/libdebuginfod.so.1)
	[ -f "$lib" ] || { fail nolib.setup "libdebuginfod.so.1 not installed (make deps)"; return; }
	cat >"$wrap" <<-EOF
	#!/bin/sh
	exec unshare --mount --propagation private sh -c 'mount --bind /dev/null "$lib" && exec "\$0" "\$@"' "\$@"
	EOF
	chmod +x "$wrap"
	DEBUGINFOD_URLS=http://127.0.0.1:9 TLSMEM_PREFIX=$wrap run_case nolib \
		"$SHAPES/names/libnames_stripped.so" "libnames_stripped.so+$START+$DELTA" \
		"eh_frame only"
	check_eq nolib.debug_message "$(grep -c 'libdebuginfod.so.1 cannot be loaded' \
		"$TMP/nolib.tlsmem.err")" 1
}

# wait_for_line_count FILE N TIMEOUT_S: waits until FILE has N lines
wait_for_line_count()
{
	local deadline=$((SECONDS + $3))

	while [ $SECONDS -le $deadline ]; do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

case_refused()
{
	local port

	port=$(free_port)
	DEBUGINFOD_URLS=http://127.0.0.1:$port DEBUGINFOD_CACHE_PATH=$TMP/cache-refused \
		run_case refused "$SHAPES/names/libnames_stripped.so" \
		"libnames_stripped.so+$START+$DELTA" "eh_frame only"
	check_gt refused.debug_message "$(grep -c 'debuginfod: no debug file' \
		"$TMP/refused.tlsmem.err")" 0
}

# --- main ---

e2e_require
if ! make -s targets >"$TMP/build.log" 2>&1; then
	fail build "make targets failed"
	cat "$TMP/build.log"
	e2e_finish
fi
SHAPES=$(cd "$SHAPES" && pwd)
START=$(sym_addr "$SHAPES/names/libnames.so" new_ssl_state)
BUILD_ID=$(readelf -n "$SHAPES/names/libnames_stripped.so" | awk '/Build ID/ { print $3 }')
# the return address of new_ssl_state's call to CRYPTO_malloc, from its start
RET=$(objdump -d --no-show-raw-insn "$SHAPES/names/libnames.so" |
	awk '/<new_ssl_state>:/ { f = 1 } f && /call.*CRYPTO_malloc/ { getline; print $1; exit }')
DELTA=$(printf '0x%x' $((0x${RET%:} - START)))
info "new_ssl_state at $START, the call returns to +$DELTA; build-id $BUILD_ID"
check_eq setup.static "$(nm "$SHAPES/names/libnames.so" | awk '$3 == "new_ssl_state" { print $2 }')" t
check_eq setup.stripped "$(nm "$SHAPES/names/libnames_stripped.so" 2>&1 | grep -c 'no symbols')" 1
check_eq setup.export_before "$(nm -n "$SHAPES/names/libnames.so" | awk '$2 ~ /[tT]/' |
	grep -B1 -w new_ssl_state | head -n 1 | awk '{ print $3 }')" tcn_state_new
unset DEBUGINFOD_URLS
for c in $NAMES_ONLY; do
	echo "  names: == $c"
	if ! declare -F "case_$c" >/dev/null; then
		fail setup "unknown case $c in NAMES_ONLY"
		continue
	fi
	"case_$c"
done
e2e_finish
