#!/usr/bin/env bash
# Writes the cloudmatrix config every command reads, and the lab manifest used by status/down.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

nodes_json=""
for k in $(seq 1 "$NODES"); do
  dir=$(node_dir "$k")
  [ -n "$nodes_json" ] && nodes_json="$nodes_json,"
  nodes_json="$nodes_json
    {\"name\": \"node$k\", \"netns\": \"$(node_ns "$k")\", \"veth\": \"$(node_veth "$k")\", \"mac\": \"$(node_mac "$k")\", \"ip\": \"$(cat "$dir/ip")\", \"dir\": \"$dir\"}"
done

cat >"$LAB/lab.json.tmp" <<JSON
{
  "bridge": "$BRIDGE",
  "subnet": "$SUBNET",
  "managerIp": "$MANAGER_IP",
  "registry": "$REGISTRY",
  "registryPush": "$REGISTRY_PUSH",
  "registryCa": "$REGISTRY_TLS/ca.crt",
  "nftTable": "$NFT_TABLE",
  "varnishd": "$VARNISHD",
  "tls": {"listen": "127.0.0.1:$TLS_PORT", "pidFile": "$LAB/hitch.pid"},
  "acme": {"directory": "https://$ACME_LISTEN/dir", "pidFile": "$LAB/pebble.pid"},
  "git": {"listen": "$MANAGER_IP:$GIT_SSH_PORT", "user": "$GIT_USER", "pidFile": "$GIT_SSH/sshd.pid", "knownHosts": "$LAB/git_known_hosts"},
  "lab": "$LAB",
  "nodes": [$nodes_json
  ]
}
JSON
mv "$LAB/lab.json.tmp" "$LAB/lab.json"

source "$SCRIPTS_DIR/provision/render-configs.sh"
CFG_STATE_DIR=$CMX_STATE_DIR CFG_REGISTRY=$REGISTRY CFG_LEASES=$LAB/dnsmasq.leases \
CFG_SSH_KEY=$LAB/ssh/id_ed25519 CFG_KNOWN_HOSTS=$LAB/ssh/known_hosts CFG_DOCKER_SOCKET="$LAB/{node}/docker.sock" \
CFG_VARNISH_ADMIN=$VARNISH_ADMIN CFG_VARNISH_SECRET=$LAB/varnish.secret \
CFG_VARNISH_LISTEN=127.0.0.1:$VARNISH_LISTEN_PORT CFG_VARNISH_NAME=$LAB/varnish CFG_VARNISHD=${VARNISHD#varnishd} \
CFG_LOCAL_DOCKER=$LAB/manager/docker.sock CFG_API_TOKEN=$LAB/api.token \
CFG_REGISTRY_PUSH=$REGISTRY_PUSH CFG_REGISTRY_CA=$REGISTRY_TLS/ca.crt \
CFG_REGISTRY_PULL_CREDS=$REGISTRY_AUTH/pull.json CFG_REGISTRY_PUSH_CREDS=$REGISTRY_AUTH/push.json \
CFG_TLS_JSON="{\"listen\": \"127.0.0.1:$TLS_PORT\", \"hostsDir\": \"$TLS_DIR/hosts\", \"hitchPidFile\": \"$LAB/hitch.pid\"}" \
CFG_ACME_JSON="{\"directory\": \"https://$ACME_LISTEN/dir\", \"email\": \"ops@cloudmatrix.test\", \"caBundle\": \"$REGISTRY_TLS/ca.crt\", \"rootFile\": \"$LAB/acme-root.pem\", \"responder\": \"127.0.0.1:8702\"}" \
CFG_REGISTRY_GC_JSON="{\"configFile\": \"$LAB/registry-push.yml\", \"readOnly\": [\"env\", \"CMX_STATE_DIR=$CMX_STATE_DIR\", \"CMX_REGISTRY_PUSH=$REGISTRY_PUSH\", \"$SCRIPTS_DIR/lab/registry-mode.sh\", \"ro\"], \"readWrite\": [\"env\", \"CMX_STATE_DIR=$CMX_STATE_DIR\", \"CMX_REGISTRY_PUSH=$REGISTRY_PUSH\", \"$SCRIPTS_DIR/lab/registry-mode.sh\", \"rw\"]}" \
  write_cloudmatrix_config "$CMX_STATE_DIR/config.json"
