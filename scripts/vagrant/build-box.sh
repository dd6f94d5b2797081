#!/usr/bin/env bash
# Builds the Vagrant box of the VM lab for the lxc provider, from Debian packages only
# (debootstrap from Debian's mirror), and prints its path. The box is cached under
# $CMX_VAGRANT_CACHE (default /var/cache/cloudmatrix/vagrant) with this script's hash in its name,
# so that a change here builds a new one. Runs as root.
#
# What a Vagrant box for vagrant-lxc needs, and why each piece is there:
# - a `vagrant` user with Vagrant's insecure key and passwordless sudo (Vagrant swaps the key at
#   the first `up`); SSH host keys made at each container's first boot, not shared by all;
# - systemd-networkd enabled (Vagrant's Debian hostname step restarts it; without it Vagrant
#   restarts ifup@eth0, which hangs 90 s in a container without udev) and
#   systemd-networkd-wait-online masked (no link is managed by networkd: LXC sets the addresses);
# - an empty /etc/machine-id, made at first boot, so that containers differ;
# - metadata.json, rootfs.tar.gz (numeric owners; the plugin strips 2 path components) and
#   lxc-config: privileged and nested (Docker runs inside), no AppArmor, all devices, no dropped
#   capabilities, /proc, /sys and the cgroups writable.
set -euo pipefail
CACHE=${CMX_VAGRANT_CACHE:-/var/cache/cloudmatrix/vagrant}
MIRROR=${CMX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
PACKAGES=systemd-sysv,dbus,openssh-server,sudo,iproute2,procps,ca-certificates,less
INSECURE_KEY=${CMX_VAGRANT_INSECURE_KEY:-$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | head -n1)}

[ "$(id -u)" = 0 ] || { echo "build-box: must run as root (debootstrap)" >&2; exit 2; }
[ -s "$INSECURE_KEY" ] || { echo "build-box: Vagrant's insecure public key not found (apt-get install vagrant, or set CMX_VAGRANT_INSECURE_KEY)" >&2; exit 1; }
hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
box=$CACHE/cloudmatrix-$SUITE-lxc-$hash.box
if [ -s "$box" ]; then echo "$box"; exit 0; fi

mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/build.XXXXXX")
# The rootfs is built in memory: unpacking is faster, and removing it is one umount (rm -rf of
# the tree on this kind of disk took 25 s).
mount -t tmpfs -o size=2g,mode=0755 cmx-box-build "$work"
cleanup() {
  # debootstrap may leave /proc and /sys mounted in the rootfs when it fails.
  for m in proc sys dev/pts dev; do umount -l "$work/rootfs/$m" 2>/dev/null || true; done
  umount -l "$work" 2>/dev/null || true
  rmdir "$work"
}
trap cleanup EXIT
log() { printf '%s build-box: %s\n' "$(date +%T)" "$*" >&2; }

log "debootstrap $SUITE (minbase + $PACKAGES) from $MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; echo "build-box: debootstrap failed" >&2; exit 1; }

root=$work/rootfs
cat >"$root/etc/apt/sources.list" <<LIST
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb ${CMX_DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security} $SUITE-security main
LIST
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*

chroot "$root" useradd --create-home --shell /bin/bash vagrant
install -d -m 700 -o 1000 -g 1000 "$root/home/vagrant/.ssh"
install -m 600 -o 1000 -g 1000 "$INSECURE_KEY" "$root/home/vagrant/.ssh/authorized_keys"
[ "$(chroot "$root" id -u vagrant)" = 1000 ] || { echo "build-box: vagrant is not uid 1000" >&2; exit 1; }
printf 'Defaults:vagrant !requiretty\nvagrant ALL=(ALL) NOPASSWD: ALL\n' >"$root/etc/sudoers.d/vagrant"
chmod 440 "$root/etc/sudoers.d/vagrant"

rm -f "$root"/etc/ssh/ssh_host_*
mkdir -p "$root/etc/systemd/system/ssh.service.d"
# Before Debian's own `sshd -t`, which fails without host keys.
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
  >"$root/etc/systemd/system/ssh.service.d/host-keys.conf"
echo 'UseDNS no' >"$root/etc/ssh/sshd_config.d/vagrant.conf"

chroot "$root" systemctl enable systemd-networkd ssh >/dev/null 2>&1
chroot "$root" systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
printf 'lxc-box\n' >"$root/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# ifupdown is not installed; were it ever, it must not touch eth0/eth1 (LXC addresses them).
mkdir -p "$root/etc/network"
printf 'auto lo\niface lo inet loopback\n' >"$root/etc/network/interfaces"

cat >"$work/lxc-config" <<'CONF'
lxc.include = /usr/share/lxc/config/debian.common.conf
lxc.arch = amd64
lxc.apparmor.profile = unconfined
lxc.apparmor.allow_nesting = 1
lxc.cgroup.devices.allow = a
lxc.cgroup2.devices.allow = a
lxc.cap.drop =
lxc.mount.auto =
lxc.mount.auto = proc:rw sys:rw cgroup:rw
CONF
printf '{"provider": "lxc", "version": "1.0.0", "built-on": "%s"}\n' "$(date -u +%FT%TZ)" >"$work/metadata.json"

log "packing the rootfs"
tar --numeric-owner -C "$work" -czf "$work/rootfs.tar.gz" ./rootfs
tar -C "$work" -cf "$box.tmp" metadata.json lxc-config rootfs.tar.gz
mv "$box.tmp" "$box"
# Older boxes of this script are stale once a new one exists.
find "$CACHE" -maxdepth 1 -name "cloudmatrix-$SUITE-lxc-*.box" ! -name "${box##*/}" -delete
log "built $box ($(du -h "$box" | cut -f1))"
echo "$box"
