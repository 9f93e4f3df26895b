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

declare -A med opts=([bare]=bare [placed]="-i 1" [--entry-probes]="--entry-probes")
for mode in bare placed --entry-probes; do
	med[$mode]=$(for _ in $(seq "$ROUNDS"); do round "${opts[$mode]}"; done | median)
done
printf '%-28s %12s %10s\n' "OPENSSL_malloc+free pair" "ns (median)" "vs bare"
for mode in bare placed --entry-probes; do
	printf '%-28s %12.1f %9.1fx\n' "$mode" "${med[$mode]}" \
		"$(echo "${med[$mode]} ${med[bare]}" | awk '{ print $1 / $2 }')"
done
printf 'placed vs entry probes: %.1fx faster\n' \
	"$(echo "${med[--entry-probes]} ${med[placed]}" | awk '{ print $1 / $2 }')"
