#!/bin/sh
# Fuzzes every target with libFuzzer for SECONDS each (default 60),
# starting from the committed corpus; new findings go to fuzz/corpus-work/.
# Needs clang and libclang-rt-14-dev.  usage: scripts/fuzz.sh [SECONDS] [TARGET]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ -f build-fuzz/build.ninja ] ||
	CC=clang meson setup build-fuzz -Dfuzz=true -Dwerror=false >/dev/null
ninja -C build-fuzz >/dev/null
for exe in build-fuzz/fuzz/fuzz_*; do
	name=${exe##*/fuzz_}
	[ -n "${2:-}" ] && [ "$2" != "$name" ] && continue
	mkdir -p "fuzz/corpus-work/$name"
	echo "== fuzzing $name for ${secs}s"
	"$exe" -max_total_time="$secs" -max_len=70000 \
	    "fuzz/corpus-work/$name" "fuzz/corpus/$name"
done
