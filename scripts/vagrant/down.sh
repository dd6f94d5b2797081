#!/usr/bin/env bash
# npm run vagrant:down: `vagrant destroy -f`, then any LXC container of ours that Vagrant lost
# track of (a crashed run), the bridges and the nft table that up made, and the lab's shared
# folder (.lab: the manager's SSH key and registry CA for the nodes). Nothing else. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/settings.sh"
source "$here/machines.sh"
[ "$(id -u)" = 0 ] || { echo "vagrant:down: must run as root (LXC, bridges, nft)" >&2; exit 2; }

# Every node Vagrant may know of, whatever CMX_NODES is now.
known=$(find "$VAGRANT_DIR/.vagrant/machines" -maxdepth 1 -name 'node*' 2>/dev/null | sed 's/.*node//' | sort -n | tail -n1 || true)
made=$(our_containers | sed -n 's/.*-node//p' | sort -n | tail -n1)
nodes=$(printf '%s\n' "$CMX_NODES" "${known:-0}" "${made:-0}" | sort -n | tail -n1)
if command -v vagrant >/dev/null && [ -d "$VAGRANT_DIR/.vagrant/machines" ]; then
  vlog "vagrant destroy -f"
  (cd "$VAGRANT_DIR" && CMX_NODES=$nodes vagrant destroy -f) || vlog "vagrant destroy failed; removing the containers directly"
fi
for c in $(our_containers); do
  vlog "removing LXC container $c"
  lxc-stop -k -n "$c" >/dev/null 2>&1 || true
  lxc-destroy -n "$c" >/dev/null
done
rm -rf "$VAGRANT_DIR/.vagrant/machines"
"$here/net.sh" down
rm -rf "$VAGRANT_DIR/../.lab"
vlog "down"
