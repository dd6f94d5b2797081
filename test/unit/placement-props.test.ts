import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { diff, type DiffInput } from '../../src/model/diff.js';
import type { AppSpec } from '../../src/model/plan.js';
import type { RunningContainer } from '../../src/model/types.js';
import { app, apply, input, nodes, plan } from './helpers/cluster.js';

const NODE_NAMES = ['node1', 'node2', 'node3', 'node4', 'node5', 'node6', 'node7'];

const appArb = (name: string) =>
  fc.record({
    replicas: fc.integer({ min: 0, max: 8 }),
    maxPerNode: fc.integer({ min: 1, max: 3 }),
    nodes: fc.option(fc.subarray(NODE_NAMES, { minLength: 1 }), { nil: undefined }),
    hostPort: fc.option(fc.constant(9000), { nil: undefined }),
  }).map((o) => app(name, { ...o, hostPort: o.hostPort === undefined ? undefined : o.hostPort + name.length }));

const clusterArb = fc.record({
  apps: fc.uniqueArray(fc.constantFrom('a', 'bb', 'ccc', 'dddd', 'eeeee'), { minLength: 1 }).chain((names) => fc.tuple(...names.map(appArb))),
  nodes: fc.subarray(NODE_NAMES, { minLength: 1 }),
  unreachable: fc.subarray(NODE_NAMES, { maxLength: 2 }),
}).map(({ apps, nodes: ns, unreachable }) => input(plan(apps.map(strip)), nodes(ns, unreachable)));

function strip(a: AppSpec): AppSpec {
  const out = { ...a };
  if (out.nodes === undefined) delete out.nodes;
  if (out.hostPort === undefined) delete out.hostPort;
  return out;
}

function eligible(i: DiffInput, a: AppSpec): string[] {
  const allowed = a.nodes?.map((n) => n.toLowerCase());
  return i.nodes.filter((n) => n.reachable && (!allowed || allowed.includes(n.name.toLowerCase()))).map((n) => n.name);
}

const capacity = (i: DiffInput, a: AppSpec) => eligible(i, a).length * (a.hostPort !== undefined ? 1 : a.maxPerNode);

function countsByNode(i: DiffInput, a: AppSpec, cs: RunningContainer[]): number[] {
  return eligible(i, a).map((n) => cs.filter((c) => c.app === a.name && c.node === n).length);
}

test('every replica is placed exactly once when capacity allows, else as many as fit', () => {
  fc.assert(fc.property(clusterArb, (i) => {
    const { actions, warnings } = diff(i);
    for (const a of i.plan.apps) {
      const starts = actions.filter((x) => x.kind === 'start' && x.app === a.name).length;
      assert.equal(starts, Math.min(a.replicas, capacity(i, a)));
      assert.equal(warnings.some((w) => w.startsWith(`app ${a.name}:`)), a.replicas > capacity(i, a));
    }
  }));
});

test('spread over the eligible nodes never differs by more than one, from any start', () => {
  const withJunk = clusterArb.chain((i) =>
    fc.array(fc.record({ app: fc.constantFrom(...i.plan.apps.map((a) => a.name)), node: fc.constantFrom(...NODE_NAMES), stale: fc.boolean() }), { maxLength: 12 })
      .map((cs) => ({ i, cs })));
  fc.assert(fc.property(withJunk, ({ i, cs }) => {
    const revs = new Map(diff(i).actions.flatMap((a) => (a.kind === 'start' ? [[a.app, a.revision] as const] : [])));
    const running: RunningContainer[] = cs.map((c, k) => ({
      id: `c${k}`, name: `hello-${c.app}-${k}`, node: c.node, app: c.app, plan: 'hello', revision: c.stale ? 'old' : revs.get(c.app) ?? 'x',
      image: '', port: 8080, hostPort: null, state: 'running',
    }));
    const after = apply(running, diff({ ...i, containers: running }).actions);
    for (const a of i.plan.apps) {
      const counts = countsByNode(i, a, after);
      if (counts.length === 0) continue;
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${a.name}: ${counts}`);
      assert.ok(Math.max(...counts) <= (a.hostPort !== undefined ? 1 : a.maxPerNode));
    }
  }));
});

test('unchanged input gives no start and no stop', () => {
  fc.assert(fc.property(clusterArb, (i) => {
    const running = apply([], diff(i).actions);
    const again = diff({ ...i, containers: running });
    assert.deepEqual(again.actions.filter((a) => a.kind !== 'keep'), []);
    assert.equal(again.actions.length, running.length);
  }));
});

test('removing one node moves only that node\'s containers', () => {
  fc.assert(fc.property(clusterArb, fc.nat(), (i, pick) => {
    const running = apply([], diff(i).actions);
    const gone = i.nodes[pick % i.nodes.length].name;
    const rest = i.nodes.filter((n) => n.name !== gone);
    const { actions } = diff({ ...i, nodes: rest, containers: running });
    for (const a of actions) if (a.kind === 'stop') assert.equal(a.node, gone);
    const i2 = { ...i, nodes: rest };
    for (const a of i.plan.apps) {
      const moved = running.filter((c) => c.app === a.name && c.node === gone).length;
      const starts = actions.filter((x) => x.kind === 'start' && x.app === a.name).length;
      const kept = running.filter((c) => c.app === a.name).length - moved;
      assert.ok(starts <= moved);
      assert.equal(kept + starts, Math.min(a.replicas, capacity(i2, a)));
    }
  }));
});

test('same inputs, same actions, whatever the order of nodes and containers', () => {
  fc.assert(fc.property(clusterArb, (i) => {
    const running = apply([], diff(i).actions);
    const moved = { ...i, nodes: i.nodes.slice(1).concat(i.nodes.slice(0, 1)) };
    const a = diff({ ...i, nodes: moved.nodes, containers: running.slice(1).concat(running.slice(0, 1)) });
    const b = diff({ ...i, containers: [...running].reverse() });
    assert.deepEqual(a, b);
  }));
});
