#!/usr/bin/env bash
# Provisions a cloudmatrix manager VM (Vagrant): registry (read-only face with TLS and pull
# credentials on the lab network, read-write face on loopback), dnsmasq DHCP, Varnish, hitch and
# pebble (HTTPS with ACME certificates), Docker, an
# nft table filtering what the nodes may reach, and the cloudmatrix config. The project is synced
# at /cloudmatrix. Idempotent.
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

TLS=$STATE/registry-tls AUTH=$STATE/registry-auth PUSH=127.0.0.1:5001 NFT_TABLE=cloudmatrix_lab_$IFACE
make_registry_ca "$TLS"
make_registry_cert "$TLS" "$MANAGER_IP"
make_registry_user "$AUTH" pull
make_registry_user "$AUTH" push
cp "$TLS/ca.crt" "$SHARED/registry-ca.crt"
# Debian's registry runs as docker-registry: it reads its key and htpasswd files (still 0600).
chown docker-registry "$TLS/registry.key" "$AUTH/pull.htpasswd" "$AUTH/push.htpasswd"
write_registry_config /etc/docker/registry/config.yml "$MANAGER_IP:5000" /var/lib/docker-registry true \
  "$AUTH/pull.htpasswd" "$TLS/registry.crt" "$TLS/registry.key"
write_registry_config /etc/cloudmatrix/registry-push.yml "$PUSH" /var/lib/docker-registry false "$AUTH/push.htpasswd"
cat >/etc/systemd/system/cloudmatrix-registry-push.service <<UNIT
[Unit]
Description=cloudmatrix registry, read-write face (loopback only)
After=network.target
[Service]
User=docker-registry
ExecStart=/usr/bin/docker-registry serve /etc/cloudmatrix/registry-push.yml
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
creds() { sed -E 's/.*"username": "([^"]*)", "password": "([^"]*)".*/\1:\2/' "$AUTH/$1.json"; }
write_docker_auths "$STATE/docker-cli/config.json" "$MANAGER_IP:5000=$(creds pull)" "$PUSH=$(creds push)"

write_nft_rules /etc/cloudmatrix/nft.rules "$NFT_TABLE" "$IFACE" "$MANAGER_IP" 5000 6081 6443
cat >/etc/systemd/system/cloudmatrix-nft.service <<UNIT
[Unit]
Description=cloudmatrix: what the nodes may reach on the manager
Before=network-pre.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f /etc/cloudmatrix/nft.rules
ExecStop=/usr/sbin/nft delete table inet $NFT_TABLE
[Install]
WantedBy=multi-user.target
UNIT
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
echo '{}' >/etc/docker/daemon.json

[ -s /etc/varnish/secret ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >/etc/varnish/secret)
mkdir -p /etc/systemd/system/varnish.service.d
cat >/etc/systemd/system/varnish.service.d/cloudmatrix.conf <<UNIT
[Service]
ExecStart=
ExecStart=/usr/sbin/varnishd -F -a :6081 -a 127.0.0.1:6086,PROXY -p feature=+http2 -T 127.0.0.1:6082 -S /etc/varnish/secret -f /etc/varnish/default.vcl -s malloc,256m -p vcl_cooldown=30 -p 'cc_command=%%D -O0 -g0'
UNIT
[ -f /etc/varnish/default.vcl.orig ] || cp /etc/varnish/default.vcl /etc/varnish/default.vcl.orig
write_boot_vcl /etc/varnish/default.vcl

# HTTPS at the router: hitch terminates TLS on :6443 and hands each connection to Varnish's PROXY
# listener (127.0.0.1:6086); cloudmatrix writes a PEM per host into $HITCH/hosts and SIGHUPs it.
# Its workers run as _hitch; each listens with SO_REUSEPORT, and tcp_migrate_req keeps a reload
# from resetting connections still queued on the old workers' sockets.
HITCH=$STATE/hitch
mkdir -p "$HITCH/hosts" "$HITCH/ocsp"
chmod 700 "$HITCH"
chown _hitch "$HITCH/ocsp"
make_default_pem "$HITCH" "$MANAGER_IP"
write_hitch_config /etc/hitch/cloudmatrix.conf 127.0.0.1:6086 "$HITCH/hosts" "$HITCH/default.pem" "h2, http/1.1" 0.0.0.0:6443
hitch --test --config /etc/hitch/cloudmatrix.conf >/dev/null
mkdir -p /etc/systemd/system/hitch.service.d
cat >/etc/systemd/system/hitch.service.d/cloudmatrix.conf <<UNIT
[Unit]
ConditionPathExists=
[Service]
ExecStart=
ExecStart=/usr/sbin/hitch --config /etc/hitch/cloudmatrix.conf --pidfile /run/hitch-cloudmatrix.pid
PIDFile=/run/hitch-cloudmatrix.pid
UNIT
echo 'net.ipv4.tcp_migrate_req = 1' >/etc/sysctl.d/60-cloudmatrix-hitch.conf
sysctl -q -p /etc/sysctl.d/60-cloudmatrix-hitch.conf || echo "warning: no net.ipv4.tcp_migrate_req (Linux < 5.14): a hitch reload may reset connections not yet accepted" >&2

# The VM lab's ACME server: pebble, validating HTTP-01 through Varnish (:6081), with every name
# resolved to the manager by pebble-challtestsrv; never PEBBLE_VA_ALWAYS_VALID. pebble makes a new
# root at each start: it is written to $STATE/acme-root.pem below (curl --cacert).
make_server_cert "$TLS" "$STATE/pebble" "IP:127.0.0.1,DNS:localhost"
write_pebble_config /etc/cloudmatrix/pebble.json 127.0.0.1:14000 127.0.0.1:15000 "$STATE/pebble.crt" "$STATE/pebble.key" 6081 6443
cat >/etc/systemd/system/cloudmatrix-acme-dns.service <<UNIT
[Unit]
Description=cloudmatrix lab: DNS for pebble, every name is the manager
After=network.target
[Service]
ExecStart=/usr/bin/pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 127.0.0.1:8053 -http01 "" -https01 "" -tlsalpn01 "" -management 127.0.0.1:8055
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
cat >/etc/systemd/system/cloudmatrix-pebble.service <<UNIT
[Unit]
Description=cloudmatrix lab: pebble, the ACME server
After=network.target cloudmatrix-acme-dns.service varnish.service
[Service]
Environment=PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
ExecStart=/usr/bin/pebble -config /etc/cloudmatrix/pebble.json -dnsserver 127.0.0.1:8053
Restart=always
[Install]
WantedBy=multi-user.target
UNIT

(umask 077; [ -s "$STATE/api.token" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE/api.token")
# The secret store's key (AES-256, base64 of 32 bytes, 0600); cloudmatrix makes it on first use too.
(umask 077; [ -s "$STATE/secrets.key" ] || head -c 32 /dev/urandom | base64 >"$STATE/secrets.key")
CFG_STATE_DIR=$STATE CFG_REGISTRY=$MANAGER_IP:5000 CFG_LEASES=$STATE/dnsmasq.leases \
CFG_SSH_KEY=$STATE/id_ed25519 CFG_KNOWN_HOSTS=$SHARED/ssh/known_hosts CFG_DOCKER_SOCKET=/var/run/docker.sock \
CFG_VARNISH_ADMIN=127.0.0.1:6082 CFG_VARNISH_SECRET=/etc/varnish/secret CFG_VARNISH_LISTEN=0.0.0.0:6081 \
CFG_VARNISH_NAME= CFG_LOCAL_DOCKER=/var/run/docker.sock CFG_API_TOKEN=$STATE/api.token \
CFG_REGISTRY_PUSH=$PUSH CFG_REGISTRY_CA=$TLS/ca.crt \
CFG_REGISTRY_PULL_CREDS=$AUTH/pull.json CFG_REGISTRY_PUSH_CREDS=$AUTH/push.json \
CFG_TLS_JSON="{\"listen\": \"0.0.0.0:6443\", \"hostsDir\": \"$HITCH/hosts\", \"hitchPidFile\": \"/run/hitch-cloudmatrix.pid\"}" \
CFG_ACME_JSON="{\"directory\": \"https://127.0.0.1:14000/dir\", \"email\": \"ops@cloudmatrix.test\", \"caBundle\": \"$TLS/ca.crt\", \"rootFile\": \"$STATE/acme-root.pem\", \"responder\": \"127.0.0.1:8702\"}" \
CFG_REGISTRY_GC_JSON="{\"configFile\": \"/etc/cloudmatrix/registry-push.yml\", \"readOnly\": [\"$SRC/scripts/provision/registry-mode-vm.sh\", \"ro\"], \"readWrite\": [\"$SRC/scripts/provision/registry-mode-vm.sh\", \"rw\"]}" \
  write_cloudmatrix_config "$STATE/config.json"

# git push over SSH: an sshd of its own on :2222 for the git account alone, whose authorized_keys
# cloudmatrix writes from the users' keys (each forcing `cloudmatrix git shell USER`, which runs as
# root through the sudo rule below and nothing else). Workstations: git@MANAGER:2222 (Vagrant: 2223).
GIT_SSH=/etc/cloudmatrix/git-ssh
CMX_NODE=$(readlink -f "$(command -v node)")
ensure_git_account git "$STATE/git-ssh"
mkdir -p "$GIT_SSH"
[ -f "$GIT_SSH/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C cloudmatrix-git -f "$GIT_SSH/ssh_host_ed25519_key"
[ -f "$STATE/git-ssh/authorized_keys" ] || printf '# Written by cloudmatrix: no user has a key yet\n' >"$STATE/git-ssh/authorized_keys"
write_git_wrapper /usr/local/lib/cloudmatrix/git-bin/cloudmatrix "$CMX_NODE" "$SRC/bin/cloudmatrix.js" "$STATE/config.json"
write_git_sudoers /etc/sudoers.d/cloudmatrix-git git "$CMX_NODE" "$SRC/bin/cloudmatrix.js"
write_git_sshd_config "$GIT_SSH/sshd_config" 0.0.0.0 2222 "$GIT_SSH/ssh_host_ed25519_key" "$STATE/git-ssh/authorized_keys" \
  /run/cloudmatrix-git-sshd.pid git /usr/local/lib/cloudmatrix/git-bin:/usr/local/bin:/usr/bin:/bin
mkdir -p /run/sshd
/usr/sbin/sshd -t -f "$GIT_SSH/sshd_config"
echo "[$MANAGER_IP]:2222 $(cut -d' ' -f1,2 "$GIT_SSH/ssh_host_ed25519_key.pub")" | tee "$STATE/git_known_hosts" >"$SHARED/git_known_hosts"
cat >/etc/systemd/system/cloudmatrix-git-sshd.service <<UNIT
[Unit]
Description=cloudmatrix: git push over SSH (the git account only)
After=network.target
[Service]
ExecStartPre=/usr/bin/mkdir -p /run/sshd
ExecStart=/usr/sbin/sshd -D -f $GIT_SSH/sshd_config
Restart=always
[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable --now cloudmatrix-nft cloudmatrix-dnsmasq docker-registry cloudmatrix-registry-push docker hitch cloudmatrix-acme-dns cloudmatrix-pebble cloudmatrix-git-sshd
systemctl restart cloudmatrix-nft cloudmatrix-dnsmasq docker-registry cloudmatrix-registry-push docker varnish hitch cloudmatrix-acme-dns cloudmatrix-pebble cloudmatrix-git-sshd
acme_root() { curl -fsS --max-time 2 --cacert "$TLS/ca.crt" https://127.0.0.1:15000/roots/0 -o "$STATE/acme-root.pem.tmp"; }
for _ in $(seq 1 100); do acme_root && break; sleep 0.2; done
mv "$STATE/acme-root.pem.tmp" "$STATE/acme-root.pem"
ln -sf "$SRC/bin/cloudmatrix.js" /usr/local/bin/cloudmatrix
(cd "$SRC" && [ -d node_modules ] || npm ci --no-audit --no-fund)
echo "manager ready: registry https://$MANAGER_IP:5000 (read-only) and $PUSH, varnish :6081, hitch :6443, pebble https://127.0.0.1:14000/dir, DHCP on $IFACE, nft table inet $NFT_TABLE"
