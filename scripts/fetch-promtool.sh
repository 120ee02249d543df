#!/usr/bin/env bash
# Put Prometheus' `promtool` into DEST (for checking deploy/prometheus/alerts.yml) without
# installing or starting a Prometheus server: the Debian package is downloaded and only
# its promtool binary is extracted. Prints promtool's path; exits non-zero (one line on
# stderr) when it cannot be had here.
#
#   scripts/fetch-promtool.sh DEST
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: scripts/fetch-promtool.sh DEST" >&2
    exit 2
fi
dest="$1"
mkdir -p "$dest"
if command -v promtool > /dev/null 2>&1; then
    command -v promtool
    exit 0
fi
if ! command -v apt-get > /dev/null 2>&1 || ! command -v dpkg-deb > /dev/null 2>&1; then
    echo "fetch-promtool: no apt-get/dpkg-deb here (install Prometheus' promtool by hand)" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 0777 "$work"   # apt's download sandbox user must be able to write here
download() { (cd "$work" && apt-get download -qq prometheus > /dev/null 2>&1); }
if ! download; then
    # No package lists yet (a fresh machine): refresh them once (needs root).
    apt-get update -qq > /dev/null 2>&1 || true
    if ! download; then
        echo "fetch-promtool: could not download Debian's prometheus package" >&2
        exit 1
    fi
fi
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
install -m 0755 "$work/root/usr/bin/promtool" "$dest/promtool"
"$dest/promtool" --version > /dev/null
echo "$dest/promtool"
