#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Fault injection (issue 9): the observed process is never harmed, and no
# figure lies. Real processes, every wait bounded, one to two minutes:
#  1. the target exits, is SIGKILLed or SIGSEGVs while observed: tlsmem
#     notices within about an interval, exits 0, JSON says exited, CSV ends;
#  2. tlsmem is stopped by SIGINT, SIGTERM, SIGHUP or SIGKILL at a random
#     moment (after attaching, and while attaching) under load, then 20
#     attach/SIGKILL cycles on one idle gt_server: the target keeps serving,
#     every BPF object tlsmem held is gone, none is left unowned, the
#     target's code is byte for byte its file again, and its own ground truth
#     is unchanged;
#  3. a 4 KiB ring buffer under churn: events lost, complete false, the text
#     report says INCOMPLETE, no figure negative, absurd or above the truth;
#  4. ~400 server threads (one per held connection): ssl.live 400, none lost;
#  5. two tlsmem on one target: the same figures;
#  6. a zombie, a kernel thread, tlsmem itself: exit 2;
#  7. bad option values, an output path that is a planted symlink, no root.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
RUN_TIMEOUT_S=5

SIGNAL_ROUNDS=3		# per signal: odd rounds after attaching, even ones while attaching
KILL_CYCLES=20
INTERVAL=0.5
NOTICE_BOUND_MS=1500	# "within about one interval": 3 intervals at most
HELD_CONNS=400
U60=1152921504606846976	# 2^60: no byte or block count gets near it

PROG_NAMES='[]'		# tlsmem's BPF program and map names, learnt at attach
MAP_NAMES='[]'

# ---- helpers ---------------------------------------------------------------

# failf NAME WORDS...: fail, with the words joined into one reason
failf()
{
	local name=$1

	shift
	fail "$name" "$*"
}

now_ms()
{
	date +%s%3N
}

# start_server NAME: a gt_server (no core dumps); sets SRV_PID, SRV_PORT, SRV_STATE
start_server()
{
	local name=$1

	SRV_STATE=$TMP/$name.state
	# private copies of libssl and libcrypto (new inodes): the code checks
	# (text_diff) then see tlsmem's own probes only, never those another
	# tracer on this machine placed in the system's copies
	spawn "$name" env LD_LIBRARY_PATH="$PRIVLIB" bash -c 'ulimit -c 0; exec "$@"' gt_server \
		"$GT_SERVER" --port 0 --cert "$TMP/cert.pem" --key "$TMP/key.pem" --state "$SRV_STATE"
	SRV_PID=$LAST_PID
	wait_for_line "$TMP/$name.out" '^listening [0-9]+ pid [0-9]+$' 10 "$SRV_PID" || return 1
	SRV_PORT=$(awk '{ print $2; exit }' "$TMP/$name.out")
	# spawn execs all the way down: the PID we hold is the server's own
	[ "$(awk '{ print $4; exit }' "$TMP/$name.out")" = "$SRV_PID" ]
}

# start_churn NAME PORT: two threads of short connections, as fast as they
# go, until stop_churn. (Not --demo: it reads SIGTERM only when it keeps up
# with --rate, which under probes it does not.)
start_churn()
{
	spawn "$1" "$TLS_CLIENT" --port "$2" --conns 100000000 --threads 2
}

# stop_churn NAME PID: SIGKILLs a churning client; sets CHURN_FAILED, the
# connections it reported failed (it logs the first 10)
stop_churn()
{
	{
		kill -KILL "$2"
		wait_exit "$2" 10
	} 2>/dev/null
	CHURN_FAILED=$(grep -c '^tls_client: connection' "$TMP/$1.err")
}

# ssl_new PID STATE: SSL_new calls the server counted in its current epoch
ssl_new()
{
	request_state "$1" "$2" USR2 && state_get "$2" ssl_new
}

# wait_idle PID STATE: the server has no open connection left (20 s at most)
wait_idle()
{
	for _ in $(seq 1 100); do
		request_state "$1" "$2" USR2 || return 1
		[ "$(state_get "$2" open_conns)" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}

# wait_conns PID STATE N: the server has N open connections (60 s at most)
wait_conns()
{
	for _ in $(seq 1 300); do
		request_state "$1" "$2" USR2 || return 1
		[ "$(state_get "$2" open_conns)" = "$3" ] && return 0
		sleep 0.2
	done
	return 1
}

# serves NAME PORT: three fresh TLS connections, each with its echo, succeed
serves()
{
	timeout 30 "$TLS_CLIENT" --port "$2" --conns 3 </dev/null >"$TMP/$1.out" 2>"$TMP/$1.err" &&
		grep -q '^done 3 ok 0 failed$' "$TMP/$1.out"
}

# wait_gone PID TIMEOUT_S: wait_exit (sets WAIT_RC), polling every 20 ms
wait_gone()
{
	local deadline=$(($(now_ms) + $2 * 1000))

	while is_alive "$1" && [ "$(now_ms)" -le $deadline ]; do
		sleep 0.02
	done
	wait_exit "$1" 1
}

# wait_new_row CSV TIMEOUT_S: waits (polling every 20 ms) for one more row
wait_new_row()
{
	local n0 deadline=$(($(now_ms) + $2 * 1000))

	n0=$(wc -l <"$1" 2>/dev/null || echo 0)
	while [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -le "$n0" ] && [ "$(now_ms)" -le $deadline ]; do
		sleep 0.02
	done
}

# json_sane NAME FILE: every number in tlsmem's JSON is >= 0 and < 2^60
json_sane()
{
	local bad

	bad=$(json_get "$2" "[paths(numbers) as \$p | select(getpath(\$p) < 0 or getpath(\$p) >= $U60)
		| (\$p | map(tostring) | join(\".\")) + \"=\" + (getpath(\$p) | tostring)] | .[:5] | join(\" \")")
	if [ -z "$(json_get "$2" .heap.live_bytes)" ]; then
		fail "$1" "no valid JSON in $(basename "$2")"
	elif [ -n "$bad" ]; then
		fail "$1" "negative or absurd figures: $bad"
	else
		pass "$1"
	fi
}

# held_ids: "prog N", "map N", "link N" for every BPF object some process
# holds a file descriptor of
held_ids()
{
	grep -hE '^(prog|map|link)_id:' /proc/[0-9]*/fdinfo/* 2>/dev/null |
		awk '{ sub(/_id:$/, "", $1); print $1, $2 }' | sort -u
}

# fd_ids PID: the BPF objects PID holds, as held_ids prints them
fd_ids()
{
	grep -hE '^(prog|map|link)_id:' /proc/"$1"/fdinfo/* 2>/dev/null |
		awk '{ sub(/_id:$/, "", $1); print $1, $2 }' | sort -u
}

# bpf_lists: the kernel's programs, maps and links into $TMP/{prog,map,link}.json
bpf_lists()
{
	local k

	for k in prog map link; do
		bpftool -j "$k" show >"$TMP/$k.json" 2>/dev/null || echo '[]' >"$TMP/$k.json"
	done
}

# learn_names PID: the names of the programs and maps a running tlsmem holds
learn_names()
{
	fd_ids "$1" >"$TMP/learn.ids"
	bpf_lists
	PROG_NAMES=$(jq -c --rawfile h "$TMP/learn.ids" '($h | split("\n")
		| map(select(startswith("prog ")) | ltrimstr("prog ") | tonumber)) as $ids
		| [.[] | select(.id as $i | $ids | index($i)) | .name] | unique' "$TMP/prog.json")
	MAP_NAMES=$(jq -c --rawfile h "$TMP/learn.ids" '($h | split("\n")
		| map(select(startswith("map ")) | ltrimstr("map ") | tonumber)) as $ids
		| [.[] | select(.id as $i | $ids | index($i)) | .name] | unique' "$TMP/map.json")
	info "tlsmem's BPF objects: programs $PROG_NAMES, maps $MAP_NAMES"
}

# bpf_orphans: "progs=N maps=N links=N", the objects of tlsmem's kind (by
# program and map name) that no process holds, directly or through a link
# or program; objects of live tlsmem processes (other tests') do not count
bpf_orphans()
{
	held_ids >"$TMP/held.ids"
	bpf_lists
	jq -rn --rawfile h "$TMP/held.ids" --slurpfile p "$TMP/prog.json" \
		--slurpfile m "$TMP/map.json" --slurpfile l "$TMP/link.json" \
		--argjson pn "$PROG_NAMES" --argjson mn "$MAP_NAMES" '
		def ids(k): $h | split("\n") | map(select(startswith(k + " "))
			| ltrimstr(k + " ") | tonumber);
		($p[0] // []) as $progs | ($m[0] // []) as $maps | ($l[0] // []) as $links |
		ids("link") as $hl |
		(ids("prog") + [$links[] | select(.id as $i | $hl | index($i)) | .prog_id]) as $hp |
		(ids("map") + [$progs[] | select(.id as $i | $hp | index($i)) | (.map_ids // [])[]]) as $hm |
		[$progs[] | select(.name as $n | $pn | index($n)) | .id] as $ours |
		"progs=\([$progs[] | select((.name as $n | $pn | index($n)) and (.id as $i | $hp | index($i) | not))] | length)" +
		" maps=\([$maps[] | select((.name as $n | $mn | index($n)) and (.id as $i | $hm | index($i) | not))] | length)" +
		" links=\([$links[] | select((.prog_id as $i | $ours | index($i)) and (.id as $i | $hl | index($i) | not))] | length)"'
}

# bpf_counts: "progs=N maps=N links=N", every object of tlsmem's kind, owned
# or not (other tests' tlsmem count too: information only)
bpf_counts()
{
	bpf_lists
	jq -rn --slurpfile p "$TMP/prog.json" --slurpfile m "$TMP/map.json" \
		--slurpfile l "$TMP/link.json" --argjson pn "$PROG_NAMES" --argjson mn "$MAP_NAMES" '
		[($p[0] // [])[] | select(.name as $n | $pn | index($n)) | .id] as $ours |
		"progs=\($ours | length)" +
		" maps=\([($m[0] // [])[] | select(.name as $n | $mn | index($n))] | length)" +
		" links=\([($l[0] // [])[] | select(.prog_id as $i | $ours | index($i))] | length)"'
}

# orphan_total "progs=A maps=B links=C": A + B + C
orphan_total()
{
	echo "$1" | tr ' ' '\n' | awk -F= '{ s += $2 } END { print s + 0 }'
}

# check_no_orphans NAME BASELINE: no more unowned objects than at BASELINE
# (they may take a moment to be freed: 10 s at most)
check_no_orphans()
{
	local now base

	base=$(orphan_total "$2")
	for _ in $(seq 1 50); do
		now=$(bpf_orphans)
		[ "$(orphan_total "$now")" -le "$base" ] && break
		sleep 0.2
	done
	if [ "$(orphan_total "$now")" -le "$base" ]; then
		pass "$1"
	else
		fail "$1" "BPF objects of tlsmem's kind held by no process: $now (before: $2)"
	fi
}

# still_alive IDFILE: prints the objects of IDFILE the kernel still has
still_alive()
{
	bpf_lists
	jq -rn --rawfile h "$1" --slurpfile p "$TMP/prog.json" --slurpfile m "$TMP/map.json" \
		--slurpfile l "$TMP/link.json" '
		{prog: [($p[0] // [])[].id], map: [($m[0] // [])[].id], link: [($l[0] // [])[].id]} as $k |
		$h | split("\n")[] | select(length > 0) | split(" ") |
		select(.[0] as $kind | (.[1] | tonumber) as $i | $k[$kind] // [] | index($i) != null) |
		join(" ")'
}

# check_released NAME IDFILE: every object of IDFILE is gone (10 s at most)
check_released()
{
	local left n

	n=$(grep -c . "$2")
	for _ in $(seq 1 50); do
		left=$(still_alive "$2")
		[ -z "$left" ] && break
		sleep 0.2
	done
	if [ "$n" -eq 0 ]; then
		fail "$1" "no BPF object seen in tlsmem's file descriptors"
	elif [ -z "$left" ]; then
		pass "$1"
	else
		failf "$1" "$(echo "$left" | wc -l) of the $n BPF objects tlsmem held are still loaded:" \
			"$(echo "$left" | head -n 5 | tr '\n' ' ')"
	fi
}

# text_diff PID: bytes of libcrypto's and libssl's executable mappings in PID
# that differ from the file they map (a uprobe is an int3 written there);
# "none" when PID maps neither
text_diff()
{
	local pid=$1 total=0 seen=0 range perms off path start len fsize n

	[ -r "/proc/$pid/maps" ] || { echo "no process $pid"; return 1; }
	while read -r range perms off _ _ path; do
		[ "$perms" = r-xp ] || continue
		case $path in
		*/libcrypto.so* | */libssl.so*) ;;
		*) continue ;;
		esac
		start=$((16#${range%-*}))
		len=$((16#${range#*-} - start))
		off=$((16#$off))
		fsize=$(stat -L -c %s "/proc/$pid/map_files/$range" 2>/dev/null) || return 1
		[ $((off + len)) -gt "$fsize" ] && len=$((fsize - off))
		n=$(cmp -l <(dd if="/proc/$pid/mem" bs=4096 skip=$((start / 4096)) \
				count=$(((len + 4095) / 4096)) status=none | head -c "$len") \
			<(dd if="/proc/$pid/map_files/$range" bs=4096 skip=$((off / 4096)) \
				count=$(((len + 4095) / 4096)) status=none | head -c "$len") \
			2>/dev/null | wc -l)
		total=$((total + n))
		seen=$((seen + 1))
	done <"/proc/$pid/maps"
	[ $seen -gt 0 ] && echo "$total" || echo none
}

# ---- 6, 7: refusals (no attach) -------------------------------------------

refusals()
{
	local z zparent

	# a zombie: python forks a child that exits at once and never reaps it;
	# the pid is printed once the child is a zombie (a shell may reap a
	# background job on its own, so it cannot be the parent)
	spawn zparent python3 -c '
import os, time
z = os.fork()
if z == 0:
    os._exit(0)
while open("/proc/%d/stat" % z).read().rsplit(")", 1)[1].split()[0] != "Z":
    time.sleep(0.01)
print(z, flush=True)
time.sleep(3600)
'
	zparent=$LAST_PID
	wait_for_line "$TMP/zparent.out" '^[0-9]+$' 60 "$zparent"
	z=$(head -n 1 "$TMP/zparent.out")
	run_tlsmem zombie -p "$z"
	if [ "$RC" -eq 2 ] && [ ! -s "$OUT" ] && grep -qi zombie "$ERR"; then
		pass zombie
	else
		fail zombie "tlsmem -p $z (a zombie) -> exit $RC (expected 2), stderr: $(head -c 200 "$ERR")"
	fi
	{
		kill "$zparent"
		wait_exit "$zparent" 5
	} 2>/dev/null

	if [ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ]; then
		run_tlsmem kthread -p 2
		if [ "$RC" -eq 2 ] && [ ! -s "$OUT" ] && grep -qi 'kernel thread' "$ERR"; then
			pass kthread
		else
			fail kthread "tlsmem -p 2 (kthreadd) -> exit $RC (expected 2), stderr: $(head -c 200 "$ERR")"
		fi
	else
		fail kthread "PID 2 is not kthreadd here: no kernel thread to try"
	fi

	# shellcheck disable=SC2016 # $$ is the inner shell's, which becomes tlsmem
	timeout -k 2 5 bash -c 'exec "$0" -p $$' "$TLSMEM" </dev/null >"$TMP/self.out" 2>"$TMP/self.err"
	RC=$?
	if [ "$RC" -eq 2 ] && [ ! -s "$TMP/self.out" ] && grep -qi itself "$TMP/self.err"; then
		pass self
	else
		fail self "bash -c 'exec tlsmem -p \$\$' -> exit $RC (expected 2), stderr: $(head -c 200 "$TMP/self.err")"
	fi
}

bad_options()
{
	local p=$1

	expect_usage opt_interval_zero -p "$p" -i 0
	expect_usage opt_interval_negative -p "$p" -i -0.5
	expect_usage opt_interval_huge -p "$p" -i 99999999999
	expect_usage opt_interval_u64_overflow -p "$p" -i 18446744073709551617
	expect_usage opt_interval_text -p "$p" -i fast
	expect_usage opt_interval_empty -p "$p" -i ''
	expect_usage opt_interval_below_10ms -p "$p" -i 0.001
	expect_usage opt_interval_hex -p "$p" -i 0x10
	expect_usage opt_interval_2p32 -p "$p" -i 4294967296
	expect_usage opt_interval_exp -p "$p" -i 1e3
	expect_usage opt_interval_nan -p "$p" -i nan
	expect_usage opt_duration_zero -p "$p" -d 0
	expect_usage opt_duration_negative -p "$p" -d -1
	expect_usage opt_duration_huge -p "$p" -d 99999999999999999999
	expect_usage opt_duration_text -p "$p" -d forever
	expect_usage opt_duration_below_ms -p "$p" -d 0.0001
	expect_usage opt_ringbuf_zero -p "$p" --ringbuf 0
	expect_usage opt_ringbuf_negative -p "$p" --ringbuf -4096
	expect_usage opt_ringbuf_small -p "$p" --ringbuf 2048
	expect_usage opt_ringbuf_not_pow2 -p "$p" --ringbuf 5000
	expect_usage opt_ringbuf_huge -p "$p" --ringbuf 99999999999999999999
	expect_usage opt_ringbuf_2g -p "$p" --ringbuf 2147483648
	expect_usage opt_ringbuf_text -p "$p" --ringbuf 4k
	expect_usage opt_baseline_zero -p "$p" --baseline-after 0
	expect_usage opt_baseline_text -p "$p" --baseline-after soon
	expect_usage opt_pid_zero -p 0
	expect_usage opt_pid_negative -p -5
	expect_usage opt_pid_huge -p 99999999999
	expect_usage opt_pid_int_max_plus1 -p 2147483648
	expect_usage opt_pid_plus -p "+$p"
	expect_usage opt_pid_text -p init
	expect_usage opt_pid_empty -p ''
	expect_usage opt_pid_comma -p ,
	expect_usage opt_pid_trailing_comma -p "$p,"
	expect_usage opt_pid_duplicate -p 1,1
	expect_usage opt_pid_duplicate_target -p "$p,$p"
	expect_usage opt_pid_space -p "$p, 1"
	expect_usage opt_pid_too_many -p "$(seq -s, 100 200)"
	expect_usage opt_csv_empty -p "$p" -o ''
	expect_usage opt_sites_csv_empty -p "$p" --sites-csv ''
	expect_usage opt_pid_and_command -p "$p" -- true
}

# -o through a symlink planted at the last component: refused, victim untouched
symlink_outputs()
{
	local p=$1 sum

	echo "precious" >"$TMP/victim"
	sum=$(sha256sum <"$TMP/victim")
	ln -s "$TMP/victim" "$TMP/out.csv"
	# an output that cannot be written is a runtime error (1), and says why
	run_tlsmem symlink_csv -p "$p" -o "$TMP/out.csv" --json -d 1
	if [ "$RC" -eq 1 ] && [ ! -s "$OUT" ] && [ "$(sha256sum <"$TMP/victim")" = "$sum" ] &&
	   [ -L "$TMP/out.csv" ] && grep -q 'symbolic link' "$ERR"; then
		pass symlink_csv
	else
		failf symlink_csv "tlsmem -o LINK-to-victim -> exit $RC (expected 1, saying symbolic link), victim" \
			"$([ "$(sha256sum <"$TMP/victim")" = "$sum" ] && echo untouched || echo MODIFIED)," \
			"stderr: $(head -c 200 "$ERR")"
	fi

	ln -s "$TMP/nothing-here" "$TMP/dangling.csv"
	run_tlsmem symlink_dangling -p "$p" -o "$TMP/dangling.csv" --json -d 1
	if [ "$RC" -eq 1 ] && [ ! -e "$TMP/nothing-here" ] && grep -q 'symbolic link' "$ERR"; then
		pass symlink_dangling
	else
		failf symlink_dangling "tlsmem -o dangling-LINK -> exit $RC (expected 1, saying symbolic link)," \
			"link target $([ -e "$TMP/nothing-here" ] && echo CREATED || echo not created)"
	fi

	# the site table is written through FILE.tmp and a rename: plant both
	echo "precious too" >"$TMP/victim2"
	ln -s "$TMP/victim2" "$TMP/sites.csv"
	ln -s "$TMP/victim2" "$TMP/sites.csv.tmp"
	sum=$(sha256sum <"$TMP/victim2")
	run_tlsmem symlink_sites_csv -p "$p" --sites-csv "$TMP/sites.csv" --json -d 1.2 -i 0.3
	if [ "$(sha256sum <"$TMP/victim2")" = "$sum" ]; then
		pass symlink_sites_csv
	else
		fail symlink_sites_csv "tlsmem --sites-csv LINK (and LINK.tmp) wrote into the victim"
	fi
	# it cannot write the table: it must say so (DESIGN: every error names
	# what was wrong), by refusing to start or by a warning
	if [ "$RC" -ne 0 ] || grep -v '^tlsmem: attached' "$ERR" | grep -q sites.csv; then
		pass symlink_sites_csv_reported
	else
		failf symlink_sites_csv_reported "tlsmem --sites-csv $TMP/sites.csv with" \
			"sites.csv.tmp a planted symlink -> exit $RC, no message, no site table written"
	fi
}

# not root: exit 1 and a message naming root or the capabilities needed
not_root()
{
	local p=$1 bin=$TLSMEM

	# a checkout under /root is out of nobody's reach: a copy in $TMP is not
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$bin"; then
		chmod 0711 "$TMP"
		mkdir -m 0755 "$TMP/bin"
		cp "$TLSMEM" "$TMP/bin/tlsmem"
		bin=$TMP/bin/tlsmem
	fi
	timeout -k 2 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" -p "$p" -d 1 \
		</dev/null >"$TMP/nobody.out" 2>"$TMP/nobody.err"
	RC=$?
	if [ "$RC" -eq 1 ] && [ ! -s "$TMP/nobody.out" ] && grep -q root "$TMP/nobody.err" &&
	   grep -q CAP_ "$TMP/nobody.err"; then
		pass not_root
	else
		failf not_root "setpriv --reuid=65534 tlsmem -p $p -> exit $RC (expected 1)," \
			"stderr: $(head -c 300 "$TMP/nobody.err")"
	fi

	# uid 0 without capabilities, as in a locked-down container
	timeout -k 2 10 setpriv --bounding-set=-all --inh-caps=-all "$TLSMEM" -p "$p" -d 1 \
		</dev/null >"$TMP/nocaps.out" 2>"$TMP/nocaps.err"
	RC=$?
	if [ "$RC" -eq 1 ] && [ ! -s "$TMP/nocaps.out" ] && grep -Eqi 'CAP_|capabilit' "$TMP/nocaps.err"; then
		pass root_without_caps
	else
		failf root_without_caps "setpriv --bounding-set=-all tlsmem -p $p (uid 0, no capabilities)" \
			"-> exit $RC (expected 1, naming the capabilities needed), stderr: $(head -c 300 "$TMP/nocaps.err")"
	fi
}

# ---- 1: the target goes away while observed --------------------------------

# target_gone MODE: exit (tls_client ends normally), kill (SIGKILL) or segv
target_gone()
{
	local mode=$1 name=gone_$1 tgt churn tl t0 rc_t rc ms csv rows

	if [ "$mode" = exit ]; then
		# tls_client holding connections; SIGTERM makes it close them and
		# return from main (exit handlers and OpenSSL's cleanup run)
		spawn "$name-target" "$TLS_CLIENT" --port "$MAIN_PORT" --conns 20 --threads 2 --hold 10
		tgt=$LAST_PID
		if ! wait_for_line "$TMP/$name-target.out" '^holding 10$' 30 "$tgt"; then
			fail "$name" "tls_client did not hold its connections"
			return
		fi
	else
		if ! start_server "$name-target"; then
			fail "$name" "gt_server did not start"
			return
		fi
		tgt=$SRV_PID
	fi
	csv=$TMP/$name.csv
	if ! start_tlsmem "$name" -p "$tgt" --json -i "$INTERVAL" -o "$csv"; then
		fail "$name" "no 'tlsmem: attached' line"
		dump "$TMP/$name.err"
		return
	fi
	tl=$LAST_PID
	if [ "$mode" != exit ]; then
		start_churn "$name-churn" "$SRV_PORT"
		churn=$LAST_PID
		# the target dies under churn: once tlsmem has seen some of it
		wait_csv "$csv" ssl_created 'v >= 10' 30 ||
			info "$name: only $CSV_V connections seen before the target was signalled"
	fi
	# tlsmem's clock (the CSV's time_s) against ours: a row just written
	# is one of about now
	wait_new_row "$csv" 10
	row_s=$(csv_last "$csv" time_s)
	row_ms=$(now_ms)
	row_n=$(wc -l <"$csv")
	t0=$(now_ms)
	{
		case $mode in
		exit) kill -TERM "$tgt" ;;
		kill) kill -KILL "$tgt" ;;
		segv) kill -SEGV "$tgt" ;;
		esac
		wait_exit "$tgt" 10
	} 2>/dev/null
	rc_t=$WAIT_RC
	wait_gone "$tl" 10
	rc=$WAIT_RC
	ms=$(($(now_ms) - t0))
	[ -n "$churn" ] && stop_churn "$name-churn" "$churn"
	case $mode in
	exit) check_eq "$name.target_status" "$rc_t" 0 ;;
	kill) check_eq "$name.target_status" "$rc_t" 137 ;;
	segv) check_eq "$name.target_status" "$rc_t" 139 ;;
	esac
	# noticed: the final row (the final state, taken once tlsmem saw the
	# target gone) against the kill, in tlsmem's clock; at most late by the
	# time we took to see the row before it. Not the exit itself: removing
	# the probes takes what a loaded machine makes it take.
	notice_ms=$(awk -v a="$row_s" -v b="$(csv_last "$csv" time_s)" -v d=$((t0 - row_ms)) \
		'BEGIN { if (a == "" || b == "") print "x"; else printf "%d", (b - a) * 1000 - d }')
	info "$name: tlsmem's final row $notice_ms ms after the target was signalled, exit after" \
		"$ms ms (interval ${INTERVAL}s)"
	check_eq "$name.tlsmem_exit" "$rc" 0
	if [ "$(wc -l <"$csv")" -le "$row_n" ]; then
		fail "$name.noticed" "no CSV row after the target was signalled"
	elif [[ "$notice_ms" =~ ^-?[0-9]+$ ]] && [ "$notice_ms" -le $NOTICE_BOUND_MS ]; then
		pass "$name.noticed"
	else
		failf "$name.noticed" "tlsmem's final row came $notice_ms ms after the target was signalled" \
			"(bound $NOTICE_BOUND_MS ms)"
	fi
	check_eq "$name.json_exited" "$(json_get "$TMP/$name.out" '.targets[0].exited')" true
	json_sane "$name.json_sane" "$TMP/$name.out"
	rows=$(($(wc -l <"$csv" 2>/dev/null || echo 0) - 1))
	# the last row is the final state: the JSON summary's figures
	if [ "$rows" -ge 1 ] &&
	   [ "$(csv_last "$csv" ssl_created)" = "$(json_get "$TMP/$name.out" .ssl.created)" ] &&
	   [ "$(csv_last "$csv" live_bytes)" = "$(json_get "$TMP/$name.out" .heap.live_bytes)" ] &&
	   [ "$(csv_last "$csv" events_received)" = "$(json_get "$TMP/$name.out" .events.received)" ]; then
		pass "$name.csv_final_row"
	else
		failf "$name.csv_final_row" "$rows rows; last row ssl_created=$(csv_last "$csv" ssl_created)" \
			"live_bytes=$(csv_last "$csv" live_bytes) events_received=$(csv_last "$csv" events_received)," \
			"JSON ssl.created=$(json_get "$TMP/$name.out" .ssl.created)" \
			"heap.live_bytes=$(json_get "$TMP/$name.out" .heap.live_bytes)" \
			"events.received=$(json_get "$TMP/$name.out" .events.received)"
	fi
	info "$name: $rows CSV rows; ssl.created=$(json_get "$TMP/$name.out" .ssl.created)" \
		"events received=$(json_get "$TMP/$name.out" .events.received)" \
		"lost=$(json_get "$TMP/$name.out" .events.lost)"
}

# ---- 2: tlsmem stopped at a random moment ----------------------------------

# stop_random SIG ROUND: an odd ROUND stops tlsmem 0.1-1.5 s after it
# attached, an even one 0-0.4 s after its exec (often while attaching)
stop_random()
{
	local sig=$1 round=$2 name=stop_$1_$2 tl ms ids=$TMP/stop_$1_$2.ids want

	if [ $((round % 2)) -eq 1 ]; then
		if ! start_tlsmem "$name" -p "$MAIN_PID" --json; then
			fail "$name" "no 'tlsmem: attached' line"
			return
		fi
		tl=$LAST_PID
		fd_ids "$tl" >"$ids"
		ms=$((100 + RANDOM % 1400))
	else
		spawn "$name" "$TLSMEM" -p "$MAIN_PID" --json
		tl=$LAST_PID
		ms=$((RANDOM % 400))
		# from tlsmem's exec on: before, the job is a shell, setsid or env,
		# and a SIGINT sent to a background job before env restored it is
		# ignored for good
		for _ in $(seq 1 500); do
			[ "$(cat "/proc/$tl/comm" 2>/dev/null)" = tlsmem ] && break
			sleep 0.01
		done
	fi
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	[ $((round % 2)) -eq 0 ] && fd_ids "$tl" >"$ids"
	{
		kill "-$sig" "$tl"
		wait_exit "$tl" 15
	} 2>/dev/null
	info "$name: SIG$sig after ${ms} ms ($([ $((round % 2)) -eq 1 ] && echo after || echo from) attach):" \
		"exit $WAIT_RC, $(grep -c . "$ids") BPF objects held"
	if [ "$sig" = KILL ]; then
		check_eq "$name.exit" "$WAIT_RC" 137
	elif [ $((round % 2)) -eq 1 ]; then
		check_eq "$name.exit" "$WAIT_RC" 0
		if [ -n "$(json_get "$TMP/$name.out" .heap.live_bytes)" ]; then
			pass "$name.summary"
		else
			fail "$name.summary" "no JSON summary after SIG$sig"
			dump "$TMP/$name.err"
		fi
	else
		# before its handlers are installed a signal ends it the default way
		want=$((128 + $(kill -l "$sig")))
		if [ "$WAIT_RC" = 0 ] || [ "$WAIT_RC" = "$want" ]; then
			pass "$name.exit"
		else
			fail "$name.exit" "expected 0 (or $want before the handlers), got $WAIT_RC"
			dump "$TMP/$name.err"
		fi
	fi
	if [ -s "$ids" ]; then
		check_released "$name.released" "$ids"
	fi
	if ! is_alive "$MAIN_PID"; then
		fail "$name.target_alive" "gt_server died"
		return 1
	fi
}

signals_under_load()
{
	local churn sig round n0 n1

	n0=$(ssl_new "$MAIN_PID" "$MAIN_STATE")
	start_churn churn_signals "$MAIN_PORT"
	churn=$LAST_PID
	# the churn is under way (the server counts its connections)
	for _ in $(seq 1 100); do
		[ "$(ssl_new "$MAIN_PID" "$MAIN_STATE")" -gt "$n0" ] 2>/dev/null && break
		sleep 0.1
	done
	for round in $(seq 1 $SIGNAL_ROUNDS); do
		for sig in INT TERM HUP KILL; do
			stop_random "$sig" "$round" || break 2
		done
	done
	n1=$(ssl_new "$MAIN_PID" "$MAIN_STATE")
	stop_churn churn_signals "$churn"
	info "churn during the signals: $((n1 - n0)) connections, $CHURN_FAILED failed"
	# a connection broken by a probe going away would show here
	check_eq signals.churn_failures "$CHURN_FAILED" 0
	check_gt signals.churn_connections "$((n1 - n0))" 100
	check_no_orphans signals.no_orphans "$ORPHANS0"
	check_eq signals.target_code_restored "$(text_diff "$MAIN_PID")" 0
	if is_alive "$MAIN_PID" && serves signals_serves "$MAIN_PORT"; then
		pass signals.target_serves
	else
		fail signals.target_serves "gt_server dead or not serving after the signals"
		dump "$TMP/signals_serves.err" "$TMP/main.err"
	fi
}

# 20 x (attach, SIGKILL at a random moment) against the idle server
kill_cycles()
{
	local i tl ids=$TMP/cycles.ids lb0 lk0 lb1 lk1 c0 attached=0

	if ! wait_idle "$MAIN_PID" "$MAIN_STATE"; then
		fail cycles "gt_server did not go idle"
		return
	fi
	lb0=$(state_get "$MAIN_STATE" live_bytes_all)
	lk0=$(state_get "$MAIN_STATE" live_blocks_all)
	c0=$(bpf_counts)
	: >"$ids"
	for i in $(seq 1 $KILL_CYCLES); do
		if start_tlsmem "cycle$i" -p "$MAIN_PID" --json; then
			tl=$LAST_PID
			attached=$((attached + 1))
			fd_ids "$tl" >>"$ids"
			sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
		else
			tl=$LAST_PID
			info "cycle $i: no 'tlsmem: attached' line"
			dump "$TMP/cycle$i.err"
		fi
		{
			kill -KILL "$tl"
			wait_exit "$tl" 10
		} 2>/dev/null
		is_alive "$MAIN_PID" || break
	done
	info "cycles: $attached of $KILL_CYCLES attached then SIGKILLed"
	check_eq cycles.attached "$attached" $KILL_CYCLES
	check_released cycles.released "$ids"
	check_no_orphans cycles.no_orphans "$ORPHANS0"
	info "BPF objects of tlsmem's kind in the kernel (any owner): $c0 before the cycles," \
		"$(bpf_counts) after"
	check_eq cycles.target_code_restored "$(text_diff "$MAIN_PID")" 0
	if ! request_state "$MAIN_PID" "$MAIN_STATE" USR2; then
		fail cycles.ground_truth "no state from gt_server after the cycles"
		return
	fi
	lb1=$(state_get "$MAIN_STATE" live_bytes_all)
	lk1=$(state_get "$MAIN_STATE" live_blocks_all)
	info "gt_server's own count (idle): $lb0 bytes in $lk0 blocks before, $lb1 in $lk1 after"
	check_eq cycles.truth_live_bytes "$lb1" "$lb0"
	check_eq cycles.truth_live_blocks "$lk1" "$lk0"
	if is_alive "$MAIN_PID" && serves cycles_serves "$MAIN_PORT"; then
		pass cycles.target_serves
	else
		fail cycles.target_serves "gt_server dead or not serving after the cycles"
	fi
}

# ---- 3: ring buffer overflow ------------------------------------------------

ringbuf_overflow()
{
	local tl churn j=$TMP/ringbuf.out csv=$TMP/ringbuf.csv lost n

	if ! start_tlsmem ringbuf -p "$MAIN_PID" --json --report --ringbuf 4096 -i "$INTERVAL" -o "$csv"; then
		fail ringbuf "no 'tlsmem: attached' line"
		dump "$TMP/ringbuf.err"
		return
	fi
	tl=$LAST_PID
	request_state "$MAIN_PID" "$MAIN_STATE" USR1	# truth from here: what tlsmem saw
	start_churn ringbuf_churn "$MAIN_PORT"
	churn=$LAST_PID
	# churn until a 4 KiB ring has overflowed (it does within a few connections)
	wait_csv "$csv" events_lost 'v > 0' 60
	stop_churn ringbuf_churn "$churn"
	wait_idle "$MAIN_PID" "$MAIN_STATE" || fail ringbuf.idle "gt_server did not go idle"
	stop_tlsmem "$tl"
	check_eq ringbuf.exit "$WAIT_RC" 0
	# the truth for the lower bounds once tlsmem has stopped: a connection
	# the killed client left in the accept queue may be served after the
	# server looked idle, and tlsmem may have seen it
	request_state "$MAIN_PID" "$MAIN_STATE" USR2
	lost=$(json_get "$j" .events.lost)
	info "ringbuf 4096: events received $(json_get "$j" .events.received), lost $lost;" \
		"heap live $(json_get "$j" .heap.live_bytes) B / $(json_get "$j" .heap.live_blocks) blocks" \
		"(truth $(state_get "$MAIN_STATE" live_bytes) / $(state_get "$MAIN_STATE" live_blocks));" \
		"ssl live $(json_get "$j" .ssl.live) created $(json_get "$j" .ssl.created)" \
		"freed $(json_get "$j" .ssl.freed) (truth: 0 live, $(state_get "$MAIN_STATE" ssl_new) created)"
	check_gt ringbuf.events_lost "$lost" 0
	check_eq ringbuf.complete "$(json_get "$j" .complete)" false
	if grep -q INCOMPLETE "$TMP/ringbuf.err" && grep -qi 'lower bound' "$TMP/ringbuf.err"; then
		pass ringbuf.report_incomplete
	else
		fail ringbuf.report_incomplete "the --report text does not say INCOMPLETE / lower bounds"
		dump "$TMP/ringbuf.err"
	fi
	json_sane ringbuf.json_sane "$j"
	n=$(csv_last "$csv" events_lost)
	check_gt ringbuf.csv_events_lost "${n:-x}" 0
	check_eq ringbuf.csv_complete "$(csv_last "$csv" complete)" 0
	# counts of events are lower bounds; live figures are only approximate (a
	# lost free keeps a block alive, a lost allocation hides one), and the
	# report must say so rather than call them lower bounds
	if grep -qi 'live figures approximate' "$TMP/ringbuf.err"; then
		pass ringbuf.report_live_approximate
	else
		fail ringbuf.report_live_approximate "the --report text does not say live figures are approximate"
	fi
	check_le ringbuf.ssl_freed_lower_bound "$(json_get "$j" .ssl.freed)" \
		"$(state_get "$MAIN_STATE" ssl_free)"
	check_le ringbuf.ssl_created_lower_bound "$(json_get "$j" .ssl.created)" \
		"$(state_get "$MAIN_STATE" ssl_new)"
}

# check_le NAME ACTUAL BOUND: ACTUAL is an integer <= BOUND
check_le()
{
	if [[ "$2" =~ ^[0-9]+$ ]] && [[ "$3" =~ ^[0-9]+$ ]] && [ "$2" -le "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected <= ${3:-<empty>}, got ${2:-<empty>}"
	fi
}

# ---- 4: hundreds of threads -------------------------------------------------

many_threads()
{
	local tl client j=$TMP/threads.out threads

	if ! start_tlsmem threads -p "$MAIN_PID" --json; then
		fail threads "no 'tlsmem: attached' line"
		return
	fi
	tl=$LAST_PID
	request_state "$MAIN_PID" "$MAIN_STATE" USR1
	spawn threads_client "$TLS_CLIENT" --port "$MAIN_PORT" --conns $HELD_CONNS \
		--hold $HELD_CONNS --threads 8
	client=$LAST_PID
	if ! wait_for_line "$TMP/threads_client.out" '^holding ' 120 "$client" ||
	   ! wait_conns "$MAIN_PID" "$MAIN_STATE" $HELD_CONNS; then
		fail threads.load "tls_client did not hold $HELD_CONNS connections"
		dump "$TMP/threads_client.out" "$TMP/threads_client.err"
	fi
	threads=$(awk '$1 == "Threads:" { print $2 }' "/proc/$MAIN_PID/status")
	info "gt_server runs $threads threads"
	check_gt threads.server_threads "$threads" $((HELD_CONNS - 1))
	request_state "$MAIN_PID" "$MAIN_STATE" USR2
	stop_tlsmem "$tl"
	check_eq threads.exit "$WAIT_RC" 0
	check_eq threads.ssl_live "$(json_get "$j" .ssl.live)" $HELD_CONNS
	check_eq threads.events_lost "$(json_get "$j" .events.lost)" 0
	check_eq threads.live_bytes "$(json_get "$j" .heap.live_bytes)" "$(state_get "$MAIN_STATE" live_bytes)"
	check_eq threads.live_blocks "$(json_get "$j" .heap.live_blocks)" "$(state_get "$MAIN_STATE" live_blocks)"
	kill -TERM "$client" 2>/dev/null
	wait_exit "$client" 30
	check_eq threads.client_exit "$WAIT_RC" 0
	wait_idle "$MAIN_PID" "$MAIN_STATE" || fail threads.idle "gt_server kept connections open"
}

# ---- 5: two instances -------------------------------------------------------

two_instances()
{
	local a b client f va vb ja=$TMP/twin_a.out jb=$TMP/twin_b.out

	start_tlsmem twin_a -p "$MAIN_PID" --json
	a=$LAST_PID
	start_tlsmem twin_b -p "$MAIN_PID" --json
	b=$LAST_PID
	if ! grep -q '^tlsmem: attached' "$TMP/twin_a.err" ||
	   ! grep -q '^tlsmem: attached' "$TMP/twin_b.err"; then
		fail twins "no 'tlsmem: attached' line from both"
		dump "$TMP/twin_a.err" "$TMP/twin_b.err"
		return
	fi
	request_state "$MAIN_PID" "$MAIN_STATE" USR1
	spawn twin_client "$TLS_CLIENT" --port "$MAIN_PORT" --conns 300 --threads 4 --hold 30
	client=$LAST_PID
	if ! wait_for_line "$TMP/twin_client.out" '^holding ' 120 "$client" ||
	   ! wait_conns "$MAIN_PID" "$MAIN_STATE" 30; then
		fail twins.load "tls_client did not finish"
		dump "$TMP/twin_client.out" "$TMP/twin_client.err"
	fi
	request_state "$MAIN_PID" "$MAIN_STATE" USR2
	kill -INT "$a" "$b"
	wait_exit "$a" 30
	check_eq twins.a_exit "$WAIT_RC" 0
	wait_exit "$b" 30
	check_eq twins.b_exit "$WAIT_RC" 0
	for f in .heap.live_bytes .heap.live_blocks .heap.allocs .heap.frees .ssl.live \
		 .ssl.created .ssl.freed .ssl.adopted; do
		va=$(json_get "$ja" "$f")
		vb=$(json_get "$jb" "$f")
		if [ -n "$va" ] && [ "$va" = "$vb" ]; then
			pass "twins$f"
		else
			fail "twins$f" "instance A says ${va:-<empty>}, instance B ${vb:-<empty>}"
		fi
	done
	check_eq twins.a_events_lost "$(json_get "$ja" .events.lost)" 0
	check_eq twins.b_events_lost "$(json_get "$jb" .events.lost)" 0
	check_eq twins.live_bytes_truth "$(json_get "$ja" .heap.live_bytes)" "$(state_get "$MAIN_STATE" live_bytes)"
	check_eq twins.ssl_live_truth "$(json_get "$ja" .ssl.live)" 30
	kill -TERM "$client" 2>/dev/null
	wait_exit "$client" 30
	wait_idle "$MAIN_PID" "$MAIN_STATE" || fail twins.idle "gt_server kept connections open"
}

# ---- a first attach: tlsmem's object names, the baselines -------------------

# learn: attaches once, learns tlsmem's BPF names, checks that text_diff sees
# the probes; sets ORPHANS0, the unowned objects of tlsmem's kind before any fault
learn()
{
	local tl ids=$TMP/learn_run.ids n

	if ! start_tlsmem learn -p "$MAIN_PID" --json; then
		fail learn "no 'tlsmem: attached' line"
		dump "$TMP/learn.err"
		return 1
	fi
	tl=$LAST_PID
	fd_ids "$tl" >"$ids"
	learn_names "$tl"
	# the code checks below are only worth something if they see probes
	n=$(text_diff "$MAIN_PID")
	info "while attached, gt_server's libcrypto/libssl code differs from the files in $n bytes"
	check_gt text_check_sees_probes "$n" 0
	stop_tlsmem "$tl"
	check_eq learn.exit "$WAIT_RC" 0
	check_released learn.released "$ids"
	check_eq learn.target_code_restored "$(text_diff "$MAIN_PID")" 0
	ORPHANS0=$(bpf_orphans)
	info "unowned BPF objects of tlsmem's kind before the faults: $ORPHANS0"
}

# ---- main -------------------------------------------------------------------

e2e_require
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }
PRIVLIB=$TMP/lib
mkdir -p "$PRIVLIB"
for lib in libssl.so.3 libcrypto.so.3; do
	cp "$(ldd "$GT_SERVER" | awk -v l="$lib" '$1 == l { print $3; exit }')" "$PRIVLIB/" ||
		{ fail setup "cannot copy $lib"; e2e_finish; }
done
if ! start_server main; then
	fail setup "gt_server did not start"
	dump "$TMP/main.err"
	e2e_finish
fi
MAIN_PID=$SRV_PID
MAIN_PORT=$SRV_PORT
MAIN_STATE=$SRV_STATE
check_eq main_private_libcrypto "$(grep -c "$PRIVLIB/libcrypto.so.3" "/proc/$MAIN_PID/maps" | awk '{ print ($1 > 0) }')" 1
check_eq target_code_clean_at_start "$(text_diff "$MAIN_PID")" 0
info "gt_server PID $MAIN_PID port $MAIN_PORT"

refusals
bad_options "$MAIN_PID"
symlink_outputs "$MAIN_PID"
not_root "$MAIN_PID"
learn || e2e_finish

target_gone exit
target_gone kill
target_gone segv

signals_under_load
kill_cycles
ringbuf_overflow
many_threads
two_instances

if is_alive "$MAIN_PID" && serves final_serves "$MAIN_PORT"; then
	pass target_serves_at_end
else
	fail target_serves_at_end "gt_server dead or not serving at the end"
fi
e2e_finish
