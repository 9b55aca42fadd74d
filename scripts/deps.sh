#!/bin/sh
# Install the Debian packages tlsrptd needs to build and test, when missing.
# Run as root (CI, a fresh machine) it installs with apt-get; otherwise it
# only names what is missing and how to install it.
set -eu

pkgs="make gcc pkg-config zlib1g-dev libjansson-dev libmicrohttpd-dev
libsqlite3-dev libgmime-3.0-dev libgnutls28-dev gnutls-bin curl sqlite3 openssl
python3 clang libclang-rt-14-dev
libunbound-dev libevent-dev libcurl4-gnutls-dev dns-root-data nsd ldnsutils
libpq-dev postgresql postgresql-common libidn2-dev
util-linux iproute2 jq time"

# Extras for tests that need a large program (a browser for the page
# screenshots, promtool for the alerting rules of contrib/prometheus)
# and for `make bench` (wrk, the HTTP load generator):
# installed when DEPS_EXTRAS=1 (CI sets it); without them those tests say
# "# skipped".
if [ "${DEPS_EXTRAS:-0}" = 1 ]; then
	pkgs="$pkgs chromium prometheus wrk"
fi

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: install them with: sudo apt-get install$missing" >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || echo "deps: apt-get update failed; trying the cached package lists" >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
