#!/bin/sh
# Installs the Debian 12 packages Kiln needs to build, run, test and
# benchmark: with apt-get when run as root, otherwise it prints the exact
# command to run.  Quiet when everything is already there.
set -eu

PACKAGES="
gcc meson ninja-build pkg-config
libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev
libseccomp-dev libcurl4-openssl-dev libinih-dev libcmocka-dev
wabt clang lld wasi-libc libclang-rt-14-dev-wasm32
python3 curl procps prometheus sqlite3
wrk nginx-light bubblewrap
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "kiln: missing Debian packages; run as root:" >&2
	echo "  apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "kiln: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# policy-rc.d keeps package scripts from starting services (prometheus,
# nginx) on the build machine: the benchmarks start their own.
[ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' \
    >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; rm_policy=1; }
apt-get install -y -q --no-install-recommends $missing >/dev/null
[ "${rm_policy:-0}" = 1 ] && rm -f /usr/sbin/policy-rc.d
exit 0
