# Writers of the config files that both the namespace lab and the Vagrant VMs use.
# Each takes its values as arguments and writes one file; no other side effects.

# write_registry_config FILE ADDR STORAGE_DIR [READONLY HTPASSWD [CERT KEY]]
# One face of the shared store: READONLY true refuses every write (maintenance.readonly);
# HTPASSWD (bcrypt entries) requires credentials; CERT and KEY serve TLS.
write_registry_config() {
  local readonly_=${4:-false} htpasswd=${5:-} cert=${6:-} key=${7:-}
  {
    cat <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $3
  delete:
    enabled: true
  maintenance:
    readonly:
      enabled: $readonly_
CONF
    # Only the write face purges stale uploads of the shared store.
    [ "$readonly_" = true ] && printf '    uploadpurging:\n      enabled: false\n'
    cat <<CONF
http:
  addr: $2
  headers:
    X-Content-Type-Options: [nosniff]
CONF
    [ -z "$cert" ] || printf '  tls:\n    certificate: %s\n    key: %s\n' "$cert" "$key"
    [ -z "$htpasswd" ] || printf 'auth:\n  htpasswd:\n    realm: cloudmatrix\n    path: %s\n' "$htpasswd"
  } >"$1"
}

# make_registry_ca DIR: a CA for the registry's TLS (kept across runs; keys mode 0600).
make_registry_ca() {
  [ -s "$1/ca.key" ] && [ -s "$1/ca.crt" ] && return 0
  mkdir -p "$1"
  (umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=cloudmatrix registry CA" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -keyout "$1/ca.key" -out "$1/ca.crt" 2>/dev/null)
  chmod 644 "$1/ca.crt"
  rm -f "$1/registry.crt"
}

# make_registry_cert DIR IP: DIR/registry.{key,crt} for IP, signed by DIR's CA (remade when the
# CA or the address changed).
make_registry_cert() {
  local dir=$1 ip=$2
  if [ -s "$dir/registry.crt" ] && openssl verify -CAfile "$dir/ca.crt" "$dir/registry.crt" >/dev/null 2>&1 &&
     openssl x509 -in "$dir/registry.crt" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$ip\$"; then
    return 0
  fi
  (umask 077; openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$ip" \
    -keyout "$dir/registry.key" -out "$dir/registry.csr" 2>/dev/null)
  openssl x509 -req -in "$dir/registry.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -out "$dir/registry.crt" -extfile <(printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$ip") 2>/dev/null
  rm -f "$dir/registry.csr"
}

# make_registry_user DIR NAME: DIR/NAME.json ({"username","password"}, what cloudmatrix reads)
# and DIR/NAME.htpasswd (bcrypt, what the registry reads); kept across runs, mode 0600.
make_registry_user() {
  local dir=$1 name=$2 password
  mkdir -p "$dir"
  if [ ! -s "$dir/$name.json" ] || [ ! -s "$dir/$name.htpasswd" ]; then
    password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    (umask 077
     printf '{"username": "cmx-%s", "password": "%s"}\n' "$name" "$password" >"$dir/$name.json"
     htpasswd -nbB "cmx-$name" "$password" | head -n1 >"$dir/$name.htpasswd")
  fi
  chmod 600 "$dir/$name.json" "$dir/$name.htpasswd"
}

# write_docker_auths FILE HOST:PORT=USER:PASSWORD...: a docker CLI config.json (mode 0600) that
# logs in to each registry given.
write_docker_auths() {
  local file=$1 entry auths=""; shift
  mkdir -p "$(dirname "$file")"
  for entry in "$@"; do
    [ -n "$auths" ] && auths="$auths,"
    auths="$auths\"${entry%%=*}\": {\"auth\": \"$(printf %s "${entry#*=}" | base64 -w0)\"}"
  done
  (umask 077; printf '{"auths": {%s}}\n' "$auths" >"$file.tmp")
  mv "$file.tmp" "$file"
}

# write_nft_rules FILE TABLE IFACE MANAGER_IP REGISTRY_PORT VARNISH_PORT [TLS_PORT]: what traffic arriving
# from the nodes' network may reach on the manager: DHCP, the read-only registry, Varnish, hitch, and
# replies to connections the manager opened (SSH, health checks). Nothing from other interfaces
# is looked at.
write_nft_rules() {
  cat >"$1" <<NFT
table inet $2
delete table inet $2
table inet $2 {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname != "$3" accept
    ct state established,related accept
    udp dport 67 accept
    ip daddr $4 tcp dport { $5, $6${7:+, $7} } accept
    counter drop
  }
}
NFT
}

# write_dnsmasq_config FILE INTERFACE PREFIX LEASES PIDFILE LOGFILE
# PREFIX is the /24's first three octets. No DNS (port=0), no router, no DNS server option:
# nodes talk only to the subnet.
write_dnsmasq_config() {
  cat >"$1" <<CONF
port=0
interface=$2
bind-interfaces
except-interface=lo
dhcp-range=$3.10,$3.250,255.255.255.0,12h
dhcp-option=option:router
dhcp-option=option:dns-server
dhcp-authoritative
dhcp-leasefile=$4
pid-file=$5
log-facility=$6
log-dhcp
user=root
CONF
}

# write_sshd_config FILE LISTEN_ADDR HOST_KEY AUTHORIZED_KEYS PIDFILE DOCKER_SOCKET
write_sshd_config() {
  cat >"$1" <<CONF
ListenAddress $2
Port 22
HostKey $3
PidFile $5
AuthorizedKeysFile $4
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
MaxSessions 200
MaxStartups 100:30:200
SetEnv DOCKER_HOST=unix://$6
Subsystem sftp internal-sftp
CONF
}

# write_boot_vcl FILE: the VCL Varnish starts with, before any update-proxy.
write_boot_vcl() {
  cat >"$1" <<'CONF'
vcl 4.0;

backend cmx_placeholder { .host = "127.0.0.1"; .port = "9"; }

sub vcl_recv {
  return (synth(503, "No routes loaded yet: run cloudmatrix update-proxy"));
}
CONF
}

# write_cloudmatrix_config FILE, with the values in these variables: CFG_STATE_DIR CFG_REGISTRY
# CFG_LEASES CFG_SSH_KEY CFG_KNOWN_HOSTS CFG_DOCKER_SOCKET CFG_VARNISH_ADMIN CFG_VARNISH_SECRET
# CFG_VARNISH_LISTEN CFG_VARNISH_NAME CFG_LOCAL_DOCKER CFG_API_TOKEN CFG_REGISTRY_PUSH CFG_REGISTRY_CA
# CFG_REGISTRY_PULL_CREDS CFG_REGISTRY_PUSH_CREDS, and optional JSON objects CFG_TLS_JSON CFG_ACME_JSON
# CFG_REGISTRY_GC_JSON (how images prune restarts the registry read-only for its garbage collection). Written atomically.
write_cloudmatrix_config() {
  cat >"$1.tmp" <<JSON
{
  "stateDir": "$CFG_STATE_DIR",
  "registry": "$CFG_REGISTRY",
  "registryAccess": {
    "push": "$CFG_REGISTRY_PUSH",
    "caFile": "$CFG_REGISTRY_CA",
    "pullCredentialsFile": "$CFG_REGISTRY_PULL_CREDS",
    "pushCredentialsFile": "$CFG_REGISTRY_PUSH_CREDS"
  },
  "leasesFile": "$CFG_LEASES",
  "ssh": {
    "user": "root",
    "port": 22,
    "keyFile": "$CFG_SSH_KEY",
    "knownHostsFile": "$CFG_KNOWN_HOSTS",
    "dockerSocket": "$CFG_DOCKER_SOCKET"
  },
  "varnish": {
    "admin": "$CFG_VARNISH_ADMIN",
    "secretFile": "$CFG_VARNISH_SECRET",
    "listen": "$CFG_VARNISH_LISTEN"${CFG_VARNISH_NAME:+,
    \"name\": \"$CFG_VARNISH_NAME\"}${CFG_VARNISHD:+,
    \"varnishd\": \"$CFG_VARNISHD\"}
  },
  "localDocker": { "socketPath": "$CFG_LOCAL_DOCKER" },
  "staticNodes": [],
  "api": { "listen": "127.0.0.1:8700", "tokenFile": "$CFG_API_TOKEN" }${CFG_TLS_JSON:+,
  \"tls\": $CFG_TLS_JSON}${CFG_ACME_JSON:+,
  \"acme\": $CFG_ACME_JSON}${CFG_REGISTRY_GC_JSON:+,
  \"registryGc\": $CFG_REGISTRY_GC_JSON}
}
JSON
  mv "$1.tmp" "$1"
}

# write_hitch_config FILE BACKEND PEM_DIR DEFAULT_PEM ALPN LISTEN...: hitch terminates TLS
# and hands each connection to Varnish's PROXY listener; a certificate per host in PEM_DIR, picked
# by SNI (DEFAULT_PEM when no name matches); SIGHUP re-reads PEM_DIR without dropping connections.
# ALPN: "h2, http/1.1" where Varnish speaks HTTP/2 (5.0+), else "http/1.1". hitch 1.7 takes its
# pid file on the command line only (--pidfile). Its workers refuse to run as root: they run as
# Debian's _hitch; the master keeps root and reads the keys (0600, root's) at start and on SIGHUP.
write_hitch_config() {
  local file=$1 backend=$2 pem_dir=$3 default_pem=$4 alpn=$5; shift 5
  {
    for l in "$@"; do printf 'frontend = "[%s]:%s"\n' "${l%:*}" "${l##*:}"; done
    cat <<CONF
backend = "[${backend%:*}]:${backend##*:}"
pem-file = "$default_pem"
pem-dir = "$pem_dir"
pem-dir-glob = "*.pem"
tls-protos = TLSv1.2 TLSv1.3
ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
prefer-server-ciphers = on
alpn-protos = "$alpn"
write-proxy-v2 = on
workers = 2
user = "_hitch"
group = "_hitch"
daemon = off
ocsp-dir = "${pem_dir%/*}/ocsp"
sni-nomatch-abort = off
CONF
  } >"$file"
}

# make_default_pem DIR NAME: a self-signed certificate hitch serves when no host certificate matches.
make_default_pem() {
  [ -s "$1/default.pem" ] && return 0
  mkdir -p "$1"
  (umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=$2" -keyout "$1/default.key" -out "$1/default.crt" 2>/dev/null &&
    cat "$1/default.crt" "$1/default.key" >"$1/default.pem" && rm -f "$1/default.key")
}

# write_pebble_config FILE LISTEN MANAGEMENT CERT KEY HTTP_PORT TLS_PORT: the lab's ACME server.
# HTTP-01 validation connects to the app's host on HTTP_PORT, i.e. through Varnish.
write_pebble_config() {
  cat >"$1" <<JSON
{
  "pebble": {
    "listenAddress": "$2",
    "managementListenAddress": "$3",
    "certificate": "$4",
    "privateKey": "$5",
    "httpPort": $6,
    "tlsPort": $7,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
JSON
}

# make_server_cert CA_DIR OUT_BASE SAN: a key and certificate OUT_BASE.{key,crt} signed by the lab CA.
make_server_cert() {
  local ca=$1 out=$2 san=$3
  [ -s "$out.crt" ] && openssl verify -CAfile "$ca/ca.crt" "$out.crt" >/dev/null 2>&1 && return 0
  (umask 077; openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=${san#*:}" \
    -keyout "$out.key" -out "$out.csr" 2>/dev/null)
  openssl x509 -req -in "$out.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 825 -out "$out.crt" \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san") 2>/dev/null
  rm -f "$out.csr"
}

# git over SSH (gitolite's way): one system account whose authorized_keys cloudmatrix writes from
# the users' keys, each line forcing `cloudmatrix git shell USER`.

# ensure_git_account USER HOME: a system account for git pushes, made when missing. Its shell runs
# the forced command (sh -c); its password is "*" (no password login, and not "locked", which
# sshd without PAM would refuse even for a key).
ensure_git_account() {
  if ! id -u "$1" >/dev/null 2>&1; then
    # A group of that name left behind (a removed gitolite, say) becomes the account's group.
    local group=(); getent group "$1" >/dev/null && group=(-g "$1")
    useradd --system --home-dir "$2" --no-create-home --shell /bin/sh --comment "cloudmatrix git push" "${group[@]}" "$1"
  fi
  usermod -p '*' "$1"
  mkdir -p "$2"
}

# write_git_wrapper FILE NODE CLI CONFIG: the `cloudmatrix` the git account finds first on its PATH:
# only `git shell USER`, run as root through sudo (write_git_sudoers), with the manager's config.
write_git_wrapper() {
  mkdir -p "$(dirname "$1")"
  cat >"$1.tmp" <<SH
#!/bin/sh
# Written by cloudmatrix: the git account's cloudmatrix runs \`git shell USER\` only, as root (sudo).
if [ \$# -ne 3 ] || [ "\$1" != git ] || [ "\$2" != shell ]; then
  echo "cloudmatrix: this account runs git push and git fetch only" >&2
  exit 1
fi
CLOUDMATRIX_CONFIG='$4'
export CLOUDMATRIX_CONFIG
exec sudo -n -- '$2' '$3' git shell "\$3"
SH
  chmod 755 "$1.tmp"
  mv "$1.tmp" "$1"
}

# write_git_sudoers FILE USER NODE CLI: USER may run `NODE CLI git shell ...` as root, nothing
# else, with the command git asked for (SSH_ORIGINAL_COMMAND) and the config path kept.
write_git_sudoers() {
  cat >"$1.tmp" <<CONF
# Written by cloudmatrix: the git account's forced command decides and runs git as root.
Defaults:$2 !requiretty, !use_pty, !lecture, env_keep += "SSH_ORIGINAL_COMMAND CLOUDMATRIX_CONFIG"
$2 ALL=(root) NOPASSWD: $3 $4 git shell *
CONF
  chmod 440 "$1.tmp"
  visudo -cqf "$1.tmp" || { rm -f "$1.tmp"; echo "sudoers: $1 does not check" >&2; return 1; }
  mv "$1.tmp" "$1"
}

# write_git_sshd_config FILE LISTEN PORT HOST_KEY AUTHORIZED_KEYS PIDFILE USER PATH: an sshd for
# git pushes only: USER alone, keys alone, no tty, no forwarding, no sftp; PATH finds the wrapper.
write_git_sshd_config() {
  cat >"$1" <<CONF
ListenAddress $2
Port $3
HostKey $4
PidFile $6
AuthorizedKeysFile $5
AllowUsers $7
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
DisableForwarding yes
PermitTTY no
PermitUserRC no
PermitUserEnvironment no
X11Forwarding no
PrintMotd no
PrintLastLog no
MaxStartups 30:30:100
SetEnv PATH=$8
CONF
}
