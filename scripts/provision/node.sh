#!/usr/bin/env bash
# Provisions a cloudmatrix node VM (Vagrant): address from the manager's dnsmasq (sending its
# hostname, so the leases file names it), Docker trusting the manager's registry CA, sshd accepting
# the manager's key. Publishes its host key to the shared known_hosts. Idempotent.
set -euo pipefail
SRC=${CMX_SRC:-/cloudmatrix}
PREFIX=${CMX_PREFIX:-10.77.0}
IFACE=${CMX_IFACE:-eth1}
NAME=${CMX_NODE:?CMX_NODE (the node name) is required}
SHARED=$SRC/.lab
MANAGER_IP=$PREFIX.1

apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io openssh-server udhcpc iproute2 busybox-static

mkdir -p /etc/cloudmatrix
install -m 755 "$SRC/scripts/node/udhcpc.script" /etc/cloudmatrix/udhcpc.script
cat >/etc/systemd/system/cloudmatrix-dhcp.service <<UNIT
[Unit]
Description=cloudmatrix node address from the manager's DHCP
After=network.target
[Service]
ExecStart=/usr/sbin/udhcpc -f -i $IFACE -x hostname:$NAME -s /etc/cloudmatrix/udhcpc.script -t 30 -T 2
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now cloudmatrix-dhcp
for _ in $(seq 1 60); do
  ip=$(ip -4 -o addr show dev "$IFACE" | awk '{print $4}' | cut -d/ -f1)
  [ -n "$ip" ] && break
  sleep 1
done
[ -n "$ip" ] || { echo "$NAME: no address from the manager's DHCP on $IFACE" >&2; exit 1; }

# TLS checked against the manager's CA; no credentials here: cloudmatrix sends them with each pull.
mkdir -p "/etc/docker/certs.d/$MANAGER_IP:5000" /root/.ssh
install -m 644 "$SHARED/registry-ca.crt" "/etc/docker/certs.d/$MANAGER_IP:5000/ca.crt"
echo '{}' >/etc/docker/daemon.json
systemctl restart docker

install -m 600 "$SHARED/ssh/id_ed25519.pub" /root/.ssh/authorized_keys
sed -i 's/^#\?AllowStreamLocalForwarding.*/AllowStreamLocalForwarding yes/' /etc/ssh/sshd_config
grep -q '^AllowStreamLocalForwarding' /etc/ssh/sshd_config || echo 'AllowStreamLocalForwarding yes' >>/etc/ssh/sshd_config
systemctl restart ssh

# Record this node's host key for the manager (replacing an older entry of the same name).
key=$(cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)
touch "$SHARED/ssh/known_hosts"
grep -v "^$NAME," "$SHARED/ssh/known_hosts" >"$SHARED/ssh/known_hosts.tmp" || true
echo "$NAME,$ip $key" >>"$SHARED/ssh/known_hosts.tmp"
mv "$SHARED/ssh/known_hosts.tmp" "$SHARED/ssh/known_hosts"
echo "$NAME ready at $ip"
