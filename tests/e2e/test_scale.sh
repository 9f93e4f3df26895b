#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# 10,000 TLS connections held open by gt_server, observed in the live view
# (inside tmux, 160x50) with the default ring buffer: every SSL object counted,
# no event lost, and the view answers keys while it lists 10,000 SSL objects.
# Prints tlsmem's memory (VmHWM) and the time to draw a frame (tlsmem -v says
# it at exit).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

CONNS=${SCALE_CONNS:-10000}
SOCK=tlsmem-e2e-$$
SCREEN=$TMP/screen

tm()
{
	tmux -L "$SOCK" "$@"
}

trap 'tm kill-server 2>/dev/null; _cleanup' EXIT

snap()
{
	tm capture-pane -p -t tui >"$SCREEN" 2>/dev/null
}

# csv_last COLUMN: that column of the time series' last row
csv_last()
{
	awk -F, -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			   { v = $col[c] } END { print v }' "$TMP/ts.csv" 2>/dev/null
}

ms_since()
{
	echo $(( ($(date +%s%N) - $1) / 1000000 ))
}

e2e_require
if ! command -v tmux >/dev/null; then
	fail setup "tmux missing (make deps installs it)"
	e2e_finish
fi
# two processes with CONNS sockets each: the server and the client
if ! ulimit -n $((CONNS + 1024)) 2>/dev/null; then
	fail setup "cannot raise the open-file limit to $((CONNS + 1024))"
	e2e_finish
fi
# ECDSA: handshakes an order of magnitude cheaper than RSA's on a loaded machine
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
	-days 2 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 ||
	{ fail setup "openssl req failed"; e2e_finish; }

start_gt_server server "$TMP/state"
server=$GT_PID

tm new-session -d -s tui -x 160 -y 50 \
	"sh -c 'echo \$\$ >$TMP/tlsmem.pid; exec $TLSMEM -p $server -v -o $TMP/ts.csv 2>$TMP/tlsmem.err';
	 echo \$? >$TMP/tlsmem.rc"
for _ in $(seq 1 50); do
	[ -s "$TMP/tlsmem.pid" ] && break
	sleep 0.1
done
tlsmem=$(cat "$TMP/tlsmem.pid" 2>/dev/null)
[ -n "$tlsmem" ] && track_pid "$tlsmem"
if ! wait_screen 'lost [0-9]+' 60; then
	fail header "no live view within 60 s"
	dump "$TMP/tlsmem.err"
	e2e_finish
fi

t0=$(date +%s%N)
spawn client "$TLS_CLIENT" --port "$GT_PORT" --conns $CONNS --threads 16 --hold $CONNS --bytes 100
client=$LAST_PID
if ! wait_for_line "$TMP/client.out" '^holding ' 600 "$client"; then
	fail load "tls_client did not open its connections"
	dump "$TMP/client.out" "$TMP/client.err" "$TMP/server.err"
	e2e_finish
fi
check_eq client_done "$(grep '^done ' "$TMP/client.out")" "done $CONNS ok 0 failed"
info "$CONNS connections opened in $(ms_since "$t0") ms"
request_state "$server" "$TMP/state" USR2
check_eq server_open "$(state_get "$TMP/state" open_conns)" $CONNS

# the time series catches up: every SSL object live, none lost. On a loaded
# machine tlsmem may trail the handshakes by a minute or more: waited for as
# long as the count still moves (30 s without progress ends the wait)
last= stall=$SECONDS
while [ "$(csv_last live_ssl)" != "$CONNS" ] && [ $((SECONDS - stall)) -lt 30 ]; do
	now=$(csv_last live_ssl)
	[ "$now" != "$last" ] && last=$now stall=$SECONDS
	sleep 0.2
done
check_eq live_ssl "$(csv_last live_ssl)" $CONNS
check_eq events_lost "$(csv_last events_lost)" 0
if wait_screen "^SSL +$CONNS live" 10; then
	pass header_live
else
	fail header_live "$(grep '^SSL' "$SCREEN")"
fi

# keys answered while the view lists 10,000 SSL objects
t0=$(date +%s%N)
tm send-keys -t tui v
if wait_screen 'PID +SSL +AGE +[v▼]BYTES +BLOCKS' 10; then
	info "SSL object view shown $(ms_since "$t0") ms after the key"
	pass ssl_view
else
	fail ssl_view "no SSL object table within 10 s"
fi
t0=$(date +%s%N)
tm send-keys -t tui End
if wait_screen "^ +$server +0x[0-9a-f]+ " 10; then
	info "End answered in $(ms_since "$t0") ms"
fi
sleep 3	# a few more frames of the 10,000-row view, drawn once per second
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$tlsmem/status" 2>/dev/null)
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$tlsmem/status" 2>/dev/null)
info "tlsmem memory: VmRSS $((rss / 1024)) MiB, VmHWM $((hwm / 1024)) MiB"
info "target RSS $(( $(csv_last rss_bytes) / 1048576 )) MiB, OpenSSL live $(( $(csv_last live_bytes) / 1048576 )) MiB"

tm send-keys -t tui q
for _ in $(seq 1 300); do
	[ -s "$TMP/tlsmem.rc" ] && break
	sleep 0.1
done
check_eq exit_status "$(cat "$TMP/tlsmem.rc" 2>/dev/null)" 0
frames=$(grep -o 'live view: .*' "$TMP/tlsmem.err")
if [ -n "$frames" ]; then
	info "$frames"
	pass frame_time
else
	fail frame_time "no frame times on stderr"
	dump "$TMP/tlsmem.err"
fi
e2e_finish
