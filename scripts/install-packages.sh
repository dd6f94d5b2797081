#!/usr/bin/env bash
# Installs the Debian packages listed in packages.txt that are missing. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list=${1:-$here/packages.txt}

if [ "$(id -u)" != 0 ]; then
  echo "install-packages: must run as root (apt-get install)" >&2
  exit 2
fi

missing=()
while read -r pkg; do
  case "$pkg" in ''|'#'*) continue ;; esac
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done <"$list"

[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/cloudmatrix-apt.log 2>&1; then
  apt-get update -q >>/tmp/cloudmatrix-apt.log 2>&1 || true
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/cloudmatrix-apt.log 2>&1; then
    echo "install-packages: apt-get could not install: ${missing[*]} (see /tmp/cloudmatrix-apt.log)" >&2
    exit 1
  fi
fi
# Debian's packages may start their services where an init system runs; the lab starts its own.
