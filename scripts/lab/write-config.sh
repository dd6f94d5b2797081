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
  "lab": "$LAB",
  "nodes": [$nodes_json
  ]
}
JSON
mv "$LAB/lab.json.tmp" "$LAB/lab.json"

cat >"$CMX_STATE_DIR/config.json.tmp" <<JSON
{
  "stateDir": "$CMX_STATE_DIR",
  "registry": "$REGISTRY",
  "leasesFile": "$LAB/dnsmasq.leases",
  "ssh": {
    "user": "root",
    "port": 22,
    "keyFile": "$LAB/ssh/id_ed25519",
    "knownHostsFile": "$LAB/ssh/known_hosts",
    "dockerSocket": "$LAB/{node}/docker.sock"
  },
  "varnish": {
    "admin": "$VARNISH_ADMIN",
    "secretFile": "$LAB/varnish.secret",
    "listen": "127.0.0.1:$VARNISH_LISTEN_PORT",
    "name": "$LAB/varnish"
  },
  "localDocker": { "socketPath": "$LAB/manager/docker.sock" },
  "staticNodes": [],
  "api": { "listen": "127.0.0.1:8700", "tokenFile": "$LAB/api.token" }
}
JSON
mv "$CMX_STATE_DIR/config.json.tmp" "$CMX_STATE_DIR/config.json"
