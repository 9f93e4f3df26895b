#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# usage: tests/fuzz/run.sh [SECONDS]
#
# Builds the libFuzzer targets tests/fuzz/fuzz_*.c into $OUTPUT/fuzz (clang,
# -fsanitize=fuzzer,address,undefined; UBSan findings abort), generates their
# seed corpora (a real /proc/PID/maps, small ELF files compiled here and taken
# from the system, truncated copies), then runs each fuzzer for SECONDS
# (default 10). Prints "PASS fuzz.NAME" or "FAIL fuzz.NAME: reason" per
# fuzzer, with the reproducer's path on a crash, and "N passed, N failed" at
# the end; exits 1 when any failed. Inputs that found new coverage stay in
# $OUTPUT/fuzz/corpus/NAME for the next run; crashes go to
# $OUTPUT/fuzz/crashes/NAME. FUZZ_SEED=N fixes libFuzzer's seed (make test
# does, so that a run is the same on every machine that gets as far; 0, the
# default, takes one from the clock). No root needed.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1

SECONDS_EACH=${1:-10}
SEED=${FUZZ_SEED:-0}
OUTPUT=${OUTPUT:-.output}
FUZZ=$OUTPUT/fuzz
CLANG=${CLANG:-clang}
# shellcheck disable=SC2054 # the commas are clang's
FUZZ_CFLAGS=(-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=all -D_GNU_SOURCE -Iuser -Iuser/attach -Iuser/model -Iuser/detect -Iuser/symbols -Iuser/output -Iuser/live
	-Wall -Wextra -Wshadow -Wundef -Wstrict-prototypes -Wmissing-prototypes)

n_pass=0
n_fail=0

if ! [[ "$SECONDS_EACH" =~ ^[1-9][0-9]*$ && "$SEED" =~ ^[0-9]{1,9}$ ]]; then
	echo "usage: [FUZZ_SEED=N] tests/fuzz/run.sh [SECONDS]" >&2
	exit 2
fi

pass()
{
	echo "PASS fuzz.$1${2:+ ($2)}"
	n_pass=$((n_pass + 1))
}

fail()
{
	echo "FAIL fuzz.$1: $2"
	n_fail=$((n_fail + 1))
}

# build NAME SOURCE... [-lLIB...]: $FUZZ/NAME from tests/fuzz/NAME.c and the
# given user/ sources, unless it is newer than all of them and their headers
build()
{
	local name=$1 bin=$FUZZ/$1 src f stale=0

	shift
	src=(tests/fuzz/"$name".c "$@")
	for f in "${src[@]}" user/*.h user/*/*.h "$0"; do
		case $f in -l*) continue ;; esac
		[ "$f" -nt "$bin" ] && stale=1
	done
	[ -x "$bin" ] && [ $stale -eq 0 ] && return 0
	echo "  CLANG    $bin"
	"$CLANG" "${FUZZ_CFLAGS[@]}" "${src[@]}" -o "$bin" >"$FUZZ/$name.build.log" 2>&1
}

# seeds_procmaps DIR: real maps files, hand-written edge cases, truncations
seeds_procmaps()
{
	local d=$1 f

	cat /proc/self/maps >"$d/maps-cat"
	cat "/proc/$$/maps" >"$d/maps-bash"
	cat >"$d/maps-edge" <<-'EOF'
	55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 1234567                    /usr/bin/cat
	7f0000000000-7f0000001000 r-xp 00001000 08:02 42                         /tmp/lib with  spaces.so (deleted)
	7f0000001000-7f0000002000 rw-s 00000000 00:05 7                          /dev/zero (deleted)
	7f0000002000-7f0000003000 ---p 00000000 00:00 0 
	7f0000003000-7f0000004000 r-xp 00000000 08:02 43                         /tmp/a\012newline.so
	7ffd5e9f0000-7ffd5ea11000 rw-p 00000000 00:00 0                          [stack]
	ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
	EOF
	printf '%s\n' \
		'7f0000002000-7f0000003000 r--p 00000000 00:00 0' \
		'7f0000000000-7f0000001000 r-xp 00000000 00:00 0  [heap]' \
		'0-1 rwxs ffffffffffffffff ffffffff:ffffffff 18446744073709551615 x' >"$d/maps-unsorted"
	printf '1000-2000 r-xp 00000000 08:02 1 /no/newline/at/end' >"$d/maps-noeol"
	printf '\n\n1000-2000 r-xp 00000000 08:02 1\n\n' >"$d/maps-blank-lines"
	for f in maps-cat maps-edge; do
		head -c 100 "$d/$f" >"$d/$f.trunc100"
		head -n 1 "$d/$f" | tr -d '\n' >"$d/$f.line1"
		head -c $(($(wc -c <"$d/$f") / 2)) "$d/$f" >"$d/$f.half"
	done
}

# seeds_elf DIR: small ELF files compiled here and from the system, truncations
seeds_elf()
{
	local d=$1 stub=$FUZZ/stub.c f n=0

	cat >"$stub" <<-'EOF'
	/* seed for fuzz_elf: the functions and strings tlsmem looks for */
	__attribute__((used)) const char openssl_version[] = "OpenSSL 3.0.99 1 Jan 2030";
	__attribute__((used)) const char help[] = "enable OpenSSL 3.0 legacy provider";
	static int counter;
	__attribute__((noinline)) static int helper(int x) { return x * 3 + counter++; }
	void *CRYPTO_malloc(unsigned long n, const char *f, int l) { return (void *)(n + helper(l) + (unsigned long)f); }
	void CRYPTO_free(void *p, const char *f, int l) { counter += (int)(long)p + l + (int)(long)f; }
	void *SSL_new(void *ctx) { return (char *)CRYPTO_malloc(64, "ssl/ssl_lib.c", 700) + (long)ctx; }
	void _dl_debug_state(void) { counter++; }
	int main(void) { return helper(1); }
	EOF
	"$CLANG" -O1 -shared -fPIC "$stub" -o "$d/stub.so" &&
		"$CLANG" -O1 -shared -fPIC -s "$stub" -o "$d/stub-stripped.so" &&
		"$CLANG" -O1 -fPIE -pie "$stub" -o "$d/stub-pie" &&
		"$CLANG" -O1 -no-pie "$stub" -o "$d/stub-exec" || return 1
	"$CLANG" -O1 -shared -fPIC -m32 "$stub" -o "$d/stub32.so" 2>/dev/null || rm -f "$d/stub32.so"
	# a few small real libraries (the size cap keeps the fuzzer fast)
	for f in /usr/lib/x86_64-linux-gnu/*.so* /usr/lib/*.so* /usr/bin/*; do
		[ $n -ge 4 ] && break
		if [ ! -f "$f" ] || [ -L "$f" ]; then
			continue
		fi
		[ "$(stat -c %s "$f")" -le 65536 ] || continue
		[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
		cp "$f" "$d/sys-$n-$(basename "$f")"
		n=$((n + 1))
	done
	for f in stub.so stub-stripped.so; do
		head -c 64 "$d/$f" >"$d/$f.ehdr"
		head -c 1024 "$d/$f" >"$d/$f.1k"
		head -c $(($(stat -c %s "$d/$f") / 2)) "$d/$f" >"$d/$f.half"
		head -c $(($(stat -c %s "$d/$f") - 1)) "$d/$f" >"$d/$f.minus1"
	done
}

# seeds_jsonr DIR: a real report's shape, edge cases, truncations
seeds_jsonr()
{
	local d=$1

	cat >"$d/report.json" <<-'EOF'
	{"format":1,"targets":[{"pid":42,"comm":"gt_server","exited":false,"openssl":[{"path":"/usr/lib/libssl.so.3","kind":"shared","version":null,"probes":18}]}],"duration_s":8.0035,"ssl":{"live":50,"created":100,"freed":50,"adopted":0},"heap":{"live_bytes":2654828,"bytes_per_live_ssl":52904.6},"estimate":{"rss_per_ssl_bytes":null,"r2":0},"events":{"received":152046,"lost":0},"complete":true,"sites":[{"file":"../ssl/ssl_lib.c","line":691,"caller":"SSL_new","module":"/usr/lib/libssl.so.3","live_blocks":50,"live_bytes":380400,"allocs":100,"frees":50}],"flags":[],"orphans":[]}
	EOF
	printf '%s' '["\u00e9\ud83d\ude00\n\"", -0.5e-3, 1E+2, true, false, null, {}, []]' >"$d/escapes.json"
	printf '%s' '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]' >"$d/deep.json"
	head -c 200 "$d/report.json" >"$d/report.trunc200"
	head -c $(($(wc -c <"$d/report.json") / 2)) "$d/report.json" >"$d/report.half"
}

# seeds_compare DIR: two runs (BASE, NUL, RUN) with sites that match, move and differ
seeds_compare()
{
	local d=$1 a b

	a='{"format":1,"targets":[{"pid":1,"comm":"a","openssl":[{"path":"/l","kind":"shared","version":"OpenSSL 3.0.1 x"}]}],"duration_s":1,"ssl":{"live":2,"created":4,"peak_live":3},"heap":{"live_bytes":100,"allocs":40,"bytes_per_live_ssl":50},"ssl_cost":{"objects":2,"all":{"objects":4,"mean_peak_bytes":70}},"events":{"lost":0},"complete":true,"sites":[{"file":"a.c","line":1,"caller":"f","live_bytes":10,"alloc_bytes":20},{"file":"m.c","line":5,"caller":"g","live_bytes":4}]}'
	b='{"targets":[],"duration_s":2,"ssl":{"live":1,"created":9},"heap":{"live_bytes":50,"bytes_per_live_ssl":60},"events":{"lost":3},"complete":false,"sites":[{"file":"a.c","line":1,"caller":"f","live_bytes":30},{"file":"m.c","line":7,"caller":"g","live_bytes":8},{"file":"n.c","line":2,"caller":"h","live_bytes":1}]}'
	printf '%s\0%s' "$a" "$b" >"$d/two-runs"
	printf '%s' "$a" >"$d/one-run"
	printf '%s\0%s' "$a" '{"format":2,"targets":[],"ssl":{},"heap":{},"events":{},"sites":[]}' >"$d/format2"
}

dict_compare()
{
	dict_jsonr
	printf '"%s"\n' '\"live_bytes\"' '\"alloc_bytes\"' '\"caller\"' '\"line\"' '\"file\"' \
		'\"ssl_cost\"' '\"all\"' '\"mean_peak_bytes\"' '\"complete\"' '\x00'
}

dict_jsonr()
{
	printf '"%s"\n' '{' '}' '[' ']' ':' ',' 'true' 'false' 'null' '\\u' '\\ud800' '\\udc00' \
		'\"format\"' '\"sites\"' '1e308' '-0' '1e999'
}

# seeds_debug DIR: a small library stripped in the ways debuggers find names
# again (debug file, debuglink, MiniDebugInfo, a JNI table), and truncations
seeds_debug()
{
	local d=$1 src=$FUZZ/names-seed.c f

	cat >"$src" <<-'EOF'
	/* seed for fuzz_debug: a static function, an export before it, a JNI table */
	typedef struct { char *name; char *signature; void *fnPtr; } JNINativeMethod;
	static int counter;
	int exported(int x);
	__attribute__((noinline)) int exported(int x) { return x + counter++; }
	__attribute__((noinline, used)) static int hidden(int x) { return exported(x) * 3; }
	static const JNINativeMethod methods[] = { { "newSSL", "(JZ)J", (void *)hidden } };
	const void *natives(void);
	const void *natives(void) { return methods; }
	EOF
	"$CLANG" -g -O1 -shared -fPIC -Wl,--build-id "$src" -o "$d/full.so" || return 1
	objcopy --only-keep-debug "$d/full.so" "$d/full.debug" &&
		strip --strip-all -o "$d/stripped.so" "$d/full.so" &&
		objcopy --add-gnu-debuglink="$d/full.debug" "$d/stripped.so" "$d/link.so" &&
		strip --strip-debug -o "$FUZZ/mini.elf" "$d/full.debug" &&
		xz -c "$FUZZ/mini.elf" >"$d/mini.xz" &&
		objcopy --add-section .gnu_debugdata="$d/mini.xz" "$d/stripped.so" "$d/mini.so" ||
		return 1
	for f in stripped.so mini.so full.debug; do
		head -c $(($(stat -c %s "$d/$f") / 2)) "$d/$f" >"$d/$f.half"
		head -c $(($(stat -c %s "$d/$f") - 1)) "$d/$f" >"$d/$f.minus1"
	done
	head -c 100 "$d/mini.xz" >"$d/mini.xz.trunc"
}

dict_debug()
{
	printf '"%s"\n' '\x7fELF' '.gnu_debugdata' '.gnu_debuglink' '.eh_frame_hdr' '.eh_frame' \
		'.note.gnu.build-id' '.symtab' '.strtab' '.rela.dyn' 'GNU\x00' '\xfd7zXZ\x00' \
		'zR\x00' '\x01\x1b\x03\x3b' '(JZ)J' 'newSSL' '\x08\x00\x00\x00\x00\x00\x00\x00'
}

dict_procmaps()
{
	printf '"%s"\n' ' (deleted)' 'r-xp' 'rw-s' '---p' '[heap]' '[stack]' '[vdso]' \
		'ffffffffffffffff' '18446744073709551615' 'fd:01' ' 00000000 ' '\x0a' '-'
}

dict_elf()
{
	printf '"%s"\n' '\x7fELF' 'CRYPTO_malloc' 'CRYPTO_free' 'SSL_new' '_dl_debug_state' \
		'OpenSSL 3.' 'LibreSSL 3.' 'BoringSSL' '.symtab' '.dynsym' '.strtab' '.dynstr' \
		'.rodata' '.text' '\xff\xff\xff\xff\xff\xff\xff\xff' '\x00\x00\x00\x00'
}

# run_fuzzer NAME MAX_LEN: SECONDS_EACH seconds of fuzzing, then PASS or FAIL
run_fuzzer()
{
	local name=$1 max_len=$2 bin=$FUZZ/fuzz_$1 log=$FUZZ/fuzz_$1.log
	local corpus=$FUZZ/corpus/$1 crashes=$FUZZ/crashes/$1 seeds=$FUZZ/seeds/$1
	local rc unit why stats

	mkdir -p "$corpus" "$crashes"
	"$bin" -seed="$SEED" -max_total_time="$SECONDS_EACH" -max_len="$max_len" -timeout=25 \
		-rss_limit_mb=2048 -print_final_stats=1 -dict="$FUZZ/fuzz_$name.dict" \
		-artifact_prefix="$crashes/" "$corpus" "$seeds" >"$log" 2>&1
	rc=$?
	stats=$(awk '/^stat::number_of_executed_units:/ { e = $2 }
		     /^stat::new_units_added:/ { u = $2 }
		     END { if (e != "") printf "%d runs, %d new inputs", e, u }' "$log")
	if [ $rc -eq 0 ]; then
		pass "$name" "${SECONDS_EACH}s, $stats"
		return
	fi
	unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	why=$(grep -m 1 -E 'contract broken|ERROR: [A-Za-z]+Sanitizer|runtime error|ERROR: libFuzzer' \
		"$log" | sed 's/^==[0-9]*==//')
	if [ -n "$unit" ]; then
		fail "$name" "${why:-crash}; reproduce: $bin $unit (log: $log)"
	else
		fail "$name" "exit $rc without a reproducer (log: $log)"
	fi
	grep -E '^SUMMARY|^    #[0-9]+ ' "$log" | head -n 12 | sed 's/^/  /'
}

# fuzz NAME MAX_LEN SOURCE... [-lLIB...]: build, seed and run one fuzzer
fuzz()
{
	local name=$1 max_len=$2 seeds=$FUZZ/seeds/$1

	shift 2
	if ! build "fuzz_$name" "$@"; then
		fail "$name" "build failed (log: $FUZZ/fuzz_$name.build.log)"
		sed 's/^/  /' "$FUZZ/fuzz_$name.build.log" | head -n 20
		return
	fi
	rm -rf "$seeds"
	mkdir -p "$seeds" || return
	if ! "seeds_$name" "$seeds" >"$FUZZ/fuzz_$name.seeds.log" 2>&1; then
		fail "$name" "could not generate the seed corpus (log: $FUZZ/fuzz_$name.seeds.log)"
		return
	fi
	"dict_$name" >"$FUZZ/fuzz_$name.dict"
	run_fuzzer "$name" "$max_len"
}

mkdir -p "$FUZZ" || exit 1
if command -v "$CLANG" >/dev/null; then
	fuzz procmaps 16384 user/attach/procmaps.c user/attach/fileio.c
	fuzz jsonr 16384 user/output/jsonr.c
	fuzz compare 16384 user/output/compare.c user/output/jsonr.c user/output/jsonw.c \
		user/output/fmt.c user/log.c -lm
	fuzz elf 65536 user/symbols/elfobj.c user/symbols/elfobj_version.c user/attach/fileio.c -lelf -lz
	fuzz debug 65536 user/symbols/elfobj.c user/symbols/elfobj_version.c user/symbols/functab.c \
		user/symbols/debugfile.c user/symbols/minidebug.c user/symbols/ehframe.c user/symbols/jni.c \
		user/symbols/modinfo.c user/attach/fileio.c user/log.c -lelf -lz -llzma
else
	fail build "$CLANG not found (make deps)"
fi
echo "$n_pass passed, $n_fail failed"
[ $n_fail -eq 0 ]
