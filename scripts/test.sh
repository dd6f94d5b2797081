#!/usr/bin/env bash
# The whole test suite: unit tests (pure, fast) and integration tests against the real lab.
# Installs what it needs (npm packages, Debian packages) and brings the lab up itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -x node_modules/.bin/tsx ] || npm ci --no-audit --no-fund

# Types first: a type error fails the suite before any test runs.
echo "test: type-checking (tsc --noEmit)" >&2
node_modules/.bin/tsc -p tsconfig.json --noEmit || { echo "test: type errors above" >&2; exit 1; }
# The CLI runs dist/ when it is at least as new as src/ (else it falls back to tsx, slower).
[ -f dist/.built ] && [ -z "$(find src -newer dist/.built -print -quit)" ] || npm run --silent build

unit=(test/unit/*.test.ts)
if [ "$(id -u)" != 0 ]; then
  echo "test: not root, so only the unit tests run (the lab needs root)" >&2
  exec node --import tsx --test --test-timeout=120000 "${unit[@]}"
fi

scripts/install-packages.sh
scripts/install-packages.sh scripts/test-packages.txt
scripts/build-varnish.sh 4.1.11 6.0.16 >/dev/null # Varnish 4.1 and 6.0 LTS for the version tests; built once into /var/cache/cloudmatrix/varnish
node bin/cloudmatrix.js lab up --nodes "${CMX_TEST_NODES:-3}"
# The CLI's SSH keepers (see README, SSH connections) end 5 s after the suite's last command used them.
export CMX_SSH_KEEP_MS="${CMX_SSH_KEEP_MS:-5000}"

integration=(test/integration/*.test.ts)
# Fault injection (SIGSTOP/SIGKILL of lab daemons and deploys; every stopped process is resumed).
faults=(test/integration/faults/*.test.ts)
# Files under zz-last/ take the lab down and up again, so they run after all others (the runner sorts paths, hence the name).
last=(test/integration/zz-last/*.test.ts)
# The VM lab on LXC machines through Vagrant (its own bridges and subnets, never the namespace lab):
# about 4.5 min with an empty box cache, so it is part of the suite. CMX_SKIP_VAGRANT=1 leaves it out.
vagrant=(test/vagrant/*.test.ts)
[ "${CMX_SKIP_VAGRANT:-}" = 1 ] && vagrant=()
exec node --import tsx --test --test-concurrency=1 --test-timeout=600000 \
  "${unit[@]}" "${integration[@]}" "${faults[@]}" "${last[@]}" "${vagrant[@]}"
