import { diff, type DiffInput } from '../src/model/diff.js';
import { parseLeases } from '../src/model/leases.js';
import type { AppSpec } from '../src/model/plan.js';
import type { Action, LiveNode, RunningContainer } from '../src/model/types.js';
import { median, timeRuns, type BenchResult } from './lib.js';

const LINES = 100_000;

function leasesText(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const mac = (0x525400000000 + i).toString(16).replace(/(..)(?!$)/g, '$1:');
    lines.push(`${1_800_000_000 + i} ${mac} 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} node${i} 01:${mac}`);
  }
  return `${lines.join('\n')}\n`;
}

function splitBaseline(text: string): number {
  let fields = 0;
  for (const line of text.split('\n')) fields += line.split(/\s+/).length;
  return fields;
}

/** What `nodes --json` does after the parse: every field of every node read once. */
function parseAndRead(text: string, now: Date): number {
  let chars = 0;
  for (const n of parseLeases(text, now).nodes) {
    chars += n.name.length + n.ip.length + (n.mac?.length ?? 0) + (n.clientId?.length ?? 0) + n.ip6.length;
    if (n.expiresAt !== null && !n.expired) chars += n.hwType ?? 0;
  }
  return chars;
}

async function leasesBench(): Promise<BenchResult[]> {
  const text = leasesText(LINES);
  const now = new Date(1_800_000_000_000);
  const parse = median(await timeRuns(() => parseLeases(text, now), 15, 3));
  const split = median(await timeRuns(() => splitBaseline(text), 15, 3));
  const read = median(await timeRuns(() => parseAndRead(text, now), 15, 3));
  const rate = LINES / (parse / 1000);
  const baseRate = LINES / (split / 1000);
  const readRate = LINES / (read / 1000);
  const baseline = { name: "split('\\n') + split(/\\s+/)", value: baseRate };
  return [{
    name: 'parse dnsmasq leases, 100,000 lines',
    value: rate,
    unit: 'lines/s',
    baseline,
    ratio: rate / baseRate,
    goal: '>= 1,000,000 lines/s',
    ok: rate >= 1_000_000,
  }, {
    name: 'same, then every field of every node read (nodes --json)',
    value: readRate,
    unit: 'lines/s',
    baseline,
    ratio: readRate / baseRate,
    goal: 'recorded',
    ok: true,
  }];
}

function app(i: number): AppSpec {
  return {
    name: `app${i}`, image: `cloud/app${i}:1.0`, port: 8080, replicas: 3, hosts: [`app${i}.matrix.test`], paths: [],
    health: { path: '/', interval: '2s', timeout: '1s', intervalMs: 2000, timeoutMs: 1000 },
    director: 'round_robin', env: { GREETING: `hello ${i}` }, maxPerNode: 1,
  };
}

function clusterInput(): DiffInput {
  const apps = Array.from({ length: 1000 }, (_, i) => app(i));
  const nodes: LiveNode[] = Array.from({ length: 100 }, (_, i) => ({ name: `node${String(i).padStart(3, '0')}`, ip: `10.77.1.${i}`, reachable: true }));
  const digests = new Map(apps.map((a) => [a.image, `sha256:${a.name.padEnd(64, '0')}`]));
  return { plan: { file: 'bench.yaml', format: 'yaml', domain: 'matrix.test', apps }, planName: 'bench', nodes, containers: [], digests };
}

function running(actions: Action[]): RunningContainer[] {
  return actions.flatMap((a) => (a.kind === 'start'
    ? [{ id: a.name + a.node, name: a.name, node: a.node, app: a.app, plan: 'bench', revision: a.revision, image: a.image, port: a.port, hostPort: null, state: 'running' as const }]
    : []));
}

async function placementBench(): Promise<BenchResult[]> {
  const build = median(await timeRuns(() => clusterInput(), 15, 3));
  const input = clusterInput();
  const fresh = median(await timeRuns(() => diff(input), 15, 3));
  const converged = { ...input, containers: running(diff(input).actions) };
  const steady = median(await timeRuns(() => diff(converged), 15, 3));
  const baseline = { name: 'building the input arrays', value: build };
  return [
    { name: 'placement + diff, 1,000 apps x 3 on 100 nodes, empty cluster', value: fresh, unit: 'ms', baseline, ratio: fresh / build, goal: '< 50 ms', ok: fresh < 50 },
    { name: 'placement + diff, same, converged (3,000 keeps)', value: steady, unit: 'ms', baseline, ratio: steady / build, goal: '< 50 ms', ok: steady < 50 },
  ];
}

export async function run(): Promise<BenchResult[]> {
  return [...(await leasesBench()), ...(await placementBench())];
}
