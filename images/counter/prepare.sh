#!/bin/sh
# Run by `cloudmatrix create-image` before each build: copies the host's static busybox into
# this build context (it is not committed; see images/README.md).
set -eu
cd "$(dirname "$0")"
src=${CMX_BUSYBOX:-/bin/busybox}
[ -x "$src" ] || { echo "prepare.sh: $src not found: apt-get install busybox-static" >&2; exit 1; }
cmp -s "$src" busybox 2>/dev/null || cp "$src" busybox
