#!/bin/sh
# Prepares the build context of every example app under images/ (copies the static busybox
# in), as `cloudmatrix create-image` does for the app it builds.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
for prepare in "$root"/images/*/prepare.sh; do
  [ -f "$prepare" ] || continue
  sh "$prepare"
  echo "prepared $(dirname "$prepare")"
done
