#!/usr/bin/env bash
# The host side of the VM lab's networks on LXC:
#   net.sh up     the lab bridge (the host at CMX_VAGRANT_HOST_IP, to reach the manager), the NAT
#                 bridge (the host at .1, the machines' gateway for apt) and an nft table of ours
#                 that masquerades the NAT bridge's traffic and clamps TCP MSS to the route's MTU;
#   net.sh down   removes exactly those (and only when they exist).
# Idempotent. Called by up.sh/down.sh and by the Vagrantfile's trigger before `vagrant up`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/settings.sh"
# What up made, so that down removes that and nothing else (a bridge that was there before stays).
MADE=$CMX_VAGRANT_CACHE/made
FORWARD_MARK=$MADE/ip_forward-was-0

bridge_up() { # NAME ADDRESS/24
  if ! ip link show "$1" >/dev/null 2>&1; then
    mkdir -p "$MADE" && touch "$MADE/bridge-$1"
    ip link add "$1" type bridge
  fi
  ip -4 addr show dev "$1" | grep -q " ${2%/*}/" || ip addr add "$2" dev "$1"
  ip link set "$1" up
}

case "${1:-}" in
  up)
    bridge_up "$CMX_VAGRANT_BRIDGE" "$CMX_VAGRANT_HOST_IP/24"
    bridge_up "$CMX_VAGRANT_NAT_BRIDGE" "$CMX_VAGRANT_NAT_PREFIX.1/24"
    nft -f - <<NFT
table ip $CMX_VAGRANT_NFT_TABLE
delete table ip $CMX_VAGRANT_NFT_TABLE
table ip $CMX_VAGRANT_NFT_TABLE {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr $CMX_VAGRANT_NAT_PREFIX.0/24 oifname != "$CMX_VAGRANT_NAT_BRIDGE" masquerade
  }
  chain forward {
    type filter hook forward priority mangle; policy accept;
    iifname "$CMX_VAGRANT_NAT_BRIDGE" tcp flags syn tcp option maxseg size set rt mtu
    oifname "$CMX_VAGRANT_NAT_BRIDGE" tcp flags syn tcp option maxseg size set rt mtu
  }
}
NFT
    if [ "$(sysctl -n net.ipv4.ip_forward)" = 0 ]; then
      mkdir -p "$MADE" && touch "$FORWARD_MARK"
      sysctl -q -w net.ipv4.ip_forward=1
    fi
    ;;
  down)
    nft delete table ip "$CMX_VAGRANT_NFT_TABLE" 2>/dev/null || true
    for b in "$CMX_VAGRANT_BRIDGE" "$CMX_VAGRANT_NAT_BRIDGE"; do
      [ -e "$MADE/bridge-$b" ] || continue
      ! ip link show "$b" >/dev/null 2>&1 || ip link del "$b"
      rm -f "$MADE/bridge-$b"
    done
    if [ -e "$FORWARD_MARK" ]; then sysctl -q -w net.ipv4.ip_forward=0; rm -f "$FORWARD_MARK"; fi
    ;;
  *) echo "usage: net.sh up|down" >&2; exit 2 ;;
esac
