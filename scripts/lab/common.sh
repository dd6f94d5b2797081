# Shared settings and helpers of the namespace lab (sourced by up.sh and down.sh).
set -euo pipefail

SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CMX_STATE_DIR=${CMX_STATE_DIR:-/var/lib/cloudmatrix}
LAB=$CMX_STATE_DIR/lab
BRIDGE=${CMX_BRIDGE:-cmx0}
SUBNET=${CMX_SUBNET:-10.77.0.0/24}
NODES=${CMX_NODES:-3}
NET_PREFIX=${SUBNET%.*}
MANAGER_IP=$NET_PREFIX.1
# The registry's two faces over one store: read-only with TLS and pull credentials where the nodes
# reach it, read-write on loopback for the manager's pushes.
REGISTRY=$MANAGER_IP:5000
REGISTRY_PUSH=${CMX_REGISTRY_PUSH:-127.0.0.1:5001}
REGISTRY_TLS=$LAB/registry-tls
REGISTRY_AUTH=$LAB/registry-auth
NFT_TABLE=cloudmatrix_lab_$BRIDGE
VARNISH_LISTEN_PORT=${CMX_VARNISH_PORT:-6081}
VARNISH_ADMIN=${CMX_VARNISH_ADMIN:-127.0.0.1:6082}
# hitch terminates TLS and passes connections to Varnish's PROXY listener (loopback only).
TLS_PORT=${CMX_TLS_PORT:-6443}
VARNISH_PROXY=127.0.0.1:6086
TLS_DIR=$LAB/tls
# The lab's ACME server (pebble) and the resolver it validates through: every name is the manager.
ACME_LISTEN=127.0.0.1:14000
ACME_MANAGEMENT=127.0.0.1:15000
ACME_DNS=127.0.0.1:8053
ACME_DIR=$LAB/pebble
# git over SSH: an sshd of its own on the manager's lab address, for the git account only.
GIT_SSH_PORT=${CMX_GIT_SSH_PORT:-2222}
GIT_SSH=$LAB/git-ssh
GIT_USER=git
GIT_SUDOERS=/etc/sudoers.d/cloudmatrix-lab-git
# gcc's -O2 -g makes VCL compile time grow much faster than the number of backends (157 s for
# 1,000 apps, 6 s with these flags); the generated C is simple enough not to need them.
VARNISH_CC='%D -O0 -g0'
# The router's varnishd (`lab up --varnish PATH`): Debian's on PATH unless told.
VARNISHD=${CMX_LAB_VARNISHD:-varnishd}

# One lab operation at a time (up and down each take the lock; down inside up inherits it).
# Every daemon is started with fd 9 closed, or it would hold the lock for as long as it runs.
lab_lock() {
  [ "${CMX_LAB_LOCKED:-}" = 1 ] && return 0
  mkdir -p "$CMX_STATE_DIR"
  exec 9>"$CMX_STATE_DIR/lab.lock"
  flock -w 300 9 || die "another lab up/down still runs after 300 s"
  export CMX_LAB_LOCKED=1
}

log() { printf '%s lab: %s\n' "$(date +%T)" "$*"; }
die() { printf 'lab: %s\n' "$*" >&2; exit "${2:-1}"; }

node_ns() { echo "$BRIDGE-node$1"; }
node_veth() { echo "$BRIDGE-v$1"; }
node_dir() { echo "$LAB/node$1"; }
node_mac() { printf '02:77:%02x:00:00:%02x' "$((${#BRIDGE} % 256))" "$1"; }

# Waits until a command succeeds, polling every 0.1 s, for at most $1 seconds.
wait_for() {
  local timeout=$1; shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

docker_ping() { curl -fsS --max-time 2 --unix-socket "$1" http://docker/_ping; }
tcp_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Runs a command in a mount namespace of its own where /etc/docker is DIR: dockerd reads
# registry CAs only from /etc/docker/certs.d, and each lab daemon gets its own.
with_etc_docker() {
  local dir=$1; shift
  unshare --mount --propagation slave sh -c 'mount --bind "$0" /etc/docker && exec "$@"' "$dir" "$@"
}

# Starts a daemon detached from this shell, its output in a log file.
spawn() {
  local logfile=$1; shift
  setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  echo $!
}
