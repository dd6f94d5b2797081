import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { renderVcl } from '../../src/model/vcl.js';
import type { RouteApp, RoutingTable } from '../../src/model/routing.js';

const VTC_DIR = fileURLToPath(new URL('../varnishtest/', import.meta.url));
const skip = spawnSync('varnishtest', ['-h']).error ? 'varnishtest is not installed: VCL behaviour tests skipped' : false;

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
};

function vclForVarnishtest(table: RoutingTable): string {
  return renderVcl(table, readVclTemplates())
    .replace(/\.host = "192\.0\.2\.(\d+)";/g, '.host = "${s$1_addr}";')
    .replace(/\.port = "1(\d{3})";/g, (_, n: string) => `.port = "\${s${Number(n)}_port}";`);
}

function varnishtest(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('varnishtest', ['-t', '60', file], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe('varnishtest: the rendered VCL against mock backends', { skip, concurrency: true }, () => {
  const files = readdirSync(VTC_DIR).filter((f) => f.endsWith('.vtc'));
  it('every .vtc case has a scenario', () => {
    assert.deepEqual(files.map((f) => f.slice(0, -4)).sort(), Object.keys(scenarios).sort());
  });
  for (const file of files) {
    const name = file.slice(0, -4);
    it(name, async () => {
      const table = scenarios[name];
      assert.ok(table, `no scenario for ${file}`);
      const vtc = readFileSync(join(VTC_DIR, file), 'utf8');
      assert.ok(vtc.includes('-vcl {@CMX_VCL@}'), `${file} has no "-vcl {@CMX_VCL@}"`);
      const dir = mkdtempSync(join(tmpdir(), 'cmx-vtc-'));
      try {
        const out = join(dir, file);
        writeFileSync(out, vtc.replace('-vcl {@CMX_VCL@}', () => `-vcl {${vclForVarnishtest(table)}}`));
        const r = await varnishtest(out);
        const lines = r.output.split('\n').filter((l) => !/^\*+ +(v1 +(CLI|debug|vsl)|dT)/.test(l));
        const first = Math.max(0, lines.findIndex((l) => l.startsWith('----')));
        assert.equal(r.code, 0, `varnishtest ${file} failed:\n${lines.slice(Math.max(0, first - 15), first + 3).join('\n')}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
