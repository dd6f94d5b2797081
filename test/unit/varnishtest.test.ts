import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { varnishdsUnderTest, type Varnishd } from '../../src/adapters/varnish/builds.js';
import { readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { renderVcl } from '../../src/model/vcl.js';
import { renderSplitVcl } from '../../src/model/vcl-split.js';
import type { RouteApp, RoutingTable } from '../../src/model/routing.js';

const VTC_DIR = fileURLToPath(new URL('../varnishtest/', import.meta.url));
// Every Varnish under test (Debian's and the built 4.1/6.0), each with its own varnishtest.
const { found, missing } = varnishdsUnderTest();

// Backend N is varnishtest's server sN: rendered as 192.0.2.N port 1000+N, then pointed at ${sN_addr}/${sN_port}.
const s = (n: number, node = `n${n}`) => ({ container: `c${n}`, node, address: `192.0.2.${n}`, port: 1000 + n });
const health = { path: '/health', intervalMs: 3_600_000, timeoutMs: 2000 };
const app = (name: string, servers: number[], over: Partial<RouteApp> = {}): RouteApp => ({
  name,
  hosts: [`${name}.test`],
  paths: [],
  director: 'round_robin',
  health,
  backends: servers.map((n, i) => s(n, `n${i + 1}`)),
  ...over,
});

const scenarios: Record<string, RoutingTable> = {
  'two-apps-round-robin': { apps: [app('a', [1, 2]), app('b', [3, 4])] },
  'unknown-host': { apps: [app('a', [1])] },
  'all-sick': { apps: [app('a', [1, 2]), app('b', [3]), app('empty', [])] },
  'host-normalised': { apps: [app('a', [1])] },
  'path-routing': { apps: [app('a', [1], { paths: ['/a/'] }), app('b', [2], { hosts: [], paths: ['/a/b/', '/bee'] })] },
  'many-hosts': {
    apps: Array.from({ length: 40 }, (_, i) =>
      app(`n${i}`, [1], { hosts: [[`n${i}.test`, `www.n${i}.test`, `n${i}-api.test`, `api.n${i}.example.test`][i % 4]!] }),
    ),
  },
  'retry-get': {
    apps: [
      app('a', [1, 2]),
      app('h', [3, 4], { director: 'hash', hashBy: 'url' }),
      app('r', [5], { backends: [{ container: 'refused', node: 'n1', address: '127.0.0.1', port: 1 }, s(5, 'n2')] }),
      app('f', [6, 7], { director: 'fallback' }),
      app('m', [8, 9]),
    ],
  },
  limits: {
    apps: [
      app('t', [1, 2], { director: 'fallback', timeouts: { connectMs: 1000, firstByteMs: 500, betweenBytesMs: 1000 } }),
      app('b', [3, 4], { director: 'fallback', maxConnections: 1 }),
    ],
  },
  'retry-post': { apps: [app('f', [1, 2], { director: 'fallback' }), app('z', [3, 4])] },
  directors: {
    apps: [app('f', [1, 2], { director: 'fallback' }), app('h', [3], { director: 'hash', hashBy: 'url' }), app('r', [4], { director: 'random' })],
  },
  // The PROXY listener's port is given per run (@CMX_PROXY_PORT@); the responder is s9.
  'https-edge': {
    apps: [
      app('r', [1], { acmeChallenge: true, httpsRedirect: true }),
      app('a', [2], { acmeChallenge: true }),
      app('p', [3]),
      app('q', [4], { paths: ['/q/'], httpsRedirect: true }),
    ],
    edge: { proxyPort: 1, httpsPort: 6443, acmeHost: '192.0.2.9', acmePort: 1009 },
  },
};

/** A port free on loopback now, for a listener the case declares (@CMX_PROXY_PORT@). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const toServers = (vcl: string): string =>
  vcl
    .replace(/\.host = "192\.0\.2\.(\d+)";/g, '.host = "${s$1_addr}";')
    .replace(/\.port = "1(\d{3})";/g, (_, n: string) => `.port = "\${s${Number(n)}_port}";`);

function vclForVarnishtest(table: RoutingTable): string {
  return toServers(renderVcl(table, readVclTemplates()));
}

/**
 * The same case with one VCL per app under labels (Varnish 5.0+): `-vcl` loads and uses each app's
 * VCL (varnishtest names them vcl1, vcl2...), `vcl.label` names it, and the dispatch VCL comes last
 * and stays active. Backends then live in the app VCLs, so health is set by `*.name`.
 */
function labelledVarnishtest(vtc: string, table: RoutingTable): string {
  const split = renderSplitVcl(table, readVclTemplates())!;
  const steps = split.apps.map((a, i) => `-vcl {${toServers(a.vcl)}} -cliok "vcl.label ${a.label} vcl${i + 1}"`);
  return vtc
    .replace('-vcl {@CMX_VCL@}', () => [...steps, `-vcl {${split.top.vcl}}`].join(' '))
    .replace(/backend\.set_health be__/g, 'backend.set_health *.be__');
}

/**
 * The cases are written for varnishtest 6.0+. 4.1's calls the reason phrase `resp.msg`, its
 * txreq sends no Host unless told (so it has no `-nohost`), and it always opens its own listener:
 * the same requests, in its words.
 */
function vtcDialect(v: Varnishd, vtc: string): string {
  if (!v.version || v.version.major >= 5) return vtc;
  // 4.1's varnishtest adds its own `-a 127.0.0.1:0` even when -arg has one (6.0+ only then).
  return vtc.replace(/\bresp\.reason\b/g, 'resp.msg').replace(/ -nohost\b/g, '').replace('-arg "-a 127.0.0.1:0 -a ', '-arg "-a ');
}

function varnishtest(v: Varnishd, file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // varnishtest starts the varnishd it finds on PATH: the one of its own build.
    const env = { ...process.env, PATH: v.path };
    execFile(v.varnishtest, ['-t', '60', file], { maxBuffer: 16 * 1024 * 1024, env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

for (const m of missing) it(`varnishtest: the rendered VCL against mock backends [varnish ${m}]`, { skip: `varnish ${m}: varnishtest cases skipped` }, () => {});

for (const v of found) describe(`varnishtest: the rendered VCL against mock backends [varnish ${v.label}]`, { concurrency: true }, () => {
  const files = readdirSync(VTC_DIR).filter((f) => f.endsWith('.vtc'));
  it('every .vtc case has a scenario', () => {
    assert.deepEqual(files.map((f) => f.slice(0, -4)).sort(), Object.keys(scenarios).sort());
  });
  const modes = !v.version || v.version.major >= 5 ? (['single VCL', 'one VCL per app'] as const) : (['single VCL'] as const);
  for (const file of files) for (const mode of modes) {
    const name = file.slice(0, -4);
    it(mode === 'single VCL' ? name : `${name} (${mode})`, async () => {
      let table = scenarios[name];
      assert.ok(table, `no scenario for ${file}`);
      let vtc = readFileSync(join(VTC_DIR, file), 'utf8');
      if (vtc.includes('@CMX_PROXY_PORT@') && table.edge) {
        const port = await freePort();
        table = { ...table, edge: { ...table.edge, proxyPort: port } };
        vtc = vtc.replaceAll('@CMX_PROXY_PORT@', String(port));
      }
      assert.ok(vtc.includes('-vcl {@CMX_VCL@}'), `${file} has no "-vcl {@CMX_VCL@}"`);
      const dir = mkdtempSync(join(tmpdir(), 'cmx-vtc-'));
      try {
        const out = join(dir, file);
        const text = mode === 'single VCL' ? vtcDialect(v, vtc).replace('-vcl {@CMX_VCL@}', () => `-vcl {${vclForVarnishtest(table)}}`) : labelledVarnishtest(vtcDialect(v, vtc), table);
        writeFileSync(out, text);
        const r = await varnishtest(v, out);
        const lines = r.output.split('\n').filter((l) => !/^\*+ +(v1 +(CLI|debug|vsl)|dT)/.test(l));
        const first = Math.max(0, lines.findIndex((l) => l.startsWith('----')));
        assert.equal(r.code, 0, `varnish ${v.label}: varnishtest ${file} (${mode}) failed:\n${lines.slice(Math.max(0, first - 15), first + 3).join('\n')}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
