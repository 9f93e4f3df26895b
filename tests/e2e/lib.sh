# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Helpers sourced by tests/e2e/test_*.sh.
#
# Sourcing this file moves to the repository root, creates a temp dir ($TMP)
# and installs a trap that, on any exit, kills every process started with
# spawn (whole process group: a child of tlsmem goes too) or registered with
# track_pid, then removes $TMP. Each check prints one "PASS name" or
# "FAIL name: reason" line; e2e_finish exits 1 when any check failed.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
cd "$ROOT" || exit 1

TLSMEM=${TLSMEM:-./tlsmem}
TARGETS=${TARGETS:-.output/targets}
GT_SERVER=$TARGETS/gt_server
TLS_CLIENT=$TARGETS/tls_client
TEST_NAME=$(basename "$0" .sh)
TEST_NAME=${TEST_NAME#test_}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tlsmem-e2e-$TEST_NAME.XXXXXX") || exit 1
BG_PIDS=()
BG_START=()
N_FAIL=0
LAST_PID=

# is_alive PID: true while PID runs (a zombie does not count)
is_alive()
{
	local st

	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# start_time PID: the process's start time in clock ticks (empty if gone)
start_time()
{
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# track_pid PID: kill PID (and its group) on exit; also for processes not
# spawned by this script, e.g. a server started by tlsmem.
track_pid()
{
	BG_PIDS+=("$1")
	BG_START+=("$(start_time "$1")")
}

_kill_all()
{
	local sig=$1 i p now

	for i in "${!BG_PIDS[@]}"; do
		p=${BG_PIDS[$i]}
		now=$(start_time "$p")
		# the pid was reused by a process that is none of ours
		[ -n "$now" ] && [ "$now" != "${BG_START[$i]}" ] && continue
		kill "-$sig" -- "-$p" 2>/dev/null
		kill "-$sig" "$p" 2>/dev/null
	done
}

_cleanup()
{
	local i p alive

	trap - EXIT INT TERM
	if [ ${#BG_PIDS[@]} -gt 0 ]; then
		_kill_all TERM
		for i in $(seq 1 30); do
			alive=0
			for p in "${BG_PIDS[@]}"; do
				is_alive "$p" && alive=1
			done
			[ $alive -eq 0 ] && break
			sleep 0.1
		done
		_kill_all KILL
		wait 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM

pass()
{
	echo "PASS $TEST_NAME.$1"
}

# fail NAME REASON
fail()
{
	echo "FAIL $TEST_NAME.$1: $2"
	N_FAIL=$((N_FAIL + 1))
}

skip()
{
	echo "SKIP $TEST_NAME.$1: $2"
}

info()
{
	echo "  $TEST_NAME: $*"
}

# check_eq NAME ACTUAL EXPECTED
check_eq()
{
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected $3, got ${2:-<empty>}"
	fi
}

# check_gt NAME ACTUAL BOUND: ACTUAL is an integer > BOUND
check_gt()
{
	if [[ "$2" =~ ^-?[0-9]+$ ]] && [ "$2" -gt "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected > $3, got ${2:-<empty>}"
	fi
}

# e2e_finish: the script's exit status
e2e_finish()
{
	[ "$N_FAIL" -eq 0 ] && exit 0
	exit 1
}

# e2e_require: root, the tlsmem binary and the targets; exits otherwise
e2e_require()
{
	if [ "$(id -u)" -ne 0 ]; then
		skip all "not root (attaching BPF uprobes needs root)"
		exit 0
	fi
	if [ ! -x "$TLSMEM" ]; then
		fail build "$TLSMEM not found or not executable (make tlsmem)"
		exit 1
	fi
	if [ ! -x "$GT_SERVER" ] || [ ! -x "$TLS_CLIENT" ]; then
		fail build "$GT_SERVER or $TLS_CLIENT missing (make targets)"
		exit 1
	fi
}

# spawn NAME CMD [ARG...]: runs CMD in the background in its own session,
# stdin from /dev/null, output in $TMP/NAME.out and $TMP/NAME.err. Sets
# LAST_PID. A shell without job control starts background commands with
# SIGINT ignored; env --default-signal gives CMD its default back.
spawn()
{
	local name=$1

	shift
	setsid env --default-signal=INT,QUIT "$@" \
		</dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
	LAST_PID=$!
	track_pid "$LAST_PID"
}

# wait_for_line FILE REGEX TIMEOUT_S [PID]: waits for an extended-regex
# match in FILE; gives up early when PID is given and exits.
wait_for_line()
{
	local file=$1 re=$2 deadline=$((SECONDS + $3)) pid=${4:-}

	while [ $SECONDS -le $deadline ]; do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! is_alive "$pid"; then
			grep -Eq -- "$re" "$file" 2>/dev/null
			return
		fi
		sleep 0.1
	done
	return 1
}

# wait_exit PID TIMEOUT_S: waits for a child of this shell to exit and sets
# WAIT_RC to its exit status; kills it at the deadline (WAIT_RC "timeout").
# Not from $(...): a subshell cannot wait for its parent's children.
wait_exit()
{
	local pid=$1 deadline=$((SECONDS + $2))

	while is_alive "$pid" && [ $SECONDS -le $deadline ]; do
		sleep 0.1
	done
	if is_alive "$pid"; then
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		WAIT_RC="timeout (killed after $2 s)"
		return
	fi
	wait "$pid" 2>/dev/null
	WAIT_RC=$?
}

# gen_cert DIR: throwaway self-signed certificate DIR/cert.pem, DIR/key.pem
gen_cert()
{
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
		-keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1
}

# free_port: prints a loopback TCP port nobody listens on
free_port()
{
	local i p

	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 12000))
		if ! ss -Htan "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# nginx_conf DIR PORT [HTTP_LINE...]: writes DIR/nginx.conf, an nginx with 2
# workers serving "ok" over TLS on 127.0.0.1:PORT ($TMP/cert.pem), its files
# in DIR; each HTTP_LINE goes into the http block, $NGINX_LISTEN (e.g.
# reuseport) into the listen line
nginx_conf()
{
	local dir=$1 port=$2 line extra=""

	shift 2
	for line in "$@"; do
		extra+="	$line"$'\n'
	done
	mkdir -p "$dir"
	cat >"$dir/nginx.conf" <<-EOF
		worker_processes 2;
		pid $dir/nginx.pid;
		error_log $dir/error.log notice;
		daemon off;
		events { worker_connections 1024; }
		http {
			access_log off;
			client_body_temp_path $dir/body;
			proxy_temp_path $dir/proxy;
			fastcgi_temp_path $dir/fastcgi;
			uwsgi_temp_path $dir/uwsgi;
			scgi_temp_path $dir/scgi;
		$extra	server {
				listen 127.0.0.1:$port ssl${NGINX_LISTEN:+ $NGINX_LISTEN};
				ssl_certificate $TMP/cert.pem;
				ssl_certificate_key $TMP/key.pem;
				location / { return 200 "ok\n"; }
			}
		}
	EOF
}

# state_get FILE KEY: a value from a gt_server state file
state_get()
{
	awk -v k="$2" '$1 == k { print $2; exit }' "$1" 2>/dev/null
}

# wait_for_state_seq FILE SEQ TIMEOUT_S: waits for a state write newer than SEQ
wait_for_state_seq()
{
	local deadline=$((SECONDS + $3)) seq

	while [ $SECONDS -le $deadline ]; do
		seq=$(state_get "$1" seq)
		[ -n "$seq" ] && [ "$seq" -gt "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# request_state PID FILE SIG: sends SIG (USR1: new epoch, USR2: just write)
# to gt_server and waits for the fresh state file
request_state()
{
	local seq

	seq=$(state_get "$2" seq)
	kill "-$3" "$1" 2>/dev/null || return 1
	wait_for_state_seq "$2" "${seq:-0}" 10
}

# start_gt_server NAME STATE_FILE ARG...: gt_server on an ephemeral port with
# extra ARGs; sets GT_PID and GT_PORT once it listens (10 s at most). On
# failure it fails "setup" with the server's stderr and ends the test.
start_gt_server()
{
	local name=$1 state=$2

	shift 2
	spawn "$name" "$GT_SERVER" --port 0 --cert "$TMP/cert.pem" --key "$TMP/key.pem" \
		--state "$state" "$@"
	GT_PID=$LAST_PID
	if ! wait_for_line "$TMP/$name.out" '^listening [0-9]+ pid [0-9]+$' 10 "$GT_PID"; then
		fail setup "gt_server did not start"
		dump "$TMP/$name.err"
		e2e_finish
	fi
	GT_PORT=$(awk '{ print $2; exit }' "$TMP/$name.out")
}

# start_tlsmem NAME ARG...: spawns tlsmem and waits (60 s at most) for its
# "tlsmem: attached" line on stderr. Sets LAST_PID and ATTACH_S. Returns 1
# when the line never came.
start_tlsmem()
{
	local name=$1 t0 t1

	shift
	t0=$(date +%s%N)
	spawn "$name" "$TLSMEM" "$@"
	wait_for_line "$TMP/$name.err" '^tlsmem: attached' 60 "$LAST_PID" || return 1
	t1=$(date +%s%N)
	ATTACH_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	info "$name attached in ${ATTACH_S}s"
}

# stop_tlsmem PID: SIGINT, then sets WAIT_RC to tlsmem's exit status
# (30 s at most)
stop_tlsmem()
{
	kill -INT "$1" 2>/dev/null
	wait_exit "$1" 30
}

# json_get FILE FILTER: a jq filter on tlsmem's JSON output. Lines that a
# command started by tlsmem printed to the shared stdout (our targets print
# "listening PORT pid PID") are dropped first.
json_get()
{
	grep -Ev '^listening [0-9]+ pid [0-9]+$' "$1" 2>/dev/null | jq -r "$2" 2>/dev/null
}

# wait_screen REGEX TIMEOUT_S: until the screen matches (extended regex); snap,
# defined by the test, writes the screen to $SCREEN (see capture_settled)
wait_screen()
{
	local deadline=$((SECONDS + $2))

	while [ $SECONDS -le $deadline ]; do
		snap
		grep -Eq -- "$1" "$SCREEN" && return 0
		sleep 0.2
	done
	return 1
}

# screen_until TIMEOUT_S CMD...: snaps until CMD, a test of $SCREEN, holds.
# A check of several parts of a frame waits for them all: ncurses may write a
# big frame in more than one piece.
screen_until()
{
	local deadline=$((SECONDS + $1))

	shift
	while [ $SECONDS -le $deadline ]; do
		snap
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# capture_settled FILE SOCKET TARGET: the text of tmux pane TARGET (server
# -L SOCKET) into FILE, once two captures 50 ms apart agree (10 tries at
# most; returns 1 then). tmux may answer while a frame is half written to the
# pane, and that picture mixes two frames, even within a line.
capture_settled()
{
	local file=$1 sock=$2 target=$3 i

	tmux -L "$sock" capture-pane -p -t "$target" >"$file" 2>/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.05
		tmux -L "$sock" capture-pane -p -t "$target" >"$file.next" 2>/dev/null
		if cmp -s "$file" "$file.next"; then
			rm -f "$file.next"
			return 0
		fi
		mv "$file.next" "$file"
	done
	return 1
}

# max_cols FILE: the widest line of FILE in characters. mawk's length()
# counts bytes, so a line of 80 columns with a UTF-8 ▼ in it read 82.
max_cols()
{
	LC_ALL=C tr -d '\200-\277' <"$1" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }'
}

# dump FILE...: shows files in the log after a failure
dump()
{
	local f

	for f in "$@"; do
		echo "---- $(basename "$f") (last 20 lines)"
		tail -n 20 "$f" 2>/dev/null
	done
	echo "----"
}

# compare_out NAME FILTER TRUTH: tlsmem's JSON ($JSON_OUT, default
# $TMP/tlsmem.out) against the truth
compare_out()
{
	local name=$1 filter=$2 truth=$3 got

	got=$(json_get "${JSON_OUT:-$TMP/tlsmem.out}" "$filter")
	info "$name tlsmem=$got truth=$truth"
	check_eq "$name" "$got" "$truth"
}

# settle_gt PID STATE OPEN FREED: waits until gt_server's connection threads
# are done (they finish a moment after the client's last close)
settle_gt()
{
	for _ in $(seq 1 100); do
		request_state "$1" "$2" USR2 || return 1
		[ "$(state_get "$2" open_conns)" = "$3" ] &&
			[ "$(state_get "$2" ssl_free)" = "$4" ] && return 0
		sleep 0.2
	done
	return 1
}

# run_tlsmem NAME ARG...: tlsmem in the foreground, RUN_TIMEOUT_S (30) at most;
# sets RC, OUT and ERR (file paths)
run_tlsmem()
{
	local name=$1 limit=${RUN_TIMEOUT_S:-30}

	shift
	OUT=$TMP/$name.out
	ERR=$TMP/$name.err
	timeout -k 2 "$limit" "$TLSMEM" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
}

# expect_usage NAME ARG...: exit 2, a message on stderr, nothing on stdout
expect_usage()
{
	local name=$1 why=

	shift
	run_tlsmem "$name" "$@"
	[ "$RC" -eq 2 ] || why="exit $RC, expected 2"
	[ -s "$ERR" ] || why="${why:+$why; }nothing on stderr"
	[ -s "$OUT" ] && why="${why:+$why; }stdout not empty"
	if [ -z "$why" ]; then
		pass "$name"
	else
		fail "$name" "tlsmem $* -> $why; stderr: $(head -c 200 "$ERR")"
	fi
}

# csv_last FILE COLUMN: COLUMN (by its header name) of the last row of a CSV
csv_last()
{
	awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			  { v = $col[c] } END { print v }' "$1" 2>/dev/null
}

# wait_csv FILE COLUMN COND TIMEOUT_S: waits until COLUMN of the CSV's last
# row satisfies COND, an awk expression on v (e.g. 'v == 40', 'v > 0'); sets
# CSV_V to the last value seen. For a figure tlsmem must reach: the check
# that follows asserts it, this only waits for it on a loaded machine.
wait_csv()
{
	local deadline=$((SECONDS + $4))

	while :; do
		CSV_V=$(csv_last "$1" "$2")
		[ -n "$CSV_V" ] && awk -v v="$CSV_V" "BEGIN { exit !($3) }" && return 0
		[ $SECONDS -gt $deadline ] && return 1
		sleep 0.1
	done
}

# wait_csv_rows FILE N TIMEOUT_S: waits until the CSV has N data rows
wait_csv_rows()
{
	local deadline=$((SECONDS + $3))

	while [ "$(($(wc -l <"$1" 2>/dev/null || echo 1) - 1))" -lt "$2" ]; do
		[ $SECONDS -gt $deadline ] && return 1
		sleep 0.1
	done
}
