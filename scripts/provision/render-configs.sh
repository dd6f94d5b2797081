# Writers of the config files that both the namespace lab and the Vagrant VMs use.
# Each takes its values as arguments and writes one file; no other side effects.

# write_registry_config FILE ADDR STORAGE_DIR
write_registry_config() {
  cat >"$1" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $3
  delete:
    enabled: true
http:
  addr: $2
  headers:
    X-Content-Type-Options: [nosniff]
CONF
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
# CFG_VARNISH_LISTEN CFG_VARNISH_NAME CFG_LOCAL_DOCKER CFG_API_TOKEN. Written atomically.
write_cloudmatrix_config() {
  cat >"$1.tmp" <<JSON
{
  "stateDir": "$CFG_STATE_DIR",
  "registry": "$CFG_REGISTRY",
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
    \"name\": \"$CFG_VARNISH_NAME\"}
  },
  "localDocker": { "socketPath": "$CFG_LOCAL_DOCKER" },
  "staticNodes": [],
  "api": { "listen": "127.0.0.1:8700", "tokenFile": "$CFG_API_TOKEN" }
}
JSON
  mv "$1.tmp" "$1"
}
