#!/bin/sh
# The README's second command (and what CI runs): installs what is
# missing, builds, and runs the whole test suite.  Then it builds again
# with AddressSanitizer and UBSan and runs the unit and integration tests
# there (KILN_SANITIZED=1: the few cases that need a guest's hardware
# fault to become a trap skip themselves).
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh >/dev/null
meson test -C build --print-errorlogs --num-processes 2 "$@"
if [ "${KILN_SKIP_ASAN:-0}" != 1 ]; then
	KILN_SANITIZE=1 ./scripts/build.sh >/dev/null
	ASAN_OPTIONS=allow_user_segv_handler=1:detect_leaks=1 \
	KILN_SANITIZED=1 \
	    meson test -C build-asan --print-errorlogs --num-processes 2 \
	    --suite unit --suite integration "$@"
fi
