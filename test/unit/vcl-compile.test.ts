import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCheck, formatVclErrors } from '../../src/adapters/varnish.js';
import { varnishdsUnderTest } from '../../src/adapters/varnish/builds.js';
import { atLeast } from '../../src/adapters/varnish/version.js';
import { EnvError } from '../../src/errors.js';
import { DEFAULT_TEMPLATES_DIR, readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { renderVcl } from '../../src/model/vcl.js';
import type { RouteApp, RoutingTable } from '../../src/model/routing.js';

// Every varnishd under test: Debian's and the built 4.1/6.0 (see src/adapters/varnish/builds.ts).
const { found, missing } = varnishdsUnderTest();

const health = { path: '/health', intervalMs: 2000, timeoutMs: 1000 };
const app = (name: string, over: Partial<RouteApp> = {}): RouteApp => ({
  name,
  hosts: [`${name}.matrix.test`],
  paths: [],
  director: 'round_robin',
  health,
  backends: [
    { container: `${name}-1`, node: 'node1', address: '10.0.0.1', port: 8080 },
    { container: `${name}-2`, node: 'node2', address: '10.0.0.2', port: 8081, weight: 3 },
  ],
  ...over,
});

const variants: Record<string, RoutingTable> = {
  'zero apps': { apps: [] },
  'one app without backends': { apps: [app('lonely', { backends: [] })] },
  round_robin: { apps: [app('web')] },
  fallback: { apps: [app('web', { director: 'fallback' })] },
  random: { apps: [app('web', { director: 'random' })] },
  'hash by client': { apps: [app('web', { director: 'hash' })] },
  'hash by url': { apps: [app('web', { director: 'hash', hashBy: 'url' })] },
  'paths only, every URL-safe character': {
    apps: [app('p', { hosts: [], paths: ['/', "/a.b+c(d)$e*f'g&h!i,j;k=l:m@n~o%20/", '/x'] })],
  },
  'hosts and paths mixed, many hosts': {
    apps: [app('web', { hosts: ['a.test', 'b.test', 'c.test'], paths: ['/web/'] }), app('api', { paths: ['/api/v1/', '/api/'], director: 'hash', hashBy: 'url' })],
  },
  'names that collide once sanitised or lowercased': {
    apps: ['Web', 'web', 'w.e', 'w_e', `long${'x'.repeat(55)}`].map((n, i) => app(n, { hosts: [`h${i}.test`] })),
  },
  'timeouts and maxConnections at their bounds': {
    apps: [
      app('low', { timeouts: { connectMs: 1, firstByteMs: 1, betweenBytesMs: 1 }, maxConnections: 1 }),
      app('high', { timeouts: { connectMs: 3_600_000, firstByteMs: 3_600_000, betweenBytesMs: 3_600_000 }, maxConnections: 1_000_000 }),
      app('solo', { backends: [{ container: 's', node: 'n', address: '10.0.0.9', port: 80 }] }),
    ],
  },
  'tls apps: acme and manual, redirect and allow, on 443': {
    apps: [app('r', { acmeChallenge: true, httpsRedirect: true, paths: ['/r/'] }), app('a', { acmeChallenge: true }), app('m', { httpsRedirect: true }), app('plain')],
    edge: { proxyPort: 6086, httpsPort: 443, acmeHost: '127.0.0.1', acmePort: 8702 },
  },
  'tls redirect without acme (no responder backend)': { apps: [app('m', { httpsRedirect: true })] },
    'probe settings at their bounds': {
    apps: [app('web', { health: { path: '/h?a=1&b=%20', intervalMs: 100, timeoutMs: 1, window: 64, threshold: 64 } })],
  },
};

for (const m of missing) it(`rendered VCL compiles with varnishd -C [varnish ${m}]`, { skip: `varnish ${m}: compile tests skipped` }, () => {});

for (const { label, varnishd, version } of found) describe(`rendered VCL compiles with varnishd -C [varnish ${label}]`, { concurrency: true }, () => {
  for (const [name, table] of Object.entries(variants)) {
    it(name, async () => {
      const vcl = renderVcl(table, readVclTemplates());
      const r = await compileCheck(vcl, { varnishd });
      assert.ok(r.ok, `varnish ${label}: ${formatVclErrors(r.errors)}`);
    });
  }

  it('a broken template is reported with the VCL line it produced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmx-tpl-'));
    try {
      cpSync(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
      const file = join(dir, 'routing.vcl.mustache');
      writeFileSync(file, readFileSync(file, 'utf8').replace('call cmx_route_host;', 'call cmx_route_host'));
      const vcl = renderVcl({ apps: [app('web')] }, readVclTemplates(dir));
      const r = await compileCheck(vcl, { varnishd });
      assert.equal(r.ok, false);
      const e = r.errors[0]!;
      assert.equal(vcl.split('\n')[e.line - 1], e.text);
      assert.match(formatVclErrors(r.errors), /^VCL does not compile: line \d+:\d+: .+ at: \S/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a C compiler that fails is an environment error naming it, not a VCL error', async () => {
    const vcl = renderVcl({ apps: [app('web')] }, readVclTemplates());
    await assert.rejects(compileCheck(vcl, { varnishd, ccCommand: 'exec cmx-no-such-cc %o %s' }), (err: unknown) => err instanceof EnvError && /C compiler failed .*cmx-no-such-cc/.test(err.message));
    // %D (the default flags) exists from 7.1 on; older versions run it as a command.
    if (!atLeast(version, 7, 1)) await assert.rejects(compileCheck(vcl, { varnishd, ccCommand: '%D -O0 -g0' }), /C compiler failed .*%D/);
  });

  it('an unused backend is an error Varnish reports, mapped to its line', async () => {
    const vcl = `vcl 4.0;\nbackend a { .host = "127.0.0.1"; .port = "9"; }\nbackend b { .host = "127.0.0.1"; .port = "9"; }\n`;
    const r = await compileCheck(vcl, { varnishd });
    assert.equal(r.ok, false);
    assert.equal(r.errors[0]!.line, 3);
    assert.match(r.errors[0]!.message, /Unused backend b/);
    assert.equal(r.errors[0]!.text, 'backend b { .host = "127.0.0.1"; .port = "9"; }');
  });
});
