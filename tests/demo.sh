#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# make demo: a bundled TLS server, a client that keeps opening and closing
# connections while holding a slowly growing number open, and tlsmem attached
# to the server. Ctrl-C (or q in the live view) ends it; everything started
# here is stopped on the way out. DEMO_SECONDS limits the run (default:
# until interrupted on a terminal, 20 s otherwise).
set -u
TLSMEM=${1:-./tlsmem}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tlsmem-demo.XXXXXX") || exit 1
pids=()

cleanup()
{
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: tlsmem attaches uprobes and needs root; run: sudo make demo" >&2
	exit 1
fi
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null || exit 1
.output/targets/gt_server --port 0 --cert "$TMP/cert.pem" --key "$TMP/key.pem" \
	--state "$TMP/state" > "$TMP/server.out" &
pids+=($!)
server=$!
for _ in $(seq 100); do
	grep -q '^listening' "$TMP/server.out" 2>/dev/null && break
	sleep 0.1
done
port=$(awk '/^listening/ { print $2 }' "$TMP/server.out")
[ -n "$port" ] || { echo "demo: the server did not start" >&2; exit 1; }
.output/targets/tls_client --port "$port" --demo --rate 40 --hold 200 --grow-every 1 \
	> "$TMP/client.out" 2>&1 < /dev/null &
pids+=($!)

echo "demo: server PID $server on 127.0.0.1:$port; a client churns connections and holds more open every second"
if [ -t 1 ]; then
	"$TLSMEM" -p "$server" ${DEMO_SECONDS:+-d "$DEMO_SECONDS"}
else
	"$TLSMEM" -p "$server" -d "${DEMO_SECONDS:-20}" --report
fi
