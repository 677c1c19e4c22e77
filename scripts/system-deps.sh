#!/usr/bin/env bash
# Install the Debian packages a command needs, only when they are missing.
# Usage: scripts/system-deps.sh run|test
# "run" needs pango and fonts for WeasyPrint; "test" also needs chromium, nginx
# (tests/proxied.py starts it on a free port with deploy/nginx.conf), and
# PostgreSQL and redis-server, which the tests start themselves on free ports
# (tests/servers.py); the services Debian may start are not used.
set -euo pipefail
want=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-liberation)
if [ "${1:-run}" = "test" ]; then
  want+=(chromium postgresql redis-server nginx)
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "Please install as root: apt-get install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
