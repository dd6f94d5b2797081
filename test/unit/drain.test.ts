import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { diff } from '../../src/model/diff.js';
import { drainRefusal, planDrain } from '../../src/model/drain.js';
import type { LiveNode, RunningContainer } from '../../src/model/types.js';
import { app, converge, input, kinds, nodes, plan, PLAN } from './helpers/cluster.js';

const cordon = (ns: LiveNode[], ...names: string[]) => ns.map((n) => (names.includes(n.name) ? { ...n, cordoned: true } : n));

test('placement: a cordoned node gets nothing new and its replicas move to the other nodes', () => {
  const p = plan([app('web', { replicas: 2 })]);
  const first = converge(input(p, nodes(['node1', 'node2', 'node3'])));
  assert.deepEqual(first.map((c) => c.node).sort(), ['node1', 'node2']);
  const d = diff(input(p, cordon(nodes(['node1', 'node2', 'node3']), 'node1'), first));
  assert.deepEqual(kinds(d.actions), ['start web@node3', 'stop web@node1 cordoned', 'keep web@node2']);
  // a fresh deploy never uses it
  const fresh = converge(input(plan([app('api', { replicas: 3, maxPerNode: 2 })]), cordon(nodes(['node1', 'node2']), 'node2')));
  assert.deepEqual(fresh.map((c) => c.node), ['node1', 'node1']);
});

test('placement: an app with volumes narrowed to its cordoned node stays (drain moves it or refuses)', () => {
  const p = plan([app('db', { volumes: { data: '/data' }, nodes: ['node1'] })]);
  const running = converge(input(p, nodes(['node1', 'node2'])));
  const d = diff(input(p, cordon(nodes(['node1', 'node2']), 'node1'), running));
  assert.deepEqual(kinds(d.actions), ['keep db@node1']);
});

test('placement (property): nothing starts on a cordoned node, and no replica is lost where room remains', () => {
  const names = ['n1', 'n2', 'n3', 'n4'];
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 2 }), fc.subarray(names, { maxLength: 3 }), (replicas, maxPerNode, cordoned) => {
      const p = plan([app('web', { replicas, maxPerNode })]);
      const before = converge(input(p, nodes(names)));
      const after = converge(input(p, cordon(nodes(names), ...cordoned), before));
      assert.ok(after.every((c) => !cordoned.includes(c.node)));
      const room = (names.length - cordoned.length) * maxPerNode;
      assert.equal(after.length, Math.min(replicas, room));
    }),
    { numRuns: 200 },
  );
});

const running = (node: string, appName: string, i = 0, plan = PLAN): RunningContainer => ({
  id: `${node}-${appName}-${i}`, name: `${plan}-${appName}-${i}`, node, app: appName, plan, revision: 'r', image: 'i', port: 8080, hostPort: null, state: 'running', knownGood: true,
});

test('planDrain: a plan with replicas on the node is redeployed; other plans are left alone', () => {
  const web = plan([app('web', { replicas: 2 })]);
  const other = plan([app('api')]);
  const r = planDrain({
    node: 'node1', plans: [{ name: PLAN, plan: web }, { name: 'other', plan: other }], nodes: nodes(['node1', 'node2', 'node3']),
    containers: [running('node1', 'web'), running('node2', 'web', 1), running('node3', 'api', 0, 'other')], pins: new Map(),
  });
  assert.deepEqual(r, { plans: [PLAN], stateful: [], unplaceable: [] });
  assert.equal(drainRefusal('node1', r, false), null);
});

test('planDrain: replicas without room elsewhere refuse the drain, naming the app and why', () => {
  const web = plan([app('web', { replicas: 2 })]);
  const r = planDrain({ node: 'node1', plans: [{ name: PLAN, plan: web }], nodes: nodes(['node1', 'node2']), containers: [running('node1', 'web'), running('node2', 'web', 1)], pins: new Map() });
  assert.equal(r.unplaceable.length, 1);
  assert.deepEqual({ ...r.unplaceable[0], why: undefined }, { plan: PLAN, app: 'web', now: 2, drained: 1, why: undefined });
  assert.match(drainRefusal('node1', r, false)!, /^cannot drain node1, nothing was changed: hello\/web would run 1 of 2 replicas: 2 replicas wanted, 1 placed \(1 eligible node/);
  // memory: the other node has no room
  const big = plan([app('big', { resources: { memory: 512 * 2 ** 20 } })]);
  const ns = nodes(['node1', 'node2']).map((n) => ({ ...n, capacity: { memory: 600 * 2 ** 20, nanoCpus: 2e9 } }));
  const held = { ...running('node2', 'other', 0, 'p2'), reserved: { memory: 300 * 2 ** 20, nanoCpus: 0 } };
  const m = planDrain({ node: 'node1', plans: [{ name: PLAN, plan: big }], nodes: ns, containers: [running('node1', 'big'), held], pins: new Map() });
  assert.match(drainRefusal('node1', m, false)!, /hello\/big would run 0 of 1 replicas: not enough memory/);
  // a constraint: nodes: [node1]
  const pinned = plan([app('only', { nodes: ['node1'] })]);
  const c = planDrain({ node: 'node1', plans: [{ name: PLAN, plan: pinned }], nodes: nodes(['node1', 'node2']), containers: [running('node1', 'only')], pins: new Map() });
  assert.match(drainRefusal('node1', c, false)!, /hello\/only would run 0 of 1/);
});

test('planDrain: an app with volumes pinned to the node blocks unless moved, with a target when one exists', () => {
  const p = plan([app('db', { volumes: { data: '/data' } }), app('web')]);
  const input = {
    node: 'node1', plans: [{ name: PLAN, plan: p }], nodes: nodes(['node1', 'node2', 'node3'], ['node3']),
    containers: [running('node1', 'db'), running('node1', 'web')], pins: new Map([[`${PLAN}/db`, 'node1']]),
  };
  const r = planDrain(input);
  assert.deepEqual(r.stateful, [{ plan: PLAN, app: 'db', target: 'node2' }]);
  assert.deepEqual(r.plans, [PLAN]);
  assert.match(drainRefusal('node1', r, false)!, /apps with volumes pinned to node1: hello\/db .*--move-stateful/);
  assert.equal(drainRefusal('node1', r, true), null);
  const nowhere = planDrain({ ...input, nodes: nodes(['node1', 'node2'], ['node2']) });
  assert.deepEqual(nowhere.stateful, [{ plan: PLAN, app: 'db', target: null }]);
  assert.match(drainRefusal('node1', nowhere, true)!, /no other node may take hello\/db/);
});

test('planDrain: jobs are never placed and never block', () => {
  const p = plan([app('nightly', { schedule: '0 3 * * *', worker: true, port: 0, hosts: [] })]);
  const r = planDrain({ node: 'node1', plans: [{ name: PLAN, plan: p }], nodes: nodes(['node1']), containers: [], pins: new Map() });
  assert.deepEqual(r, { plans: [], stateful: [], unplaceable: [] });
});

test('jobNode: the least busy usable node; cordoned, unreachable, not allowed and full nodes never; why when none', async () => {
  const { jobNode } = await import('../../src/model/job-node.js');
  const ns = cordon(nodes(['node1', 'node2', 'node3'], ['node3']), 'node1');
  assert.deepEqual(jobNode({}, ns, []), { node: 'node2' });
  assert.deepEqual(jobNode({}, nodes(['a', 'b']), [running('a', 'x')]), { node: 'b' });
  assert.deepEqual(jobNode({ nodes: ['node1', 'node3'] }, ns, []), { node: null, why: 'every node it may use is unreachable or cordoned (node1: cordoned, node3: unreachable)' });
  assert.deepEqual(jobNode({ nodes: ['nodeX'] }, ns, []), { node: null, why: 'no node allowed by its nodes: (nodeX)' });
  const cap = nodes(['a']).map((n) => ({ ...n, capacity: { memory: 100, nanoCpus: 1e9 } }));
  assert.deepEqual(jobNode({ resources: { memory: 60 } }, cap, [{ ...running('a', 'y'), reserved: { memory: 50, nanoCpus: 0 } }]), { node: null, why: 'no node has room for its resources' });
  assert.deepEqual(jobNode({ resources: { memory: 50 } }, cap, [{ ...running('a', 'y'), reserved: { memory: 50, nanoCpus: 0 } }]), { node: 'a' });
});

test('nodes: a cordoned node shows STATE cordoned and cordoned: true (names case-insensitive)', async () => {
  const { formatNodesTable, withCordons } = await import('../../src/inventory/rows.js');
  const row = (name: string | null): import('../../src/inventory/rows.js').NodeRow => ({ name, ip: '10.77.0.2', mac: null, expiresAt: null, clientId: null, expired: false });
  const rows = withCordons([row('node1'), row('Node2'), row(null)], ['NODE2']);
  assert.deepEqual(rows.map((r) => r.cordoned), [false, true, undefined]);
  assert.deepEqual(formatNodesTable(rows).split('\n').slice(1).map((l) => l.trim().split(/\s+/).at(-1)), ['active', 'cordoned', 'nameless']);
});
