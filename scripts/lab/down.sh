#!/usr/bin/env bash
# Removes every process, namespace, veth, bridge and mount the lab made, and nothing else.
# Works without a manifest too, so leftovers of a crashed run are found by their names.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ "$(id -u)" = 0 ] || die "must run as root" 2
lab_lock

lab_pids() { pgrep -f -- "$LAB/" || true; }
cgroup_dirs() { find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d -name "$BRIDGE-*" 2>/dev/null || true; }

# 1. Docker daemons first, gracefully: they stop their containers on the way out.
dockerd_pids=$(pgrep -f -- "dockerd .*$LAB/" || true)
if [ -n "$dockerd_pids" ]; then
  kill -TERM $dockerd_pids 2>/dev/null || true
  for _ in $(seq 1 150); do
    alive=""
    for p in $dockerd_pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
fi

# 2. Every other lab process (dnsmasq, registry, varnishd, sshd, udhcpc, containerd, shims).
pids=$(lab_pids)
if [ -n "$pids" ]; then
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 30); do [ -z "$(lab_pids)" ] && break; sleep 0.1; done
  pids=$(lab_pids)
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  # A process killed in the middle of disk I/O lingers; the next start must not meet it.
  for _ in $(seq 1 100); do [ -z "$(lab_pids)" ] && break; sleep 0.1; done
fi
# pebble's resolver names no lab path: found by its pid file, or (after a crash) by its address.
[ -f "$LAB/acme-dns.pid" ] && kill -TERM "$(cat "$LAB/acme-dns.pid")" 2>/dev/null || true
pkill -TERM -f -- "^pebble-challtestsrv .*-dns01 $ACME_DNS" 2>/dev/null || true
# Varnish's child runs as the varnish user under the same workdir name.
pkill -KILL -f -- "-n $LAB/varnish" 2>/dev/null || true

# 3. Container processes left by a crash live in the lab's cgroups.
for dir in $(cgroup_dirs); do
  find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
done
sleep 0.1
for dir in $(cgroup_dirs); do
  find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
done

# 4. Mounts under the lab dir (overlay layers, netns bind mounts), deepest first.
awk -v lab="$LAB/" 'index($2, lab) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
done

# 5. Network: namespaces, veths, bridge (only the ones named after this lab's bridge).
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$BRIDGE-node[0-9]+$" || true); do
  ip netns del "$ns" 2>/dev/null || true
done
for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^$BRIDGE-v[0-9]+$" || true); do
  ip link del "$link" 2>/dev/null || true
done
ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
if command -v nft >/dev/null && nft list table inet "$NFT_TABLE" >/dev/null 2>&1; then
  nft delete table inet "$NFT_TABLE"
fi

# The sysctl lab up set for hitch's reloads, back to what it was.
if [ -s "$LAB/tcp_migrate_req.orig" ]; then
  sysctl -qw "net.ipv4.tcp_migrate_req=$(cat "$LAB/tcp_migrate_req.orig")" 2>/dev/null || true
  rm -f "$LAB/tcp_migrate_req.orig"
fi
# The git account's sudo rule goes with the lab's sshd (the account itself stays, as made).
rm -f "$GIT_SUDOERS"
rm -f "$LAB"/*.pid "$LAB"/*/*.pid "$LAB"/*/docker.sock "$LAB/lab.json" 2>/dev/null || true
# dockerd reuses "its" containerd when exec/containerd/containerd.pid names a live process: after
# a crash that pid may belong to anything by now (pid_max is 32768 here), and dockerd then waits
# 60 s for a containerd that is not there and gives up ("timeout waiting for containerd to start").
rm -f "$LAB"/*/exec/containerd/containerd.pid 2>/dev/null || true
exit 0
