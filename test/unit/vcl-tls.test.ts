import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { routingTable } from '../../src/model/routes.js';
import { edgeOf, EDGE_DEFAULTS, type RouteApp, type RoutingTable } from '../../src/model/routing.js';
import { renderVcl, routingHash, vclView } from '../../src/model/vcl.js';
import { UserError } from '../../src/errors.js';
import { parsePlan } from '../../src/model/plan.js';

const health = { path: '/health', intervalMs: 2000, timeoutMs: 1000 };
const app = (name: string, over: Partial<RouteApp> = {}): RouteApp => ({
  name, hosts: [`${name}.matrix.test`], paths: [], director: 'round_robin', health,
  backends: [{ container: `${name}-1`, node: 'node1', address: '10.0.0.1', port: 8080 }], ...over,
});
const squash = (s: string) => s.replace(/\s+/g, ' ');
const render = (table: RoutingTable) => squash(renderVcl(table, readVclTemplates()));

test('X-Forwarded-For is the client address and X-Forwarded-Proto says whether it came through hitch', () => {
  const vcl = render({ apps: [app('web')] });
  assert.ok(vcl.includes('sub cmx_forwarded { set req.http.X-Forwarded-For = client.ip; if (std.port(local.ip) == 6086) { set req.http.X-Forwarded-Proto = "https"; } else { set req.http.X-Forwarded-Proto = "http"; } }'));
  assert.ok(vcl.includes('call cmx_forwarded; call cmx_route_host;'));
});

test('redirect: only an app with https: redirect, only for its hosts, to hitch\'s port', () => {
  const vcl = render({ apps: [app('r', { httpsRedirect: true }), app('plain')], edge: { ...EDGE_DEFAULTS, httpsPort: 8443 } });
  assert.ok(vcl.includes('sub cmx_tls_host { if (req.http.X-Cloudmatrix-App == "r") { if (req.http.X-Forwarded-Proto != "https") { return (synth(750, "https")); } } }'));
  assert.ok(vcl.includes('set resp.http.Location = "https://" + req.http.host + ":8443" + req.url;'));
  // path routes are taken only when no host matched, and then cmx_tls_host is not called
  assert.ok(vcl.includes('if (req.http.X-Cloudmatrix-App) { call cmx_tls_host; } else { call cmx_route_path; }'));
  assert.ok(render({ apps: [app('r', { httpsRedirect: true })], edge: { ...EDGE_DEFAULTS, httpsPort: 443 } }).includes('"https://" + req.http.host + "" + req.url'));
});

test('acme: challenges of its hosts go to the responder, declared only when an app needs it', () => {
  const none = render({ apps: [app('web'), app('m', { httpsRedirect: true })] });
  assert.ok(!none.includes('backend cmx_acme'));
  const vcl = render({ apps: [app('a', { acmeChallenge: true }), app('web')], edge: { ...EDGE_DEFAULTS, acmeHost: '127.0.0.2', acmePort: 9999 } });
  assert.ok(vcl.includes('backend cmx_acme { .host = "127.0.0.2"; .port = "9999"; }'));
  assert.ok(vcl.includes('if (req.http.X-Cloudmatrix-App == "a") { if (req.url ~ "^/\\.well-known/acme-challenge/") { set req.backend_hint = cmx_acme; return (pass); } }'));
});

test('the edge is validated like every other value that goes into the VCL', () => {
  const bad = (edge: object) => assert.throws(() => vclView({ apps: [app('a', { acmeChallenge: true })], edge } as RoutingTable), (e: Error) => e instanceof UserError && /edge: /.test(e.message));
  bad({ ...EDGE_DEFAULTS, acmeHost: '127.0.0.1"; }' });
  bad({ ...EDGE_DEFAULTS, acmeHost: 'localhost' });
  bad({ ...EDGE_DEFAULTS, httpsPort: 0 });
  bad({ ...EDGE_DEFAULTS, proxyPort: 70000 });
});

test('edgeOf: hitch\'s port and the responder from the config, defaults for the rest', () => {
  assert.deepEqual(edgeOf({}), EDGE_DEFAULTS);
  assert.deepEqual(edgeOf({ tls: { listen: '0.0.0.0:443' }, acme: { responder: '127.0.0.1:9000' } }), { proxyPort: 6086, httpsPort: 443, acmeHost: '127.0.0.1', acmePort: 9000 });
});

test('routing hash: TLS settings count, a table without them hashes as before', () => {
  const plain = { apps: [app('a')] };
  assert.equal(routingHash(plain), routingHash({ apps: [app('a', { httpsRedirect: false })] }));
  assert.notEqual(routingHash(plain), routingHash({ apps: [app('a', { httpsRedirect: true })] }));
  assert.notEqual(routingHash({ apps: [app('a', { httpsRedirect: true })] }), routingHash({ apps: [app('a', { httpsRedirect: true, acmeChallenge: true })] }));
});

test('plan tls/https become routing flags: acme -> challenges, redirect by default, allow -> none, off -> nothing', () => {
  const text = `domain: t.test
apps:
  a: { image: cloud/a:1, tls: acme }
  b: { image: cloud/b:1, tls: acme, https: allow }
  c: { image: cloud/c:1, tls: { cert: c.crt, key: c.key } }
  d: { image: cloud/d:1 }
  e: { image: cloud/e:1, tls: off, https: allow }
`;
  const r = parsePlan(text, 'p.yaml');
  assert.ok(r.plan, JSON.stringify(r.errors));
  const t = routingTable([{ name: 'p', plan: r.plan! }], [], () => true);
  const flags = Object.fromEntries(t.apps.map((a) => [a.name, [!!a.acmeChallenge, !!a.httpsRedirect]]));
  assert.deepEqual(flags, { a: [true, true], b: [true, false], c: [false, true], d: [false, false], e: [false, false] });
});
