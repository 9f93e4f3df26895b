#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# make bench: figures measured side by side in one run, medians of ROUNDS.
# The cost of one OPENSSL_malloc + OPENSSL_free pair (three probe hits:
# entry, return, free) bare, with empty programs, under tlsmem with its probe
# placement and with every probe at the function entry; handshake churn and
# bulk data through real servers; the reader's ingest rate and memory; the
# cost of following 1 and 40 idle processes; the attach latency for node.
#
# BASE=DIR (a checkout of another build, with its tlsmem and
# .output/bench/ingest built) adds a "base" column: that build's tlsmem in the
# same rounds, for a before/after comparison side by side.
set -u
TLSMEM=${1:-./tlsmem}
BASE=${BASE:-}
if [ -n "$BASE" ] && [ ! -x "$BASE/tlsmem" ]; then
	echo "bench: BASE=$BASE has no tlsmem binary (build it there first)" >&2
	exit 2
fi
ROUNDS=${ROUNDS:-5}
N=${N:-200000}
LOOP=.output/targets/alloc_loop

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (tlsmem attaches uprobes)" >&2; exit 1; }

# one round: ns per pair for a mode ("bare", or tlsmem options; BIN another tlsmem)
round()
{
	if [ "$1" = bare ]; then
		"$LOOP" "$N" 2>&1 >/dev/null | awk '/^ns_per_pair/ { print $2 }'
	else
		# shellcheck disable=SC2086
		"${2:-$TLSMEM}" $1 -- "$LOOP" "$N" 2>&1 >/dev/null |
			awk '/^ns_per_pair/ { print $2 }'
	fi
}

median()
{
	sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A med pair opts=([bare]=bare [placed]="-i 1" [--entry-probes]="--entry-probes"
	[--light]="--light" [--empty-programs]="--empty-programs" [base]="-i 1")
pair_modes=(bare --empty-programs placed --entry-probes)
[ -n "$BASE" ] && pair_modes+=(base)
for _ in $(seq "$ROUNDS"); do
	for mode in "${pair_modes[@]}"; do
		if [ "$mode" = base ]; then
			pair[$mode]+="$(round "${opts[$mode]}" "$BASE/tlsmem") "
		else
			pair[$mode]+="$(round "${opts[$mode]}") "
		fi
	done
done
for mode in "${pair_modes[@]}"; do
	# shellcheck disable=SC2086
	med[$mode]=$(printf '%s\n' ${pair[$mode]} | median)
done
printf '%-28s %12s %10s\n' "OPENSSL_malloc+free pair" "ns (median)" "vs bare"
for mode in "${pair_modes[@]}"; do
	printf '%-28s %12.1f %9.1fx\n' "$mode" "${med[$mode]}" \
		"$(echo "${med[$mode]} ${med[bare]}" | awk '{ print $1 / $2 }')"
done
printf "tlsmem's programs vs empty programs at the same places: +%.0f%%\n" \
	"$(echo "${med[placed]} ${med[--empty-programs]} ${med[bare]}" |
		awk '{ print 100 * (($1 - $3) / ($2 - $3) - 1) }')"
printf 'placed vs entry probes: %.1fx faster\n' \
	"$(echo "${med[--entry-probes]} ${med[placed]}" | awk '{ print $1 / $2 }')"

# Handshake churn and bulk data, by the wall clock (tlsload), against
# openssl s_server and against our gt_server: bare; with empty programs at
# tlsmem's places (the kernel's own uprobe cost, a floor); under tlsmem;
# under --light; under the naive peer (bpftrace with the same probes at the
# function entries, keeping the same map of outstanding allocations).
TMPB=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$TMPB"' EXIT

# wait_for FILE REGEX PID WHAT: until FILE matches REGEX; the bench ends with
# a message when PID exits first, or after 60 s
wait_for()
{
	local deadline=$((SECONDS + 60))

	until grep -Eq -- "$2" "$1" 2>/dev/null; do
		if ! kill -0 "$3" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
			echo "bench: $4 did not start: $(tail -n 3 "$1" 2>/dev/null)" >&2
			kill -TERM $$	# from a $(...) subshell too: the whole bench ends
			exit 1
		fi
		sleep 0.05
	done
}

# listen_wait PORT PID WHAT: until something listens on PORT (as wait_for)
listen_wait()
{
	local deadline=$((SECONDS + 60))

	until ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; do
		if ! kill -0 "$2" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
			echo "bench: $3 did not listen on port $1" >&2
			kill -TERM $$
			exit 1
		fi
		sleep 0.05
	done
}

# two free consecutive ports
free_ports()
{
	local p

	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 20000))
		if ! ss -Htan "sport = :$p" 2>/dev/null | grep -q . &&
		   ! ss -Htan "sport = :$((p + 1))" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	echo "bench: no free port" >&2
	exit 1
}
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
	-keyout "$TMPB/key.pem" -out "$TMPB/cert.pem" 2>/dev/null
LOAD=.output/bench/tlsload
SECS=${SECS:-3}
base=$(free_ports)
# s_server -www for handshakes, -WWW serving a 512 MiB file (sparse) for bulk
openssl s_server -accept "127.0.0.1:$base" -cert "$TMPB/cert.pem" -key "$TMPB/key.pem" \
	-www -quiet >/dev/null 2>&1 &
pids+=($!)
srv_hs=$!
mkdir "$TMPB/www"
truncate -s 512M "$TMPB/www/big.bin"
(cd "$TMPB/www" && exec openssl s_server -accept "127.0.0.1:$((base + 1))" \
	-cert ../cert.pem -key ../key.pem -WWW -quiet >/dev/null 2>&1) &
pids+=($!)
srv_www=$!
listen_wait "$base" "$srv_hs" "openssl s_server -www"
listen_wait $((base + 1)) "$srv_www" "openssl s_server -WWW"
.output/targets/gt_server --port 0 --cert "$TMPB/cert.pem" --key "$TMPB/key.pem" \
	--state "$TMPB/gt.state" > "$TMPB/gt.out" 2>&1 &
pids+=($!)
srv_gt=$!
wait_for "$TMPB/gt.out" listening "$srv_gt" gt_server
gt_port=$(awk '/^listening/ { print $2; exit }' "$TMPB/gt.out")
sleep 0.5
# the first pass over the file fills the page cache: not a measurement
"$LOAD" get $((base + 1)) 2 1 big.bin >/dev/null

# workload -> "server pid|tlsload arguments"
declare -A work=(
	[s_server_handshakes]="$srv_hs|churn $base $SECS 1"
	[s_server_bulk_get]="$srv_www|get $((base + 1)) $SECS 1 big.bin"
	[gt_server_handshakes]="$srv_gt|churn $gt_port $SECS 2"
	[gt_server_bulk_echo]="$srv_gt|echo $gt_port $SECS 2"
)
workloads=(s_server_handshakes gt_server_handshakes s_server_bulk_get gt_server_bulk_echo)

# one measurement of workload $1 (conn/s or MB/s)
load()
{
	# shellcheck disable=SC2086
	"$LOAD" ${work[$1]#*|} | awk '/_per_s/ { print $2 }'
}

# one round of workload $1 under tlsmem with options $2 (or the tlsmem $3)
observed()
{
	local t

	# shellcheck disable=SC2086
	"${3:-$TLSMEM}" -p "${work[$1]%%|*}" $2 --json > "$TMPB/out.json" 2> "$TMPB/err" &
	t=$!
	wait_for "$TMPB/err" attached "$t" "tlsmem ${MODE:-}"
	load "$1"
	echo "${MODE:-tlsmem} $(awk '/^VmHWM/ { print $2 }' "/proc/$t/status")" >> "$TMPB/hwm"
	kill -INT "$t"
	wait "$t"
	echo "${MODE:-tlsmem} $(jq -r '.events.lost' "$TMPB/out.json")" >> "$TMPB/lost"
}

# The naive peer. Its uprobes are on the library file and fire in every
# process using it (the load generator too); the predicate drops the others.
naive()
{
	local pid=${work[$1]%%|*} lib ssl t

	lib=$(awk '/libcrypto\.so/ { print $6; exit }' "/proc/$pid/maps")
	ssl=$(awk '/libssl\.so/ { print $6; exit }' "/proc/$pid/maps")
	bpftrace -e "
uprobe:$lib:CRYPTO_malloc, uprobe:$lib:CRYPTO_zalloc /pid == $pid/ { @sz[tid] = arg0; }
uretprobe:$lib:CRYPTO_malloc, uretprobe:$lib:CRYPTO_zalloc /pid == $pid && @sz[tid]/ {
	@out[retval] = @sz[tid]; delete(@sz[tid]); }
uprobe:$lib:CRYPTO_free /pid == $pid/ { delete(@out[arg0]); }
uprobe:$ssl:SSL_new /pid == $pid/ { @ssl = count(); }
END { clear(@out); clear(@sz); }" > "$TMPB/bt.out" 2>&1 &
	t=$!
	wait_for "$TMPB/bt.out" Attaching "$t" bpftrace
	sleep 0.5
	load "$1"
	kill -INT "$t"
	wait "$t" 2>/dev/null
}

modes=(bare --empty-programs placed --light)
command -v bpftrace >/dev/null && modes+=(bpftrace)
[ -n "$BASE" ] && modes+=(base)
# Rounds go through every mode in turn, so that the machine's drifts in
# load fall on all of them alike; each figure is the median of its rounds.
declare -A res runs
for w in "${workloads[@]}"; do
	for _ in $(seq "${HS_ROUNDS:-3}"); do
		for mode in "${modes[@]}"; do
			MODE=$mode
			case $mode in
			bare) v=$(load "$w") ;;
			bpftrace) v=$(naive "$w") ;;
			base) v=$(observed "$w" "${opts[$mode]}" "$BASE/tlsmem") ;;
			*) v=$(observed "$w" "${opts[$mode]}") ;;
			esac
			runs[$w.$mode]+="$v "
		done
	done
	for mode in "${modes[@]}"; do
		# shellcheck disable=SC2086
		res[$w.$mode]=$(printf '%s\n' ${runs[$w.$mode]} | median)
	done
done
printf '\n%-22s' "throughput (median)"
for mode in "${modes[@]}"; do printf ' %16s' "$mode"; done
printf '\n'
for w in "${workloads[@]}"; do
	case $w in *handshakes) unit="conn/s" ;; *) unit="MB/s" ;; esac
	printf '%-22s' "$w"
	for mode in "${modes[@]}"; do
		printf ' %16s' "$(echo "${res[$w.$mode]} ${res[$w.bare]}" |
			awk -v u="$unit" '{ printf "%.0f %s %3.0f%%", $1, u, 100 * $1 / $2 }')"
	done
	printf '\n'
done
printf 'events lost (default ring buffer), all rounds: %s\n' \
	"$(awk '{ v = $NF; $NF = ""; s[$0] += v } END { for (k in s) printf "%s%s %d", n++ ? ", " : "", k, s[k] }' "$TMPB/lost")"
printf "tlsmem's peak RSS (VmHWM) in these rounds, highest: %s\n" \
	"$(awk '{ v = $NF; $NF = ""; if (v > m[$0]) m[$0] = v } END { for (k in m) printf "%s%s %.1f MiB", n++ ? ", " : "", k, m[k] / 1024 }' "$TMPB/hwm")"
if [ -n "${res[s_server_handshakes.bpftrace]:-}" ]; then
	for w in "${workloads[@]}"; do
		printf 'tlsmem vs the naive peer, %s: %.1fx\n' "$w" \
			"$(echo "${res[$w.placed]} ${res[$w.bpftrace]}" | awk '{ print $1 / $2 }')"
	done
fi

# The reader's ingest rate on one core, and tlsmem's memory per tracked block.
printf '\n'
.output/bench/ingest | awk '{ printf "%-28s %s\n", $1, $2 }'
if [ -n "$BASE" ] && [ -x "$BASE/.output/bench/ingest" ]; then
	"$BASE/.output/bench/ingest" | awk '{ printf "%-28s %s\n", "base " $1, $2 }'
fi

# tlsmem's own cost while it follows 1 and 40 idle OpenSSL processes (a
# parent and its children, each holding an SSL object: --children, -i 1),
# over FOLLOW_SECS seconds: its share of a CPU and its RSS.
ticks=$(getconf CLK_TCK)
cpu_ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
printf '\n%-28s %10s %10s %10s\n' "followed, idle, -i 1" "processes" "CPU" "RSS"
for n in 1 40; do
	python3 tests/targets/idle_tree.py "$n" > "$TMPB/tree.out" 2>&1 &
	tree=$!
	wait_for "$TMPB/tree.out" '^ready' "$tree" idle_tree.py
	"$TLSMEM" --children -p "$tree" -i 1 --json > "$TMPB/follow.json" 2> "$TMPB/follow.err" &
	t=$!
	wait_for "$TMPB/follow.err" attached "$t" "tlsmem --children"
	sleep 2		# past the start: the first samples taken
	c0=$(cpu_ticks "$t")
	w0=$(date +%s%N)
	sleep "${FOLLOW_SECS:-20}"
	c1=$(cpu_ticks "$t")
	w1=$(date +%s%N)
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$t/status")
	kill -INT "$t"
	wait "$t"
	kill "$tree"
	wait "$tree" 2>/dev/null
	printf '%-28s %10s %9.2f%% %6.1f MiB\n' "tlsmem --children" \
		"$(jq '[.targets[] | select(.exited | not)] | length' "$TMPB/follow.json")" \
		"$(echo "$c0 $c1 $w0 $w1 $ticks" | awk '{ print 100 * ($2 - $1) / $5 / (($4 - $3) / 1e9) }')" \
		"$(echo "$rss" | awk '{ print $1 / 1024 }')"
done

# The cost to a process tlsmem does not observe: gt_server's handshakes
# (tlsload churn, its client on the same libcrypto) bare, while tlsmem -p
# observes an idle process, and while tlsmem --children follows it (the
# probes then per file, taken by every process that maps it).
python3 tests/targets/idle_tree.py 1 > "$TMPB/tree.out" 2>&1 &
tree=$!
pids+=($tree)
wait_for "$TMPB/tree.out" '^ready' "$tree" idle_tree.py
declare -A other
for _ in $(seq "${HS_ROUNDS:-3}"); do
	for mode in bare -p --children; do
		t=
		if [ "$mode" != bare ]; then
			follow=
			[ "$mode" = --children ] && follow=--children
			# shellcheck disable=SC2086
			"$TLSMEM" $follow -p "$tree" --json > /dev/null 2> "$TMPB/other.err" &
			t=$!
			wait_for "$TMPB/other.err" attached "$t" "tlsmem $mode"
		fi
		other[$mode]+="$(load gt_server_handshakes) "
		if [ -n "$t" ]; then
			kill -INT "$t"
			wait "$t"
		fi
	done
done
printf '\n%-44s %12s %8s\n' "gt_server, not observed (handshakes)" "conn/s" "vs bare"
for mode in bare -p --children; do
	# shellcheck disable=SC2086
	v=$(printf '%s\n' ${other[$mode]} | median)
	[ "$mode" = bare ] && vb=$v
	case $mode in
	bare) label="bare" ;;
	-p) label="while tlsmem -p observes another process" ;;
	*) label="while tlsmem --children follows another" ;;
	esac
	printf '%-44s %12.0f %7.0f%%\n' "$label" "$v" "$(echo "$v $vb" | awk '{ print 100 * $1 / $2 }')"
done
kill "$tree"

# Attach latency: from launch to the "attached" line, for node (100 MB executable).
node tests/targets/node_server.js --port 0 --cert "$TMPB/cert.pem" --key "$TMPB/key.pem" \
	> "$TMPB/node.out" 2>&1 &
nodepid=$!
pids+=($!)
wait_for "$TMPB/node.out" listening "$nodepid" node
for _ in 1 2 3; do
	"$TLSMEM" -p "$nodepid" -d 0.1 --json 2>&1 >/dev/null |
		sed -n 's/.* in \([0-9.]*\) ms$/\1/p'
done | median | awk '{ printf "%-28s %s ms (median of 3)\n", "attach node", $1 }'
kill "$nodepid"
