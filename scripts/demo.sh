#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian machine as root: lab up, build and push the example
# images, deploy plans/hello.yaml, update Varnish, and show every app answering through it; then
# plans/https.yaml over HTTPS with a certificate from the lab's ACME server; ... staging.yaml beside
# hello.yaml and one app promoted from it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (the lab needs network namespaces)" >&2; exit 2; }

[ -x node_modules/.bin/tsx ] || npm ci --no-audit --no-fund
# The CLI runs dist/ when it is at least as new as src/ (else it falls back to tsx, slower).
[ -f dist/.built ] && [ -z "$(find src -newer dist/.built -print -quit)" ] || npm run --silent build
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cmx() { echo "+ cloudmatrix $*"; node bin/cloudmatrix.js "$@"; }

step "1. the lab: manager (registry, Varnish, dnsmasq) and 3 nodes in network namespaces"
cmx lab up
cmx lab status
cmx nodes

step "2. build the example images and push them into the private registry"
for app in simplewebapp1 simplewebapp2 hostinfo worker; do
  cmx create-image "images/$app" "$app:1.0" | tail -n 2
  cmx install-image "$app:1.0" | tail -n 1
done
cmx images

step "3. deploy plans/hello.yaml"
cmx plan check plans/hello.yaml
cmx deploy-plan plans/hello.yaml --dry-run
cmx deploy-plan plans/hello.yaml

step "4. Varnish routes every app (update-proxy is a no-op when routing is unchanged)"
cmx update-proxy
cmx routes
cmx status

step "5. the apps answering through Varnish on 127.0.0.1:6081"
show() { echo "+ curl $*"; curl -sS --max-time 5 "$@"; echo; }
show -H 'Host: simplewebapp1.matrix.test' http://127.0.0.1:6081/
show -H 'Host: simplewebapp2.matrix.test' http://127.0.0.1:6081/
show http://127.0.0.1:6081/simplewebapp1/
for _ in 1 2 3; do
  curl -sS --max-time 5 -D - -o /dev/null -H 'Host: hostinfo.matrix.test' http://127.0.0.1:6081/ | grep -i '^x-cloudmatrix-backend'
done
show -H 'Host: hostinfo.matrix.test' http://127.0.0.1:6081/
show -H 'Host: unknown.matrix.test' http://127.0.0.1:6081/ -o /dev/null -w '%{http_code} for an unknown host\n'

step "6. HTTPS: plans/https.yaml asks for an ACME certificate (the lab's pebble validates it through Varnish)"
cmx deploy-plan plans/https.yaml
cmx certs
root=$(node -e "console.log(JSON.parse(require('fs').readFileSync('/var/lib/cloudmatrix/config.json','utf8')).acme.rootFile)")
show --cacert "$root" --resolve secure.matrix.test:6443:127.0.0.1 https://secure.matrix.test:6443/
show -o /dev/null -w '%{http_code} -> %{redirect_url}\n' -H 'Host: secure.matrix.test' http://127.0.0.1:6081/
echo "+ openssl s_client -connect 127.0.0.1:6443 -servername secure.matrix.test | issuer, dates"
openssl s_client -connect 127.0.0.1:6443 -servername secure.matrix.test </dev/null 2>/dev/null | openssl x509 -noout -issuer -subject -dates

step "7. a worker and limits: plans/workers.yaml (ticker has no port: never routed; both apps reserve memory and CPUs)"
cmx deploy-plan plans/workers.yaml
cmx status
cmx nodes
sock=$(node -e "console.log(JSON.parse(require('fs').readFileSync('/var/lib/cloudmatrix/config.json','utf8')).ssh.dockerSocket)")
id=$(node bin/cloudmatrix.js ps --json | node -e "const r=JSON.parse(require('fs').readFileSync(0,'utf8'));const c=(r.containers??r).find((x)=>x.app==='ticker');console.log(c.node+' '+c.id)")
echo "+ docker inspect ${id#* } on ${id%% *}: the plan's command and limits"
DOCKER_HOST="unix://${sock/\{node\}/${id%% *}}" docker inspect -f 'Cmd={{json .Config.Cmd}} Memory={{.HostConfig.Memory}} NanoCpus={{.HostConfig.NanoCpus}}' "${id#* }"

step "8. stateful: plans/stateful.yaml (Redis with a volume, a counter that finds it by \${cache.host}:\${cache.port})"
for img in redis:7 counter:1.0; do
  cmx create-image "images/${img%%:*}" "$img" | tail -n 1
  cmx install-image "$img" | tail -n 1
done
cmx deploy-plan plans/stateful.yaml
count() { echo "+ curl -H 'Host: counter.matrix.test' http://127.0.0.1:6081/"; curl -sS --max-time 5 -H 'Host: counter.matrix.test' http://127.0.0.1:6081/ | head -n 1; }
count; count; count
cmx volumes
# The same plan with a changed env on both apps: cache is replaced stop-first on its volume (backed
# up first), web rolling; the counter goes on from where it was.
tmpplan=$(mktemp -d)/stateful.yaml
sed -e 's/^    backup: { keep: 5 }$/&\n    env: { EDITION: "2" }/' -e 's/^      REDIS_PORT: .*$/&\n      EDITION: "2"/' plans/stateful.yaml >"$tmpplan"
cmx deploy-plan "$tmpplan"
count; count
cmx backup list cache

step "9. environments: plans/staging.yaml runs hello's apps again under staging.matrix.test; promote carries staging's digest to hello"
cmx deploy-plan plans/staging.yaml
show -H 'Host: hostinfo.staging.matrix.test' http://127.0.0.1:6081/
# A copy of hello.yaml is promoted into (the example in plans/ stays as it is); it deploys as plan hello.
envdir=$(mktemp -d)
cp plans/hello.yaml "$envdir/hello.yaml"
cmx promote staging "$envdir/hello.yaml" hostinfo
show -H 'Host: hostinfo.matrix.test' http://127.0.0.1:6081/
show -H 'Host: hostinfo.staging.matrix.test' http://127.0.0.1:6081/
echo "+ cloudmatrix rollback hostinfo   (two plans have it: exit 2, listing them)"
node bin/cloudmatrix.js rollback hostinfo || true
cmx history hello/hostinfo | tail -n 4

step "done"
cat <<TEXT
The dashboard and HTTP API: cloudmatrix serve --watch   (then open http://127.0.0.1:8700/ ;
the API token is in $(node -e "console.log(JSON.parse(require('fs').readFileSync('/var/lib/cloudmatrix/config.json','utf8')).api.tokenFile)"))
(--watch keeps Varnish routing what runs: docker restart a container and see its new port routed)
Try: cloudmatrix ps | cloudmatrix history | cloudmatrix routes
The legacy plan (same apps and hosts): cloudmatrix undeploy hello && cloudmatrix deploy-plan plans/applications.plan
HTTPS: cloudmatrix certs | cloudmatrix certs renew secure.matrix.test (curl --cacert $root ...)
Workers: cloudmatrix status (ticker is healthy by running) | cloudmatrix nodes --json (capacity, reserved)
Stateful: cloudmatrix backup create cache | backup restore cache | move cache NODE | volumes
Remove everything: cloudmatrix undeploy stateful --delete-volumes && cloudmatrix undeploy workers && cloudmatrix undeploy https && cloudmatrix undeploy hello && cloudmatrix lab down
TEXT
