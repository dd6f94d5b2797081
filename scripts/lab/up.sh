#!/usr/bin/env bash
# Brings up the namespace lab: bridge + dnsmasq + registry + manager dockerd + Varnish on the
# manager side, and N nodes (netns + veth + udhcpc + sshd + dockerd). Cleans leftovers first.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$SCRIPTS_DIR/provision/render-configs.sh"

[ "$(id -u)" = 0 ] || die "must run as root" 2
lab_lock
"$SCRIPTS_DIR/install-packages.sh"

# A failed start leaves nothing half-made: take down whatever was started (logs stay).
completed=0
on_exit() { [ "$completed" = 1 ] || { log "start failed, cleaning up"; "$SCRIPTS_DIR/lab/down.sh" || true; }; }
trap on_exit EXIT

log "cleaning leftovers"
"$SCRIPTS_DIR/lab/down.sh"

mkdir -p "$LAB/ssh" "$LAB/manager" "$CMX_STATE_DIR/registry" /run/sshd /etc/docker
chmod 700 "$LAB/ssh"
[ -f "$LAB/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C cloudmatrix-lab -f "$LAB/ssh/id_ed25519"
cp "$LAB/ssh/id_ed25519.pub" "$LAB/ssh/authorized_keys"
if [ ! -s "$LAB/varnish.secret" ]; then
  (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LAB/varnish.secret")
fi
if [ ! -s "$LAB/api.token" ]; then
  (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LAB/api.token")
fi

make_registry_ca "$REGISTRY_TLS"
make_registry_cert "$REGISTRY_TLS" "$MANAGER_IP"
make_registry_user "$REGISTRY_AUTH" pull
make_registry_user "$REGISTRY_AUTH" push
creds() { sed -E 's/.*"username": "([^"]*)", "password": "([^"]*)".*/\1:\2/' "$REGISTRY_AUTH/$1.json"; }
# For an operator's docker CLI on the manager (DOCKER_CONFIG=$LAB/docker-cli): our own commands
# pass the credentials with each Engine API call instead.
write_docker_auths "$LAB/docker-cli/config.json" "$REGISTRY=$(creds pull)" "$REGISTRY_PUSH=$(creds push)"

log "bridge $BRIDGE $MANAGER_IP/24, filtered by nft table inet $NFT_TABLE"
ip link add "$BRIDGE" type bridge
write_nft_rules "$LAB/nft.rules" "$NFT_TABLE" "$BRIDGE" "$MANAGER_IP" "${REGISTRY##*:}" "$VARNISH_LISTEN_PORT" "$TLS_PORT"
nft -f "$LAB/nft.rules"
ip addr add "$MANAGER_IP/24" dev "$BRIDGE"
ip link set "$BRIDGE" up

# Each daemon its own engine key, so that every node reports its own daemon ID.
daemon_json() { printf '{"deprecated-key-path": "%s/key.json"}\n' "$1" >"$1/daemon.json"; echo "$1/daemon.json"; }
# Each daemon its own /etc/docker, trusting the registry's CA (no --insecure-registry anywhere).
etc_docker() {
  rm -rf "$1/etc-docker" && mkdir -p "$1/etc-docker/certs.d/$REGISTRY"
  cp "$REGISTRY_TLS/ca.crt" "$1/etc-docker/certs.d/$REGISTRY/ca.crt"
  echo "$1/etc-docker"
}

log "manager: dnsmasq, registry $REGISTRY (read-only) and $REGISTRY_PUSH, dockerd, varnish"
write_dnsmasq_config "$LAB/dnsmasq.conf" "$BRIDGE" "$NET_PREFIX" "$LAB/dnsmasq.leases" "$LAB/dnsmasq.pid" "$LAB/dnsmasq.log"
# Every node is made anew: leases of an earlier, larger lab would name nodes that are gone.
: >"$LAB/dnsmasq.leases"
dnsmasq --conf-file="$LAB/dnsmasq.conf" 9>&-

write_registry_config "$LAB/registry.yml" "$REGISTRY" "$CMX_STATE_DIR/registry" true \
  "$REGISTRY_AUTH/pull.htpasswd" "$REGISTRY_TLS/registry.crt" "$REGISTRY_TLS/registry.key"
spawn "$LAB/registry.log" docker-registry serve "$LAB/registry.yml" >"$LAB/registry.pid"
write_registry_config "$LAB/registry-push.yml" "$REGISTRY_PUSH" "$CMX_STATE_DIR/registry" false "$REGISTRY_AUTH/push.htpasswd"
spawn "$LAB/registry-push.log" docker-registry serve "$LAB/registry-push.yml" >"$LAB/registry-push.pid"

spawn "$LAB/manager/dockerd.log" dockerd \
  --data-root "$LAB/manager/docker" --exec-root "$LAB/manager/exec" \
  --pidfile "$LAB/manager/docker.pid" -H "unix://$LAB/manager/docker.sock" \
  --bridge none --iptables=false --ip-masq=false \
  --cgroup-parent "$BRIDGE-manager" --config-file "$(daemon_json "$LAB/manager")" --log-level warn >/dev/null

write_boot_vcl "$LAB/boot.vcl"
# %D (the compiler varnishd was built with) exists from Varnish 7.1; before, an explicit gcc line
# keeps -O0 -g0. HTTP/2 exists from 5.0.
VARNISH_HTTP2=(-p feature=+http2) HITCH_ALPN="h2, http/1.1"
VARNISH_VERSION=$("$VARNISHD" -V 2>&1 | grep -o 'varnish-[0-9][0-9.]*' | head -1)
case "$VARNISH_VERSION" in
  varnish-[4-6].*|varnish-7.0|varnish-7.0.*) VARNISH_CC='exec gcc -std=gnu99 -O0 -g0 -fpic -shared -Wl,-x -o %o %s' ;;&
  varnish-4.*) VARNISH_HTTP2=() HITCH_ALPN="http/1.1" ;;
  varnish-*) ;;
  *) die "$VARNISHD -V names no Varnish version" ;;
esac
log "manager: varnishd $VARNISH_VERSION ($VARNISHD)"
"$VARNISHD" -n "$LAB/varnish" -P "$LAB/varnish.pid" \
  -a "127.0.0.1:$VARNISH_LISTEN_PORT" -a "$MANAGER_IP:$VARNISH_LISTEN_PORT" \
  -a "$VARNISH_PROXY,PROXY" "${VARNISH_HTTP2[@]}" \
  -T "$VARNISH_ADMIN" -S "$LAB/varnish.secret" -f "$LAB/boot.vcl" \
  -s malloc,64m -p vcl_cooldown=30 -p "cc_command=$VARNISH_CC" >"$LAB/varnish.log" 2>&1 9>&-

log "manager: hitch on 127.0.0.1:$TLS_PORT and $MANAGER_IP:$TLS_PORT, pebble on $ACME_LISTEN"
mkdir -p "$TLS_DIR/hosts" "$TLS_DIR/ocsp" "$ACME_DIR"
chmod 700 "$TLS_DIR"
make_default_pem "$TLS_DIR" "$MANAGER_IP"
write_hitch_config "$LAB/hitch.conf" "$VARNISH_PROXY" "$TLS_DIR/hosts" "$TLS_DIR/default.pem" "$HITCH_ALPN" \
  "127.0.0.1:$TLS_PORT" "$MANAGER_IP:$TLS_PORT"
hitch --test --config "$LAB/hitch.conf" >"$LAB/hitch.log" 2>&1 9>&- || die "hitch: bad configuration (see $LAB/hitch.log)"
# Each hitch worker listens on its own SO_REUSEPORT socket; a reload (SIGHUP) closes the old
# workers' sockets, and connections still in their accept queues were reset (2 of 211 in a test).
# tcp_migrate_req (Linux 5.14+) hands them to another listener of the group instead.
[ -f "$LAB/tcp_migrate_req.orig" ] || sysctl -n net.ipv4.tcp_migrate_req >"$LAB/tcp_migrate_req.orig" 2>/dev/null || true
sysctl -qw net.ipv4.tcp_migrate_req=1 2>/dev/null ||
  log "warning: no net.ipv4.tcp_migrate_req (Linux < 5.14): a hitch reload may reset connections not yet accepted"
spawn "$LAB/hitch.log" hitch --config "$LAB/hitch.conf" --pidfile "$LAB/hitch.pid" >/dev/null
make_server_cert "$REGISTRY_TLS" "$ACME_DIR/server" "IP:127.0.0.1,DNS:localhost"
write_pebble_config "$ACME_DIR/pebble.json" "$ACME_LISTEN" "$ACME_MANAGEMENT" "$ACME_DIR/server.crt" "$ACME_DIR/server.key" \
  "$VARNISH_LISTEN_PORT" "$TLS_PORT"
# pebble resolves every name to the manager: HTTP-01 validation goes through Varnish. It really
# validates every order (no PEBBLE_VA_ALWAYS_VALID; PEBBLE_AUTHZREUSE=0: no authorization reused).
spawn "$LAB/acme-dns.log" pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "$ACME_DNS" \
  -http01 "" -https01 "" -tlsalpn01 "" -management 127.0.0.1:8055 >"$LAB/acme-dns.pid"
spawn "$LAB/pebble.log" env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
  pebble -config "$ACME_DIR/pebble.json" -dnsserver "$ACME_DNS" >"$LAB/pebble.pid"

log "nodes: 1..$NODES"
for k in $(seq 1 "$NODES"); do
  ns=$(node_ns "$k"); veth=$(node_veth "$k"); dir=$(node_dir "$k")
  mkdir -p "$dir"
  ip netns add "$ns"
  ip link add "$veth" type veth peer name eth0 netns "$ns"
  ip link set "$veth" master "$BRIDGE" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 address "$(node_mac "$k")" up
  [ -f "$dir/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "node$k" -f "$dir/ssh_host_ed25519_key"
  ip netns exec "$ns" setsid udhcpc -f -i eth0 -x "hostname:node$k" -s "$SCRIPTS_DIR/node/udhcpc.script" \
    -p "$dir/udhcpc.pid" -t 30 -T 1 -A 1 </dev/null >"$dir/udhcpc.log" 2>&1 9>&- &
done

node_ip() { ip -n "$(node_ns "$1")" -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }
has_ip() { [ -n "$(node_ip "$1")" ]; }
for k in $(seq 1 "$NODES"); do
  wait_for 30 has_ip "$k" || die "node$k got no DHCP lease (see $(node_dir "$k")/udhcpc.log, $LAB/dnsmasq.log)"
done

: >"$LAB/ssh/known_hosts"
for k in $(seq 1 "$NODES"); do
  ns=$(node_ns "$k"); dir=$(node_dir "$k"); ip=$(node_ip "$k")
  echo "$ip" >"$dir/ip"
  echo "node$k,$ip $(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")" >>"$LAB/ssh/known_hosts"
  write_sshd_config "$dir/sshd_config" "$ip" "$dir/ssh_host_ed25519_key" "$LAB/ssh/authorized_keys" \
    "$dir/sshd.pid" "$dir/docker.sock"
  ip netns exec "$ns" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" 9>&-
  with_etc_docker "$(etc_docker "$dir")" nsenter --net="/var/run/netns/$ns" setsid dockerd \
    --data-root "$dir/docker" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" -H "unix://$dir/docker.sock" \
    --cgroup-parent "$BRIDGE-node$k" --config-file "$(daemon_json "$dir")" --log-level warn </dev/null >"$dir/dockerd.log" 2>&1 9>&- &
done

log "manager: git over SSH on $MANAGER_IP:$GIT_SSH_PORT (user $GIT_USER)"
# The git account's keys are the users' (cloudmatrix user ... rewrites authorized_keys); its
# forced command runs this checkout's CLI as root through sudo, and nothing else.
CMX_NODE=$(readlink -f "$(command -v node)")
CMX_CLI=$(cd "$SCRIPTS_DIR/.." && pwd)/bin/cloudmatrix.js
ensure_git_account "$GIT_USER" "$CMX_STATE_DIR/git-ssh"
mkdir -p "$GIT_SSH"
[ -f "$GIT_SSH/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C cloudmatrix-git -f "$GIT_SSH/ssh_host_ed25519_key"
[ -f "$CMX_STATE_DIR/git-ssh/authorized_keys" ] || printf '# Written by cloudmatrix: no user has a key yet\n' >"$CMX_STATE_DIR/git-ssh/authorized_keys"
write_git_wrapper "$GIT_SSH/bin/cloudmatrix" "$CMX_NODE" "$CMX_CLI" "${CLOUDMATRIX_CONFIG:-$CMX_STATE_DIR/config.json}"
write_git_sudoers "$GIT_SUDOERS" "$GIT_USER" "$CMX_NODE" "$CMX_CLI"
write_git_sshd_config "$GIT_SSH/sshd_config" "$MANAGER_IP" "$GIT_SSH_PORT" "$GIT_SSH/ssh_host_ed25519_key" \
  "$CMX_STATE_DIR/git-ssh/authorized_keys" "$GIT_SSH/sshd.pid" "$GIT_USER" "$GIT_SSH/bin:/usr/local/bin:/usr/bin:/bin"
/usr/sbin/sshd -t -f "$GIT_SSH/sshd_config" || die "git sshd: bad configuration $GIT_SSH/sshd_config"
/usr/sbin/sshd -f "$GIT_SSH/sshd_config" -E "$GIT_SSH/sshd.log" 9>&-
echo "[$MANAGER_IP]:$GIT_SSH_PORT $(cut -d' ' -f1,2 "$GIT_SSH/ssh_host_ed25519_key.pub")" >"$LAB/git_known_hosts"

log "waiting for daemons"
registry_up() { curl -fsS --max-time 1 --cacert "$REGISTRY_TLS/ca.crt" -u "$(creds pull)" "https://$REGISTRY/v2/"; }
registry_push_up() { curl -fsS --max-time 1 -u "$(creds push)" "http://$REGISTRY_PUSH/v2/"; }
wait_for 30 registry_up || die "registry did not answer on https://$REGISTRY (see $LAB/registry.log)"
wait_for 30 registry_push_up || die "registry did not answer on $REGISTRY_PUSH (see $LAB/registry-push.log)"
wait_for 60 docker_ping "$LAB/manager/docker.sock" || die "manager dockerd did not start (see $LAB/manager/dockerd.log)"
for k in $(seq 1 "$NODES"); do
  dir=$(node_dir "$k")
  wait_for 60 docker_ping "$dir/docker.sock" || die "node$k dockerd did not start (see $dir/dockerd.log)"
  wait_for 10 tcp_open "$(cat "$dir/ip")" 22 || die "node$k sshd did not start (see $dir/sshd.log)"
done
wait_for 10 tcp_open "$MANAGER_IP" "$GIT_SSH_PORT" || die "git sshd did not start (see $GIT_SSH/sshd.log)"
wait_for 10 varnishadm -T "$VARNISH_ADMIN" -S "$LAB/varnish.secret" ping || die "varnish did not start (see $LAB/varnish.log)"
wait_for 10 tcp_open 127.0.0.1 "$TLS_PORT" || die "hitch did not start (see $LAB/hitch.log)"
# pebble makes a new root at every start: the certificates it issued before chain to no root now.
acme_root() { curl -fsS --max-time 2 --cacert "$REGISTRY_TLS/ca.crt" "https://$ACME_MANAGEMENT/roots/0" >"$LAB/acme-root.pem.tmp"; }
wait_for 30 acme_root || die "pebble did not start (see $LAB/pebble.log)"
mv "$LAB/acme-root.pem.tmp" "$LAB/acme-root.pem"

"$SCRIPTS_DIR/lab/write-config.sh"
completed=1
log "up: $NODES nodes, registry $REGISTRY, varnish 127.0.0.1:$VARNISH_LISTEN_PORT"
