#!/usr/bin/env bash
# registry-mode.sh ro|rw: restarts the lab registry's read-write face read-only (maintenance.readonly)
# or read-write, and returns once it answers. `images prune` runs the registry's garbage collection
# between the two: a push meanwhile is refused (retryable), never half-deleted.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$SCRIPTS_DIR/provision/render-configs.sh"

case "${1:-}" in
  ro) readonly_=true ;;
  rw) readonly_=false ;;
  *) die "usage: registry-mode.sh ro|rw" 2 ;;
esac
[ -f "$LAB/registry-push.yml" ] || die "no lab registry at $LAB (cloudmatrix lab up)"
write_registry_config "$LAB/registry-push.yml.tmp" "$REGISTRY_PUSH" "$CMX_STATE_DIR/registry" "$readonly_" "$REGISTRY_AUTH/push.htpasswd"
mv "$LAB/registry-push.yml.tmp" "$LAB/registry-push.yml"
if pid_alive "$LAB/registry-push.pid"; then
  kill "$(cat "$LAB/registry-push.pid")"
  gone() { ! pid_alive "$LAB/registry-push.pid"; }
  wait_for 10 gone || die "the registry's read-write face (pid $(cat "$LAB/registry-push.pid")) did not stop"
fi
spawn "$LAB/registry-push.log" docker-registry serve "$LAB/registry-push.yml" >"$LAB/registry-push.pid"
creds() { sed -E 's/.*"username": "([^"]*)", "password": "([^"]*)".*/\1:\2/' "$REGISTRY_AUTH/$1.json"; }
registry_push_up() { curl -fsS --max-time 1 -u "$(creds push)" "http://$REGISTRY_PUSH/v2/"; }
wait_for 30 registry_push_up || die "registry did not answer on $REGISTRY_PUSH (see $LAB/registry-push.log)"
