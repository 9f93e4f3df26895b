#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The live view on a real terminal: tlsmem -p PID runs inside tmux (its own
# server, 160x50) against gt_server while tls_client holds connections open.
# The screen is read back with capture-pane: header figures, the site table
# and its sort, the keys (>, b, v, q), a clean exit, no BPF link left behind,
# and a target that keeps serving.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CONNS=200
HOLD=40
SOCK=tlsmem-e2e-$$
SCREEN=$TMP/screen

tm()
{
	tmux -L "$SOCK" "$@"
}

trap 'tm kill-server 2>/dev/null; _cleanup' EXIT

# snap: the screen into $SCREEN, a frame drawn whole
snap()
{
	capture_settled "$SCREEN" "$SOCK" tui
}

# key K: sends one key to tlsmem
key()
{
	tm send-keys -t tui "$1"
}

# table_col N: the Nth column of the site table's rows, in bytes or counts
# ("16.6 KiB" -> 16998, "1.2k" -> 1200), one per line
table_col()
{
	awk -v n="$1" '
		function val(s,   m, u) {
			m = s + 0
			u = s; sub(/^[-+0-9.]+ ?/, "", u)
			if (u == "KiB") m *= 1024; else if (u == "MiB") m *= 1048576
			else if (u == "GiB") m *= 1073741824; else if (u == "k") m *= 1e3
			else if (u == "M") m *= 1e6
			return m
		}
		/FILE:LINE/ { t = 1; next }
		t && /^q quit/ { exit }
		t && NF {
			# numbers are right-aligned in fixed columns of 11, 8 and 11
			if (n == 1) f = substr($0, 1, 11); else f = substr($0, 13, 8)
			gsub(/^ +| +$/, "", f)
			printf "%.0f\n", val(f)
		}' "$SCREEN"
}

# sorted_desc: stdin numbers never increase (and there are at least 3)
sorted_desc()
{
	awk 'NR > 1 && $1 > prev { bad = 1 } { prev = $1; n++ } END { exit bad || n < 3 }'
}

# the site table sorted by BLOCKS
sorted_by_blocks()
{
	grep -q '[v▼]BLOCKS' "$SCREEN" && table_col 2 | sorted_desc
}

baseline_shown()
{
	grep -Eq '^baseline at [0-9]+:[0-9]{2}:[0-9]{2}' "$SCREEN" && grep -q 'SINCE BL' "$SCREEN"
}

# ssl_rows: rows of the SSL object table
ssl_rows()
{
	grep -Ec "^ +$server +0x[0-9a-f]+ " "$SCREEN"
}

ssl_view_shown()
{
	grep -Eq 'PID +SSL +AGE +[v▼]BYTES +BLOCKS +ADOPTED' "$SCREEN" && [ "$(ssl_rows)" -gt 2 ]
}

timeline_shown()
{
	grep -Eq '^OpenSSL live bytes +now' "$SCREEN" && grep -Eq '^live SSL objects +now' "$SCREEN" &&
		grep -Eq '^process RSS +now' "$SCREEN"
}

e2e_require
if ! command -v tmux >/dev/null; then
	fail setup "tmux missing (make deps installs it)"
	e2e_finish
fi
gen_cert "$TMP" || { fail setup "openssl req failed"; e2e_finish; }

start_gt_server server "$TMP/state"
server=$GT_PID
port=$GT_PORT

# In the pane, a shell records its pid and becomes tlsmem; the pane's shell
# then records tlsmem's exit status.
tm new-session -d -s tui -x 160 -y 50 \
	"sh -c 'echo \$\$ >$TMP/tlsmem.pid; exec $TLSMEM -p $server 2>$TMP/tlsmem.err';
	 echo \$? >$TMP/tlsmem.rc"
# the server outlives its sessions: a session started just as the last one
# ends would reach a server on its way out ("server exited unexpectedly")
tm set-option -g exit-empty off
for _ in $(seq 1 50); do
	[ -s "$TMP/tlsmem.pid" ] && break
	sleep 0.1
done
tlsmem=$(cat "$TMP/tlsmem.pid" 2>/dev/null)
[ -n "$tlsmem" ] && track_pid "$tlsmem"
if ! wait_screen 'lost [0-9]+' 60; then
	fail header "no header on the screen within 60 s"
	cat "$SCREEN"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi
pass header

# the probes are live: connections from now on are seen from SSL_new
spawn client "$TLS_CLIENT" --port "$port" --conns $CONNS --threads 4 --hold $HOLD
if ! wait_for_line "$TMP/client.out" '^holding ' 120 "$LAST_PID"; then
	fail load "tls_client did not finish its connections"
	dump "$TMP/client.out" "$TMP/client.err"
	e2e_finish
fi
if wait_screen "^SSL +$HOLD live" 30; then
	pass live_ssl
else
	fail live_ssl "the header does not say $HOLD live: $(grep '^SSL' "$SCREEN")"
fi
wait_screen "\($CONNS created, $((CONNS - HOLD)) freed" 30
check_eq ssl_created "$(grep -Eo '\([0-9]+ created, [0-9]+ freed' "$SCREEN")" \
	"($CONNS created, $((CONNS - HOLD)) freed"
if grep -Eq 'events [0-9.kM]+, lost 0' "$SCREEN"; then
	pass lost_0
else
	fail lost_0 "$(grep -E 'events' "$SCREEN")"
fi
if grep -q "pid $server (gt_server)" "$SCREEN"; then
	pass target_named
else
	fail target_named "$(head -1 "$SCREEN")"
fi
if grep -Eq '^  libcrypto\.so\.3  shared  OpenSSL [0-9.]+' "$SCREEN"; then
	pass openssl_object
else
	fail openssl_object "$(sed -n 2,3p "$SCREEN")"
fi

# the site table, sorted by live bytes
if grep -Eq '[v▼]LIVE BYTES +BLOCKS +CHG/MIN +PER SSL +OLDEST +(ORPHANS +)?FILE:LINE +CALLER +MODULE' \
	"$SCREEN"; then
	pass site_table
else
	fail site_table "no site table title row"
fi
if table_col 1 | sorted_desc; then
	pass sorted_by_bytes
else
	fail sorted_by_bytes "$(table_col 1 | head -5 | tr '\n' ' ')"
fi
if grep -Eq 'ssl/ssl_lib\.c:[0-9]+ +SSL_new +libssl\.so' "$SCREEN"; then
	pass ssl_new_site
else
	fail ssl_new_site "no ssl_lib.c SSL_new row"
fi

# > sorts by the next column, BLOCKS
key '>'
if screen_until 5 sorted_by_blocks; then
	pass sort_key
else
	fail sort_key "$(grep 'FILE:LINE' "$SCREEN")"
fi

key b
if screen_until 5 baseline_shown; then
	pass baseline
else
	fail baseline "$(sed -n 1,9p "$SCREEN")"
fi

key v
screen_until 5 ssl_view_shown
if grep -Eq 'PID +SSL +AGE +[v▼]BYTES +BLOCKS +ADOPTED' "$SCREEN"; then
	check_gt ssl_view "$(ssl_rows)" 2
else
	fail ssl_view "no SSL object table"
fi

key v
if screen_until 5 timeline_shown; then
	pass timeline
else
	fail timeline "no time line charts"
	cat "$SCREEN"
fi

# q: a clean exit, and none of tlsmem's BPF links left
links=$(grep -h '^link_id:' /proc/"$tlsmem"/fdinfo/* 2>/dev/null | awk '{ print $2 }')
check_gt links_before "$(echo "$links" | grep -c .)" 0
key q
for _ in $(seq 1 100); do
	[ -s "$TMP/tlsmem.rc" ] && break
	sleep 0.1
done
check_eq exit_status "$(cat "$TMP/tlsmem.rc" 2>/dev/null)" 0
left=0
for id in $links; do
	bpftool link show id "$id" >/dev/null 2>&1 && left=$((left + 1))
done
check_eq links_after "$left" 0
if is_alive "$server" &&
   timeout 30 "$TLS_CLIENT" --port "$port" --conns 1 </dev/null >/dev/null 2>"$TMP/after.err"; then
	pass server_survives
else
	fail server_survives "gt_server dead or not serving after tlsmem exited"
	dump "$TMP/after.err" "$TMP/server.err"
fi
[ "$N_FAIL" -gt 0 ] && dump "$TMP/tlsmem.err"

# size_check NAME COLS ROWS: a fresh tlsmem in a COLSxROWS pane while the
# client still holds its HOLD connections (opened before this attach): the
# key figures fit whole, the less important ones go first
size_check()
{
	local name=$1 w=$2 h=$3 line

	tm new-session -d -s "$name" -x "$w" -y "$h" \
		"sh -c 'exec $TLSMEM -p $server 2>$TMP/$name.err'"
	tm resize-window -t "$name" -x "$w" -y "$h" 2>/dev/null
	if ! wait_screen_of "$name" 'lost [0-9]+' 60; then
		fail "$name.header" "no header within 60 s"
		cat "$SCREEN"
		return
	fi
	# connections opened after this attach, seen from SSL_new
	spawn "$name.client" "$TLS_CLIENT" --port "$port" --conns 10 --threads 2 --hold 10
	wait_for_line "$TMP/$name.client.out" '^holding ' 120 "$LAST_PID" ||
		fail "$name.client" "tls_client did not hold its connections"
	wait_screen_of "$name" "^SSL +10 live.*sockets [0-9]+" 30
	check_eq "$name.width" "$(max_cols "$SCREEN" |
		awk -v w="$w" '{ print ($1 <= w) }')" 1
	line=$(grep -E '^SSL ' "$SCREEN")
	if [[ "$line" =~ ^SSL\ +10\ live.*sockets\ [0-9]+ ]]; then
		pass "$name.ssl_sockets"
	else
		fail "$name.ssl_sockets" "$line"
	fi
	line=$(grep -E '^OpenSSL ' "$SCREEN")
	if [[ "$line" =~ live.*per\ live\ SSL.*RSS\ [0-9.]+\ (B|KiB|MiB|GiB)$ ]]; then
		pass "$name.heap_rss"
	else
		fail "$name.heap_rss" "$line"
	fi
	if grep -Eq '(^| )lost 0' "$SCREEN" && grep -Eq '^flags ' "$SCREEN"; then
		pass "$name.lost_flags"
	else
		fail "$name.lost_flags" "$(grep -E 'lost|^flags' "$SCREEN")"
	fi
	if [ "$w" -ge 200 ]; then
		# wide: nothing dropped
		if grep -Eq '\([0-9]+ created, [0-9]+ freed, [0-9]+ adopted\)' "$SCREEN" &&
		   grep -Eq 'tlsmem RSS [0-9.]+ [KMG]?i?B \(ring [0-9.]+ [KMG]?i?B x2, model [0-9.]+ [KMG]?i?B\), [0-9]+ probes' "$SCREEN"; then
			pass "$name.everything"
		else
			fail "$name.everything" "$(sed -n 1,8p "$SCREEN")"
		fi
	fi
	tm send-keys -t "$name" q
	kill -TERM "$LAST_PID" 2>/dev/null
	info "$name ${w}x$h: $(sed -n 1,7p "$SCREEN" | sed 's/ *$//' | tr '\n' '|')"
}

# wait_screen_of SESSION REGEX TIMEOUT_S
wait_screen_of()
{
	local deadline=$((SECONDS + $3))

	while [ $SECONDS -le $deadline ]; do
		capture_settled "$SCREEN" "$SOCK" "$1"
		grep -Eq -- "$2" "$SCREEN" && return 0
		sleep 0.2
	done
	return 1
}

size_check small 80 24
size_check wide 200 50
e2e_finish
