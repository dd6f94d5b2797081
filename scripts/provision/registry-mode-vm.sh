#!/usr/bin/env bash
# registry-mode-vm.sh ro|rw (the Vagrant manager): restarts the registry's read-write face
# read-only (maintenance.readonly) or read-write and returns once it answers; `images prune` runs
# the registry's garbage collection between the two (config registryGc, written by manager.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/render-configs.sh"
AUTH=${CMX_REGISTRY_AUTH:-/var/lib/cloudmatrix/registry-auth}
PUSH=${CMX_REGISTRY_PUSH:-127.0.0.1:5001}
case "${1:-}" in
  ro) readonly_=true ;;
  rw) readonly_=false ;;
  *) echo "usage: registry-mode-vm.sh ro|rw" >&2; exit 2 ;;
esac
write_registry_config /etc/cloudmatrix/registry-push.yml.tmp "$PUSH" /var/lib/docker-registry "$readonly_" "$AUTH/push.htpasswd"
mv /etc/cloudmatrix/registry-push.yml.tmp /etc/cloudmatrix/registry-push.yml
systemctl restart cloudmatrix-registry-push
creds=$(sed -E 's/.*"username": "([^"]*)", "password": "([^"]*)".*/\1:\2/' "$AUTH/push.json")
for _ in $(seq 1 300); do
  curl -fsS --max-time 1 -u "$creds" "http://$PUSH/v2/" >/dev/null 2>&1 && exit 0
  sleep 0.1
done
echo "registry-mode-vm.sh: the read-write face did not answer on $PUSH within 30 s" >&2
exit 1
