import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CHECK_CC_COMMAND, compileCheck, createVarnish, quoteCliArg, VarnishCli } from '../src/adapters/varnish.js';
import type { RoutingTable } from '../src/model/routing.js';
import { readVclTemplates } from '../src/adapters/vcl-templates.js';
import { renderVcl } from '../src/model/vcl.js';
import { median, timeRuns, type BenchResult } from './lib.js';
import { startPrivateVarnishd, type PrivateVarnishd } from './private-varnishd.js';

const health = { path: '/health', intervalMs: 3_600_000, timeoutMs: 1000 };

type Addr = (app: number, k: number) => { address: string; port: number };
/** Loopback only: port 9 (discard) answers nothing, so probes of the reload tables fail fast. */
const nowhere: Addr = (i, k) => ({ address: `127.0.${k}.${(i % 250) + 1}`, port: 9 });

/** n apps with 3 backends each; probes an hour apart so they do not load the routing benchmark. */
function table(n: number, addr: Addr = nowhere, extraHost = ''): RoutingTable {
  return {
    apps: Array.from({ length: n }, (_, i) => ({
      name: `app${i}`,
      hosts: [`app${i}.bench.test`, ...(extraHost && i === 0 ? [extraHost] : [])],
      paths: [],
      director: 'round_robin' as const,
      health,
      backends: [0, 1, 2].map((k) => ({ container: `app${i}-${k}`, node: `node${k + 1}`, ...addr(i, k) })),
    })),
  };
}

async function renderBench(): Promise<BenchResult> {
  const t = table(1000);
  const render = median(await timeRuns(() => renderVcl(t, readVclTemplates()), 15, 3));
  const json = median(await timeRuns(() => JSON.stringify(t), 15, 3));
  return {
    name: 'render VCL, 1,000 apps x 3 backends',
    value: render,
    unit: 'ms',
    baseline: { name: 'JSON.stringify of the table', value: json },
    ratio: render / json,
    goal: '< 100 ms',
    ok: render < 100,
  };
}

type Private = PrivateVarnishd;
const startVarnishd = () => startPrivateVarnishd({ timeoutMs: 300_000 });

function varnishadm(v: Private, ...cmd: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('varnishadm', ['-T', v.admin, '-S', v.secret, ...cmd], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`varnishadm ${cmd[0]} exited ${code}`))));
  });
}

async function reloadBench(v: Private): Promise<BenchResult[]> {
  let n = 0;
  const fresh = (apps = 1000) => renderVcl(table(apps, nowhere, `v${n++}.bench.test`), readVclTemplates());
  const fast = createVarnish({ admin: v.admin, secretFile: v.secret, precheck: false, timeoutMs: 600_000 });
  // Once with Varnish's own cc_command (-O2 -g: slow on big VCLs), then with a fast one.
  const stock = median(await timeRuns(() => fast.reload(fresh(300)), 1, 0));
  const cli = new VarnishCli({ admin: v.admin, secretFile: v.secret });
  await cli.ok(`param.set cc_command ${quoteCliArg(CHECK_CC_COMMAND)}`, 'param.set');
  cli.close();
  const check = median(await timeRuns(() => compileCheck(fresh()), 3, 0));
  const noCheck = median(await timeRuns(() => fast.reload(fresh()), 3, 1));
  fast.close();
  const full = median(await timeRuns(() => v.varnish.reload(fresh()), 3, 0));
  const file = join(v.dir, 'bench.vcl');
  const adm = median(
    await timeRuns(async () => {
      writeFileSync(file, fresh(), { mode: 0o644 });
      const name = `adm${n}`;
      await varnishadm(v, 'vcl.load', name, file);
      await varnishadm(v, 'vcl.use', name);
    }, 3, 0),
  );
  const same = fresh();
  await v.varnish.reload(same);
  const noop = median(await timeRuns(() => v.varnish.reload(same), 10, 1));
  const fastCc = `cc_command ${CHECK_CC_COMMAND}`;
  return [
    { name: 'reload 300 apps: vcl.inline + vcl.use, stock cc_command (-O2 -g)', value: stock, unit: 'ms', goal: 'recorded', ok: true },
    { name: `compile check (varnishd -C, ${fastCc}), 1,000 apps`, value: check, unit: 'ms', goal: 'recorded', ok: true },
    {
      name: `reload 1,000 apps: vcl.inline + vcl.use (CLI protocol, ${fastCc})`,
      value: noCheck,
      unit: 'ms',
      baseline: { name: 'varnishadm vcl.load + vcl.use', value: adm },
      ratio: noCheck / adm,
      goal: 'recorded',
      ok: true,
    },
    { name: 'reload 1,000 apps: check + load + use + discard', value: full, unit: 'ms', goal: 'recorded', ok: true },
    { name: 'reload, routing unchanged (no-op)', value: noop, unit: 'ms', goal: 'recorded', ok: true },
  ];
}

/** Requests/s through Varnish to one app, with keep-alive, 16 at a time, `total` requests. */
async function throughput(port: number, host: string, total: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let next = 0;
  let failed = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: `/r${next}`, headers: { Host: host }, agent }, (res) => {
        if (res.statusCode !== 200) failed++;
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => (failed++, resolve()));
      req.end();
    });
  const t = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < total) {
      next++;
      await one();
    }
  }));
  const ms = performance.now() - t;
  agent.destroy();
  if (failed > 0) throw new Error(`${failed} of ${total} requests failed`);
  return (total / ms) * 1000;
}

async function routingBench(v: Private): Promise<BenchResult> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let k = 0; k < 3; k++) {
    const s = createServer((_, res) => res.end('ok'));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    ports.push((s.address() as AddressInfo).port);
  }
  try {
    const local: Addr = (_, k) => ({ address: '127.0.0.1', port: ports[k]! });
    const one = renderVcl(table(1, local), readVclTemplates());
    const many = renderVcl(table(1000, local), readVclTemplates());
    const rps = { one: [] as number[], many: [] as number[] };
    // Alternate so drift in the machine's load hits both alike; the last app is the worst case.
    for (let round = 0; round < 3; round++) {
      await v.varnish.reload(one);
      await throughput(v.httpPort, 'app0.bench.test', 300);
      rps.one.push(await throughput(v.httpPort, 'app0.bench.test', 3000));
      await v.varnish.reload(many);
      await throughput(v.httpPort, 'app999.bench.test', 300);
      rps.many.push(await throughput(v.httpPort, 'app999.bench.test', 3000));
    }
    const a = median(rps.one);
    const b = median(rps.many);
    return {
      name: 'requests/s through Varnish, 1,000 apps routed (last app)',
      value: b,
      unit: 'req/s',
      baseline: { name: '1 app', value: a },
      ratio: b / a,
      goal: 'within 10% of 1 app',
      ok: b >= 0.9 * a,
    };
  } finally {
    for (const s of servers) s.closeAllConnections(), s.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const results = [await renderBench()];
  if (spawnSync('varnishd', ['-V']).error) {
    console.error('vcl.bench: varnishd is not installed; reload and routing benchmarks skipped');
    return results;
  }
  const v = await startVarnishd();
  try {
    results.push(...(await reloadBench(v)), await routingBench(v));
  } finally {
    await v.stop();
  }
  return results;
}
