#!/usr/bin/env bash
# npm run vagrant:up: the VM lab on LXC machines (manager + CMX_NODES nodes, default 2). Installs
# the Debian packages it needs, builds the box when missing or stale, copies the host's Node.js
# for the manager, creates the bridges and the NAT table, then
# `vagrant up --provider=lxc --no-parallel` (the manager first: it serves the nodes' DHCP).
# Idempotent: a lab that is up and fully provisioned is left alone; anything else (a crashed or
# interrupted run, another node count) is taken down first and made again.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/settings.sh"
source "$here/machines.sh"
[ "$(id -u)" = 0 ] || { echo "vagrant:up: must run as root (LXC, bridges, nft)" >&2; exit 2; }
[[ "$CMX_NODES" =~ ^[1-9][0-9]?$ ]] || { echo "vagrant:up: CMX_NODES must be 1-99, got '$CMX_NODES'" >&2; exit 2; }
start=$(date +%s)

"$here/../install-packages.sh" "$here/../vagrant-packages.txt"

box=$("$here/build-box.sh")
export CMX_LXC_BOX=${CMX_LXC_BOX:-cloudmatrix/bookworm-lxc}
added=${VAGRANT_HOME:-$HOME/.vagrant.d}/boxes/${CMX_LXC_BOX//\//-VAGRANTSLASH-}/0/lxc/metadata.json
if ! tar -xOf "$box" metadata.json | cmp -s - "$added"; then
  vlog "adding the box $CMX_LXC_BOX ($box)"
  (cd "$VAGRANT_DIR" && vagrant box add --force --name "$CMX_LXC_BOX" "$box" >/dev/null)
fi

# Bookworm's nodejs is 18; cloudmatrix wants the Node.js it runs on here (20+).
export CMX_VAGRANT_NODE_DIR=$CMX_VAGRANT_CACHE/node
node_bin=$(node -p process.execPath)
mkdir -p "$CMX_VAGRANT_NODE_DIR"
cmp -s "$node_bin" "$CMX_VAGRANT_NODE_DIR/node" || install -m 755 "$node_bin" "$CMX_VAGRANT_NODE_DIR/node"

if lab_ready; then
  vlog "already up: manager and $CMX_NODES node(s) provisioned"
  exit 0
fi
if [ -n "$(our_containers)" ] || compgen -G "$VAGRANT_DIR/.vagrant/machines/*/lxc/id" >/dev/null; then
  vlog "leftovers of an earlier run: taking them down first"
  "$here/down.sh"
fi
"$here/net.sh" up
vlog "vagrant up --provider=lxc --no-parallel (manager + $CMX_NODES node(s))"
(cd "$VAGRANT_DIR" && vagrant up --provider=lxc --no-parallel)
lab_ready || { echo "vagrant:up: vagrant up ended but the lab is not fully provisioned" >&2; exit 1; }
vlog "up in $(($(date +%s) - start)) s: manager $CMX_PREFIX.1 (Varnish :6081 from this host), nodes by DHCP on $CMX_VAGRANT_BRIDGE; cd vagrant && vagrant ssh manager"
