import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { needOf, plus, NOTHING, within, type Resources } from '../../src/model/capacity.js';
import { diff, type DiffInput } from '../../src/model/diff.js';
import type { AppSpec } from '../../src/model/plan.js';
import { checkResources } from '../../src/model/plan/resources-check.js';
import { formatPlanError } from '../../src/model/plan/types.js';
import type { LiveNode, RunningContainer } from '../../src/model/types.js';
import { app, apply, input, plan, PLAN } from './helpers/cluster.js';

const G = 1024 ** 3;
const M = 1024 ** 2;
const NODE_NAMES = ['node1', 'node2', 'node3', 'node4', 'node5'];

const nodeArb = (name: string) =>
  fc.record({
    memory: fc.constantFrom(1 * G, 2 * G, 4 * G, 8 * G),
    cpus: fc.integer({ min: 1, max: 4 }),
    reachable: fc.boolean().map((b) => b || name === 'node1'),
    known: fc.constantFrom(true, true, true, false),
  }).map((n): LiveNode => ({
    name, ip: '10.77.0.1', reachable: n.reachable, ...(n.known ? { capacity: { memory: n.memory, nanoCpus: n.cpus * 1e9 } } : {}),
  }));

const resourcesArb = fc.option(
  fc.record({
    memory: fc.option(fc.constantFrom(128 * M, 512 * M, 1 * G, 3 * G), { nil: undefined }),
    cpus: fc.option(fc.constantFrom(0.25, 0.5, 1, 2), { nil: undefined }),
  }).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))),
  { nil: undefined },
);

const appArb = (name: string) =>
  fc.record({
    replicas: fc.integer({ min: 0, max: 6 }),
    maxPerNode: fc.integer({ min: 1, max: 3 }),
    nodes: fc.option(fc.subarray(NODE_NAMES, { minLength: 1 }), { nil: undefined }),
    hostPort: fc.option(fc.constant(9000), { nil: undefined }),
    resources: resourcesArb,
  }).map((o) => {
    const a = app(name, { replicas: o.replicas, maxPerNode: o.maxPerNode });
    if (o.nodes) a.nodes = o.nodes;
    if (o.hostPort !== undefined) a.hostPort = o.hostPort + name.length;
    if (o.resources && Object.keys(o.resources).length) a.resources = o.resources;
    return a;
  });

/** Other plans' containers: at most 3 per node, each a quarter of the smallest node at most, so they fit. */
const othersArb = fc.array(
  fc.record({ node: fc.constantFrom(...NODE_NAMES), memory: fc.constantFrom(0, 64 * M, 256 * M), cpus: fc.constantFrom(0, 0.25), state: fc.constantFrom('running', 'running', 'exited') }),
  { maxLength: 8 },
).map((list) => {
  const per = new Map<string, number>();
  return list.filter((o) => (per.set(o.node, (per.get(o.node) ?? 0) + 1).get(o.node)! <= 3)).map((o, k): RunningContainer => ({
    id: `o${k}`, name: `other-x-${k}`, node: o.node, app: 'x', plan: 'other', revision: 'r', image: '', port: 8080, hostPort: null,
    state: o.state as RunningContainer['state'], reserved: { memory: o.memory, nanoCpus: o.cpus * 1e9 },
  }));
});

const clusterArb = fc.record({
  apps: fc.uniqueArray(fc.constantFrom('a', 'bb', 'ccc', 'dddd'), { minLength: 1 }).chain((names) => fc.tuple(...names.map(appArb))),
  nodes: fc.tuple(...NODE_NAMES.map(nodeArb)).chain((ns) => fc.subarray(ns, { minLength: 1 })),
  others: othersArb,
}).map(({ apps, nodes, others }) => input(plan(apps), nodes, others.filter((o) => nodes.some((n) => n.name === o.node))));

function usage(i: DiffInput, cs: readonly RunningContainer[]): Map<string, Resources> {
  const used = new Map<string, Resources>();
  for (const c of cs) {
    const a = i.plan.apps.find((x) => x.name === c.app);
    const r = c.plan === PLAN ? (a ? needOf(a) : NOTHING) : c.state === 'exited' ? NOTHING : c.reserved ?? NOTHING;
    used.set(c.node, plus(used.get(c.node) ?? NOTHING, r));
  }
  return used;
}

const eligible = (i: DiffInput, a: AppSpec) =>
  i.nodes.filter((n) => n.reachable && (!a.nodes || a.nodes.map((x) => x.toLowerCase()).includes(n.name.toLowerCase())));

test('never overcommits: on every node, what the plan places plus what others reserve stays within its capacity', () => {
  fc.assert(fc.property(clusterArb, (i) => {
    const after = apply([...i.containers], diff(i).actions);
    const used = usage(i, after);
    for (const n of i.nodes) {
      if (!n.capacity) {
        // a node whose capacity is unknown takes no replica of an app with resources
        assert.ok(!after.some((c) => c.node === n.name && c.plan === PLAN && i.plan.apps.find((a) => a.name === c.app)?.resources));
        continue;
      }
      assert.ok(within(used.get(n.name) ?? NOTHING, n.capacity), `${n.name}: ${JSON.stringify(used.get(n.name))} > ${JSON.stringify(n.capacity)}`);
    }
  }), { numRuns: 300 });
});

test('also when the plan already runs (old revisions replaced, kept ones counted once) and is deployed again', () => {
  const withRunning = clusterArb.chain((i) =>
    fc.array(fc.record({ app: fc.constantFrom(...i.plan.apps.map((a) => a.name)), node: fc.constantFrom(...i.nodes.map((n) => n.name)) }), { maxLength: 6 })
      .map((cs) => ({ i, cs })));
  fc.assert(fc.property(withRunning, ({ i, cs }) => {
    const old: RunningContainer[] = cs.map((c, k) => ({ id: `p${k}`, name: `hello-${c.app}-${k}`, node: c.node, app: c.app, plan: PLAN, revision: 'old', image: '', port: 8080, hostPort: null, state: 'running' }));
    const first = apply([...i.containers, ...old], diff({ ...i, containers: [...i.containers, ...old] }).actions);
    const second = diff({ ...i, containers: first });
    assert.deepEqual(second.actions.filter((a) => a.kind !== 'keep'), [], 'a second deploy changes nothing');
    const used = usage(i, first);
    for (const n of i.nodes) if (n.capacity) assert.ok(within(used.get(n.name) ?? NOTHING, n.capacity), n.name);
  }), { numRuns: 200 });
});

test('deterministic: the same answer twice, and whatever order nodes and containers come in', () => {
  fc.assert(fc.property(clusterArb, (i) => {
    const a = diff(i);
    assert.deepEqual(diff(i), a);
    assert.deepEqual(diff({ ...i, nodes: [...i.nodes].reverse(), containers: [...i.containers].reverse() }), a);
  }));
});

test('respects nodes:, maxPerNode and hostPort; a shortfall exactly when resources place fewer than nodes and maxPerNode allow', () => {
  fc.assert(fc.property(clusterArb, (i) => {
    const d = diff(i);
    const after = apply([...i.containers], d.actions);
    for (const a of i.plan.apps) {
      const ok = new Set(eligible(i, a).map((n) => n.name));
      const cap = a.hostPort !== undefined ? 1 : a.maxPerNode;
      const mine = after.filter((c) => c.plan === PLAN && c.app === a.name);
      for (const c of mine) assert.ok(ok.has(c.node), `${a.name} on ${c.node}`);
      for (const n of ok) assert.ok(mine.filter((c) => c.node === n).length <= cap);
      const byCount = Math.min(a.replicas, ok.size * cap);
      const short = d.shortfalls.find((s) => s.app === a.name);
      assert.equal(!!short, mine.length < byCount, `${a.name}: ${mine.length} of ${byCount}`);
      if (short) assert.equal(short.room, mine.length);
      if (!a.resources) assert.equal(mine.length, byCount);
    }
  }), { numRuns: 300 });
});

test('with capacity to spare, resources change nothing about where replicas go', () => {
  fc.assert(fc.property(clusterArb, (i) => {
    const roomy = { ...i, nodes: i.nodes.map((n) => ({ ...n, capacity: { memory: 1024 * G, nanoCpus: 1024e9 } })), containers: [] };
    const bare = { ...roomy, plan: { ...i.plan, apps: i.plan.apps.map(({ resources: _r, ...a }) => a) } };
    const where = (x: DiffInput) => diff(x).actions.map((a) => `${a.kind} ${a.app} ${a.node}`);
    assert.deepEqual(where(roomy), where(bare));
  }));
});

test('a plan that does not fit: one line per app naming the shortfall; a replica larger than any node', () => {
  const nodes: LiveNode[] = [
    { name: 'node1', ip: '10.77.0.11', reachable: true, capacity: { memory: 4 * G, nanoCpus: 2e9 } },
    { name: 'node2', ip: '10.77.0.12', reachable: true, capacity: { memory: 4 * G, nanoCpus: 2e9 } },
  ];
  const others: RunningContainer[] = [{ id: 'o', name: 'o', node: 'node1', app: 'db', plan: 'other', revision: 'r', image: '', port: 1, hostPort: null, state: 'running', reserved: { memory: Math.ceil(1.9 * G), nanoCpus: 0 } }];
  const p = plan([
    app('web', { replicas: 3, maxPerNode: 2, resources: { memory: 3 * G } }),
    app('jobs', { replicas: 1, resources: { cpus: 4 } }),
    app('small', { replicas: 2, resources: { memory: 256 * M, cpus: 0.5 } }),
  ]);
  const i = input(p, nodes, others);
  const d = diff(i);
  const source = { file: 'plans/x.yaml', locate: () => ({ line: 9, col: 5 }) };
  assert.deepEqual(checkResources(p, source, nodes, d.shortfalls).map(formatPlanError), [
    'plans/x.yaml:9:5: apps.jobs.resources.cpus: 4 CPUs is more than any node it may run on has (the most: 2 CPUs on node1)',
    'plans/x.yaml:9:5: apps.web.resources.memory: 3 replicas of 3G do not fit: the most any node has free is 3.7G (room for 1)',
  ]);
});
