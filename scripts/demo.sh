#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian machine as root: lab up, build and push the example
# images, deploy plans/hello.yaml, update Varnish, and show every app answering through it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (the lab needs network namespaces)" >&2; exit 2; }

[ -x node_modules/.bin/tsx ] || npm ci --no-audit --no-fund
cmx() { echo "+ cloudmatrix $*"; node bin/cloudmatrix.js "$@"; }

cmx lab up
cmx lab status
