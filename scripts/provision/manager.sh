#!/usr/bin/env bash
# Provisions a cloudmatrix manager VM (Vagrant): registry, dnsmasq DHCP, Varnish, Docker, and the
# cloudmatrix config. The project is synced at /cloudmatrix. Idempotent.
set -euo pipefail
SRC=${CMX_SRC:-/cloudmatrix}
PREFIX=${CMX_PREFIX:-10.77.0}
IFACE=${CMX_IFACE:-eth1}
STATE=/var/lib/cloudmatrix
SHARED=$SRC/.lab            # shared with the nodes through the synced folder
MANAGER_IP=$PREFIX.1
source "$SRC/scripts/provision/render-configs.sh"

apt-get update -q
"$SRC/scripts/install-packages.sh" "$SRC/scripts/packages.txt"
command -v node >/dev/null || apt-get install -y -q nodejs npm

mkdir -p "$STATE" "$SHARED/ssh" /etc/cloudmatrix
[ -f "$SHARED/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C cloudmatrix -f "$SHARED/ssh/id_ed25519"
install -m 600 "$SHARED/ssh/id_ed25519" "$STATE/id_ed25519"
touch "$SHARED/ssh/known_hosts"

write_registry_config /etc/docker/registry/config.yml "$MANAGER_IP:5000" /var/lib/docker-registry
write_dnsmasq_config /etc/cloudmatrix/dnsmasq.conf "$IFACE" "$PREFIX" "$STATE/dnsmasq.leases" \
  /run/cloudmatrix-dnsmasq.pid /var/log/cloudmatrix-dnsmasq.log
cat >/etc/systemd/system/cloudmatrix-dnsmasq.service <<UNIT
[Unit]
Description=cloudmatrix DHCP for the nodes
After=network-online.target
[Service]
ExecStart=/usr/sbin/dnsmasq -k --conf-file=/etc/cloudmatrix/dnsmasq.conf
Restart=always
[Install]
WantedBy=multi-user.target
UNIT

mkdir -p /etc/docker
printf '{"insecure-registries": ["%s:5000"]}\n' "$MANAGER_IP" >/etc/docker/daemon.json

[ -s /etc/varnish/secret ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >/etc/varnish/secret)
mkdir -p /etc/systemd/system/varnish.service.d
cat >/etc/systemd/system/varnish.service.d/cloudmatrix.conf <<UNIT
[Service]
ExecStart=
ExecStart=/usr/sbin/varnishd -F -a :6081 -T 127.0.0.1:6082 -S /etc/varnish/secret -f /etc/varnish/default.vcl -s malloc,256m -p vcl_cooldown=30 -p 'cc_command=%%D -O0 -g0'
UNIT
[ -f /etc/varnish/default.vcl.orig ] || cp /etc/varnish/default.vcl /etc/varnish/default.vcl.orig
write_boot_vcl /etc/varnish/default.vcl

(umask 077; [ -s "$STATE/api.token" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE/api.token")
CFG_STATE_DIR=$STATE CFG_REGISTRY=$MANAGER_IP:5000 CFG_LEASES=$STATE/dnsmasq.leases \
CFG_SSH_KEY=$STATE/id_ed25519 CFG_KNOWN_HOSTS=$SHARED/ssh/known_hosts CFG_DOCKER_SOCKET=/var/run/docker.sock \
CFG_VARNISH_ADMIN=127.0.0.1:6082 CFG_VARNISH_SECRET=/etc/varnish/secret CFG_VARNISH_LISTEN=0.0.0.0:6081 \
CFG_VARNISH_NAME= CFG_LOCAL_DOCKER=/var/run/docker.sock CFG_API_TOKEN=$STATE/api.token \
  write_cloudmatrix_config "$STATE/config.json"

systemctl daemon-reload
systemctl enable --now cloudmatrix-dnsmasq docker-registry docker
systemctl restart cloudmatrix-dnsmasq docker-registry docker varnish
ln -sf "$SRC/bin/cloudmatrix.js" /usr/local/bin/cloudmatrix
(cd "$SRC" && [ -d node_modules ] || npm ci --no-audit --no-fund)
echo "manager ready: registry $MANAGER_IP:5000, varnish :6081, DHCP on $IFACE"
