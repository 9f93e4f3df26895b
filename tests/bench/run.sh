#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# make bench: figures measured side by side in one run, medians of ROUNDS.
# So far: the cost of one OPENSSL_malloc + OPENSSL_free pair (three probe
# hits: entry, return, free) bare, under tlsmem with its probe placement,
# and under tlsmem with every probe at the function entry.
set -u
TLSMEM=${1:-./tlsmem}
ROUNDS=${ROUNDS:-5}
N=${N:-200000}
LOOP=.output/targets/alloc_loop

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (tlsmem attaches uprobes)" >&2; exit 1; }

# one round: ns per pair for a mode ("bare", or tlsmem options)
round()
{
	if [ "$1" = bare ]; then
		"$LOOP" "$N" 2>&1 >/dev/null | awk '/^ns_per_pair/ { print $2 }'
	else
		# shellcheck disable=SC2086
		"$TLSMEM" $1 --json -- "$LOOP" "$N" 2>&1 >/dev/null | awk '/^ns_per_pair/ { print $2 }'
	fi
}

median()
{
	sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A med opts=([bare]=bare [placed]="-i 1" [--entry-probes]="--entry-probes"
	[--light]="--light" [--empty-programs]="--empty-programs")
for mode in bare --empty-programs placed --entry-probes; do
	med[$mode]=$(for _ in $(seq "$ROUNDS"); do round "${opts[$mode]}"; done | median)
done
printf '%-28s %12s %10s\n' "OPENSSL_malloc+free pair" "ns (median)" "vs bare"
for mode in bare --empty-programs placed --entry-probes; do
	printf '%-28s %12.1f %9.1fx\n' "$mode" "${med[$mode]}" \
		"$(echo "${med[$mode]} ${med[bare]}" | awk '{ print $1 / $2 }')"
done
printf "tlsmem's programs vs empty programs at the same places: +%.0f%%\n" \
	"$(echo "${med[placed]} ${med[--empty-programs]} ${med[bare]}" |
		awk '{ print 100 * (($1 - $3) / ($2 - $3) - 1) }')"
printf 'placed vs entry probes: %.1fx faster\n' \
	"$(echo "${med[--entry-probes]} ${med[placed]}" | awk '{ print $1 / $2 }')"

# Handshake churn against openssl s_server (RSA-2048, TLS 1.3): connections
# per second made by s_time -new, bare and with tlsmem attached.
TMPB=$(mktemp -d)
trap 'kill $srv 2>/dev/null; rm -rf "$TMPB"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
	-keyout "$TMPB/key.pem" -out "$TMPB/cert.pem" 2>/dev/null
port=$((20000 + RANDOM % 20000))
openssl s_server -accept "127.0.0.1:$port" -cert "$TMPB/cert.pem" -key "$TMPB/key.pem" \
	-www -quiet >/dev/null 2>&1 &
srv=$!
sleep 1

# connections per second over SECS seconds
churn()
{
	openssl s_time -connect "127.0.0.1:$port" -new -time "${SECS:-3}" 2>/dev/null |
		awk '/connections in [0-9.]+s;/ { print $1 / $4; exit }'
}

# one round under tlsmem with options $1
observed()
{
	local t

	# shellcheck disable=SC2086
	"$TLSMEM" -p "$srv" $1 --json > "$TMPB/out.json" 2> "$TMPB/err" &
	t=$!
	until grep -q attached "$TMPB/err" 2>/dev/null; do sleep 0.05; done
	churn
	kill -INT "$t"
	wait "$t"
}

# The naive peer: bpftrace with the same probes at function entry, keeping
# the same map of outstanding allocations.
naive()
{
	local lib t

	lib=$(awk '/libcrypto\.so/ { print $6; exit }' "/proc/$srv/maps")
	bpftrace -p "$srv" -e "
uprobe:$lib:CRYPTO_malloc, uprobe:$lib:CRYPTO_zalloc { @sz[tid] = arg0; }
uretprobe:$lib:CRYPTO_malloc, uretprobe:$lib:CRYPTO_zalloc /@sz[tid]/ {
	@out[retval] = @sz[tid]; delete(@sz[tid]); }
uprobe:$lib:CRYPTO_free { delete(@out[arg0]); }
uprobe:$lib:SSL_new { @ssl = count(); }
END { clear(@out); clear(@sz); }" > "$TMPB/bt.out" 2>&1 &
	t=$!
	until grep -q Attaching "$TMPB/bt.out" 2>/dev/null; do sleep 0.05; done
	sleep 0.5
	churn
	kill -INT "$t"
	wait "$t" 2>/dev/null
}

modes=(bare placed --entry-probes --light)
command -v bpftrace >/dev/null && modes+=(bpftrace)
declare -A hs
for mode in "${modes[@]}"; do
	hs[$mode]=$(for _ in $(seq "${HS_ROUNDS:-3}"); do
		case $mode in
		bare) churn ;;
		bpftrace) naive ;;
		*) observed "${opts[$mode]}" ;;
		esac
	done | median)
done
printf '\n%-28s %12s %10s\n' "s_server handshakes" "conn/s (med)" "vs bare"
for mode in "${modes[@]}"; do
	printf '%-28s %12.0f %9.0f%%\n' "$mode" "${hs[$mode]}" \
		"$(echo "${hs[$mode]} ${hs[bare]}" | awk '{ print 100 * $1 / $2 }')"
done
[ -n "${hs[bpftrace]:-}" ] && printf 'tlsmem vs the naive bpftrace peer: %.1fx\n' \
	"$(echo "${hs[placed]} ${hs[bpftrace]}" | awk '{ print $1 / $2 }')"

# The reader's ingest rate on one core, and tlsmem's memory per tracked block.
printf '\n'
.output/bench/ingest | awk '{ printf "%-28s %s\n", $1, $2 }'

# Attach latency: from launch to the "attached" line, for node (100 MB executable).
node tests/targets/node_server.js --port 0 --cert "$TMPB/cert.pem" --key "$TMPB/key.pem" \
	> "$TMPB/node.out" 2>&1 &
nodepid=$!
until grep -q listening "$TMPB/node.out" 2>/dev/null; do sleep 0.05; done
for _ in 1 2 3; do
	"$TLSMEM" -p "$nodepid" -d 0.1 --json 2>&1 >/dev/null |
		sed -n 's/.* in \([0-9.]*\) ms$/\1/p'
done | median | awk '{ printf "%-28s %s ms (median of 3)\n", "attach node", $1 }'
kill "$nodepid"
