#!/bin/sh
# Builds Kiln into build/ (configuring it the first time).  With
# KILN_SANITIZE=1 it builds build-asan/ with AddressSanitizer and UBSan.
set -eu
cd "$(dirname "$0")/.."
dir=build
opts=""
if [ "${KILN_SANITIZE:-0}" = 1 ]; then
	dir=build-asan
	opts="-Db_sanitize=address,undefined -Db_lundef=false"
fi
[ -f "$dir/build.ninja" ] || meson setup "$dir" $opts >/dev/null
ninja -C "$dir" >/dev/null
echo "$dir"
