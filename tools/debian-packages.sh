#!/bin/sh
# Install the Debian packages given that are missing, with one `apt-get update` for all of
# them (each update costs seconds on a fresh machine). `--optional` reports a failure and
# goes on: `make run` serves without the word lists, correcting spelling less well.
#   tools/debian-packages.sh [--optional] package...
set -u
optional=0
if [ "${1:-}" = "--optional" ]; then optional=1; shift; fi
missing=""
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $package"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "Installing Debian packages:$missing"
if $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null; then
    case "$missing" in
    *nginx*)
        # Debian starts its own nginx on port 80 where systemd runs; nothing here uses it
        # (tests/cluster.py runs its own, on loopback), so it is stopped and disabled.
        if command -v systemctl >/dev/null 2>&1; then
            $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
        fi
        ;;
    esac
    exit 0
fi
if [ "$optional" = 1 ]; then
    echo "Not installed:$missing (the site runs without them)"
    exit 0
fi
echo "Could not install:$missing" >&2
exit 1
