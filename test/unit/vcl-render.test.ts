import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import fc from 'fast-check';
import { readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { hostTree, pathRegex, renderVcl, routingHash, vclEscape, vclView, type HostNode } from '../../src/model/vcl.js';
import type { RouteApp, RoutingTable } from '../../src/model/routing.js';

const health = { path: '/health', intervalMs: 2000, timeoutMs: 1000 };
const app = (name: string, over: Partial<RouteApp> = {}): RouteApp => ({
  name,
  hosts: [`${name}.matrix.test`],
  paths: [],
  director: 'round_robin',
  health,
  backends: [
    { container: `${name}-1`, node: 'node1', address: '10.0.0.1', port: 8080 },
    { container: `${name}-2`, node: 'node2', address: '10.0.0.2', port: 8080 },
  ],
  ...over,
});
const squash = (s: string) => s.replace(/\s+/g, ' ');
const render = (table: RoutingTable) => renderVcl(table, readVclTemplates());
const has = (vcl: string, fragment: string) => assert.ok(squash(vcl).includes(squash(fragment)), `VCL lacks: ${fragment}`);

test('the VCL starts with vcl 4.0 and imports only std and directors', () => {
  const vcl = render({ apps: [app('web')] });
  assert.equal(vcl.split('\n')[0], 'vcl 4.0;');
  assert.deepEqual(vcl.match(/^import \w+;/gm), ['import std;', 'import directors;']);
});

test('round_robin: one director, members in order, no weights', () => {
  const vcl = render({ apps: [app('web')] });
  has(vcl, 'new dr__web = directors.round_robin(); dr__web.add_backend(be__web__node1__8080); dr__web.add_backend(be__web__node2__8080);');
  has(vcl, 'set req.backend_hint = dr__web.backend();');
});

test('fallback keeps the table order', () => {
  const a = app('web', { director: 'fallback' });
  a.backends.reverse();
  has(render({ apps: [a] }), 'new dr__web = directors.fallback(); dr__web.add_backend(be__web__node2__8080); dr__web.add_backend(be__web__node1__8080);');
});

test('random: weights as REAL, default 1.0', () => {
  const a = app('web', { director: 'random' });
  a.backends[1]!.weight = 2.5;
  const vcl = render({ apps: [a] });
  has(vcl, 'new dr__web = directors.random(); dr__web.add_backend(be__web__node1__8080, 1.0); dr__web.add_backend(be__web__node2__8080, 2.5);');
});

test('hash by client (default) or by URL', () => {
  has(render({ apps: [app('web', { director: 'hash' })] }), 'set req.backend_hint = dr__web.backend(client.identity);');
  has(render({ apps: [app('web', { director: 'hash', hashBy: 'client' })] }), 'dr__web.backend(client.identity)');
  const vcl = render({ apps: [app('web', { director: 'hash', hashBy: 'url' })] });
  has(vcl, 'new dr__web = directors.hash(); dr__web.add_backend(be__web__node1__8080, 1.0);');
  has(vcl, 'set req.backend_hint = dr__web.backend(req.url);');
});

test('one probe per app from its health settings; .initial = .threshold', () => {
  const vcl = render({ apps: [app('web'), app('api', { health: { path: '/ready?x=1', intervalMs: 500, timeoutMs: 250, window: 8, threshold: 6 } })] });
  has(vcl, 'probe pr__web { .url = "/health"; .interval = 2000ms; .timeout = 1000ms; .window = 5; .threshold = 3; .initial = 3; }');
  has(vcl, 'probe pr__api { .url = "/ready?x=1"; .interval = 500ms; .timeout = 250ms; .window = 8; .threshold = 6; .initial = 6; }');
  assert.equal(vcl.match(/^probe /gm)?.length, 2);
  assert.equal(vcl.match(/\.probe = pr__web;/g)?.length, 2);
});

test('backends carry address, quoted port and timeouts (defaults or given)', () => {
  has(render({ apps: [app('web')] }), 'backend be__web__node1__8080 { .host = "10.0.0.1"; .port = "8080"; .probe = pr__web; .connect_timeout = 2000ms; .first_byte_timeout = 30000ms; .between_bytes_timeout = 30000ms; }');
  const vcl = render({ apps: [app('web', { timeouts: { connectMs: 500, firstByteMs: 7000, betweenBytesMs: 5000 } }), app('api')] });
  has(vcl, '.probe = pr__web; .connect_timeout = 500ms; .first_byte_timeout = 7000ms; .between_bytes_timeout = 5000ms; }');
  has(vcl, '.probe = pr__api; .connect_timeout = 2000ms; .first_byte_timeout = 30000ms; .between_bytes_timeout = 30000ms; }');
});

test('maxConnections: .max_connections on every backend of that app only', () => {
  const vcl = render({ apps: [app('web', { maxConnections: 40 }), app('api')] });
  assert.equal(vcl.match(/\.max_connections = 40;/g)?.length, 2);
  assert.equal(vcl.match(/\.max_connections = /g)?.length, 2);
});

test('zero apps: still a placeholder backend, used, and every request gets the 404', () => {
  const vcl = render({ apps: [] });
  has(vcl, 'backend cmx_unrouted { .host = "127.0.0.1"; .port = "9"; }');
  has(vcl, 'set req.backend_hint = cmx_unrouted;');
  has(vcl, 'sub cmx_route_host { }');
  has(vcl, 'sub cmx_route_path { }');
  assert.doesNotMatch(vcl, /^probe /m);
  has(vcl, 'return (synth(404, "Unknown host"));');
});

test('an app without backends has a director but no probe (an unused probe does not compile)', () => {
  const vcl = render({ apps: [app('web', { backends: [] })] });
  assert.doesNotMatch(vcl, /^probe /m);
  has(vcl, 'new dr__web = directors.round_robin(); }');
  has(vcl, 'if (!std.healthy(req.backend_hint)) { return (synth(503, "No healthy backend")); }');
});

test('host routing: exact match on the normalised Host, one branch per host', () => {
  const vcl = render({ apps: [app('web', { hosts: ['web.test', 'www.web.test'] }), app('api')] });
  has(vcl, 'set req.http.host = std.tolower(regsub(req.http.host, "\\.?(:[0-9]*)?$", ""));');
  has(vcl, 'sub cmx_route_host { if (req.http.host == "web.test") { set req.http.X-Cloudmatrix-App = "web"; set req.backend_hint = dr__web.backend(); }');
  has(vcl, 'elsif (req.http.host == "www.web.test") { set req.http.X-Cloudmatrix-App = "web";');
  has(vcl, 'elsif (req.http.host == "api.matrix.test") { set req.http.X-Cloudmatrix-App = "api";');
  has(vcl, 'call cmx_route_host; if (req.http.X-Cloudmatrix-App) { call cmx_tls_host; } else { call cmx_route_path; } if (!req.http.X-Cloudmatrix-App) { return (synth(404, "Unknown host")); }');
});

/** Follows the tree as Varnish would (PCRE and JS agree on these tiny patterns). */
function leafFor(node: HostNode, host: string, depth = 0): { leaf: string[]; depth: number } {
  if (node.split) return leafFor(new RegExp(node.split.regex).test(host) ? node.split.yes : node.split.no, host, depth + 1);
  return { leaf: node.leaf.map((r) => r.host), depth };
}

test('host tree: every host reaches the leaf that holds it, in O(log n) tests', () => {
  const hostArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?(\.[a-z0-9]{1,6}){0,3}$/);
  fc.assert(
    fc.property(fc.uniqueArray(hostArb, { minLength: 1, maxLength: 300 }), (hosts) => {
      const tree = hostTree(hosts.map((host) => ({ host, app: 'a', select: 's' })));
      for (const h of hosts) {
        const { leaf, depth } = leafFor(tree, h);
        assert.ok(leaf.includes(h), `${h} not in its leaf`);
        assert.ok(leaf.length <= 8);
        assert.ok(depth <= 4 * Math.ceil(Math.log2(hosts.length + 1)) + 2, `depth ${depth} for ${hosts.length} hosts`);
      }
    }),
    { numRuns: 200 },
  );
  const many = Array.from({ length: 1000 }, (_, i) => ({ host: `app${i}.bench.test`, app: `app${i}`, select: 's' }));
  const tree = hostTree(many);
  const depths = many.map((r) => leafFor(tree, r.host).depth);
  assert.ok(Math.max(...depths) <= 12, `max depth ${Math.max(...depths)}`);
  assert.equal(leafFor(tree, 'nobody.test').leaf.includes('nobody.test'), false);
});

test('host tree renders as nested if/else with one-character tests', () => {
  const apps = Array.from({ length: 20 }, (_, i) => app(`a${i}`, { backends: [] }));
  const vcl = render({ apps });
  assert.match(vcl, /if \(req\.http\.host ~ "\^\.*\[[a-z0-9.-]+\]"\) \{/);
  for (const a of apps) has(vcl, `(req.http.host == "${a.name}.matrix.test") { set req.http.X-Cloudmatrix-App = "${a.name}";`);
});

test('path routing: only when no host route matched, longest prefix first', () => {
  const table: RoutingTable = {
    apps: [
      app('short', { hosts: [], paths: ['/a/'] }),
      app('long', { hosts: [], paths: ['/a/b/', '/z'] }),
      app('web'),
    ],
  };
  const view = vclView(table);
  assert.deepEqual(view.pathRoutes.map((r) => [r.keyword, r.app, r.regex]), [
    ['if', 'long', '^/a/b/'],
    ['elsif', 'short', '^/a/'],
    ['elsif', 'long', '^/z(/|\\?|$)'],
  ]);
  const vcl = render(table);
  has(vcl, 'sub cmx_route_path { if (req.url ~ "^/a/b/") { set req.http.X-Cloudmatrix-App = "long"; set req.backend_hint = dr__long.backend(); }');
  assert.deepEqual(view.hostTree, { split: null, leaf: [{ keyword: 'if', host: 'web.matrix.test', app: 'web', select: 'dr__web.backend()' }] });
});

test('pathRegex: literal prefix, regex characters escaped, whole segments without a trailing slash', () => {
  const re = (p: string) => new RegExp(pathRegex(p));
  assert.ok(re('/a.b/').test('/a.b/x') && !re('/a.b/').test('/axb/x'));
  assert.ok(re('/app').test('/app') && re('/app').test('/app/x') && re('/app').test('/app?q=1'));
  assert.ok(!re('/app').test('/apple') && !re('/app').test('/x/app'));
  assert.ok(re("/c++(1)$*/").test("/c++(1)$*/y") && !re('/c++(1)$*/').test('/cc(1)/'));
  assert.ok(re('/').test('/anything'));
});

test('mustache HTML escaping is off: & and quote characters reach the VCL as they are', () => {
  const vcl = render({ apps: [app('web', { paths: ["/a&b'c/"], health: { ...health, path: '/h?a=1&b=2' } })] });
  has(vcl, `req.url ~ "^/a&b'c/"`);
  has(vcl, '.url = "/h?a=1&b=2";');
  assert.doesNotMatch(vcl, /&amp;|&#39;|&quot;/);
});

test('the escape guard refuses anything that could leave a VCL string or block', () => {
  for (const s of ['a"b', 'a{b', 'a}b', 'a\nb', 'a\rb']) assert.throws(() => vclEscape(s), /refusing/);
  assert.equal(vclEscape('^/a\\.b(/|\\?|$)'), '^/a\\.b(/|\\?|$)');
});

test('hostile values never reach the VCL', () => {
  const evil = 'x"; } sub vcl_recv { return (pipe); } "';
  assert.throws(() => render({ apps: [app('web', { hosts: [evil] })] }), UserError);
  assert.throws(() => render({ apps: [app('web', { paths: [`/${evil}`] })] }), UserError);
  assert.throws(() => render({ apps: [app('web', { health: { ...health, path: `/${evil}` } })] }), UserError);
  assert.throws(() => render({ apps: [app(evil)] }), UserError);
});

test('responses name the app and the backend; synthetic 404 and 503 pages', () => {
  const vcl = render({ apps: [app('web')] });
  has(vcl, 'set beresp.http.X-Cloudmatrix-Backend = beresp.backend.name;');
  has(vcl, 'set resp.http.X-Cloudmatrix-App = req.http.X-Cloudmatrix-App;');
  has(vcl, 'unset req.http.X-Cloudmatrix-App;');
  has(vcl, 'if (resp.status == 404 || resp.status == 503) {');
  has(vcl, 'synthetic({"<!DOCTYPE html>');
});

test('templates are data: any main with partials renders; a template error names their source', () => {
  const templates = { source: 'mine/', main: 'vcl 4.0;\n{{> hello}}\n', partials: { hello: '{{#directors}}# {{name}} {{kind}}\n{{/directors}}' } };
  assert.equal(renderVcl({ apps: [app('web')] }, templates), 'vcl 4.0;\n# dr__web round_robin\n');
  assert.throws(() => renderVcl({ apps: [] }, { ...templates, main: '{{#directors}}' }), (e: Error) => e instanceof UserError && /^mine\/: cannot render VCL/.test(e.message));
});

test('rendering is deterministic; routingHash ignores app, host and path order but not backend order', () => {
  const a = app('web', { hosts: ['a.test', 'b.test'], paths: ['/x/', '/y/'] });
  const b = app('api');
  const h = routingHash({ apps: [a, b] });
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(render({ apps: [a, b] }), render({ apps: [structuredClone(a), structuredClone(b)] }));
  assert.equal(routingHash({ apps: [b, { ...a, hosts: ['b.test', 'a.test'], paths: ['/y/', '/x/'] }] }), h);
  assert.notEqual(routingHash({ apps: [{ ...a, backends: [...a.backends].reverse() }, b] }), h);
  assert.notEqual(routingHash({ apps: [a, { ...b, director: 'fallback' }] }), h);
  assert.notEqual(routingHash({ apps: [a] }), h);
  assert.notEqual(routingHash({ apps: [a, { ...b, maxConnections: 10 }] }), h);
  assert.notEqual(routingHash({ apps: [a, { ...b, timeouts: { connectMs: 1, firstByteMs: 2, betweenBytesMs: 3 } }] }), h);
});

test('1,000 apps x 3 backends render quickly', () => {
  const apps = Array.from({ length: 1000 }, (_, i) =>
    app(`app${i}`, { backends: [1, 2, 3].map((n) => ({ container: `c${i}-${n}`, node: `node${n}`, address: `10.0.${n}.${i % 250}`, port: 20000 + i })) }),
  );
  const t = performance.now();
  const vcl = render({ apps });
  assert.ok(performance.now() - t < 2000);
  assert.equal(vcl.match(/^backend /gm)?.length, 3001);
});
