import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlan } from '../../src/model/plan.js';
import { backupId, pinnedPlan, pinsAfter, retentionVictims, stopFirst, volumeName } from '../../src/model/stateful.js';
import type { Action, LiveNode } from '../../src/model/types.js';

const { plan } = parsePlan(`apps:
  cache:
    image: cloud/redis:7
    port: 6379
    expose: tcp
    volumes: { data: /data }
  db:
    image: cloud/db:1
    volumes: { data: /data }
    nodes: [node3]
  web:
    image: cloud/web:1
    replicas: 2
`, 'p.yaml');
const nodes: LiveNode[] = [
  { name: 'node1', ip: '10.0.0.1', reachable: true },
  { name: 'node2', ip: '10.0.0.2', reachable: false },
  { name: 'node3', ip: '10.0.0.3', reachable: true },
];
const app = (p: typeof plan, name: string) => p!.apps.find((a) => a.name === name)!;

test('pinning: a first deploy places freely; later the app stays on its node', () => {
  const free = pinnedPlan(plan!, new Map(), nodes);
  assert.equal(app(free.plan, 'cache').nodes, undefined);
  const pinned = pinnedPlan(plan!, new Map([['cache', 'node1']]), nodes);
  assert.deepEqual(app(pinned.plan, 'cache').nodes, ['node1']);
  assert.equal(pinned.down.size, 0);
  // A stateless app is never pinned, whatever the store says.
  assert.equal(app(pinnedPlan(plan!, new Map([['web', 'node1']]), nodes).plan, 'web').nodes, undefined);
});

test('pinning: a pinned app whose node is lost is down, not placed elsewhere', () => {
  const lost = pinnedPlan(plan!, new Map([['cache', 'node2']]), nodes);
  assert.deepEqual(app(lost.plan, 'cache').nodes, ['node2']);
  assert.match(lost.down.get('cache')!, /pinned to node2 \(its volumes are there\), which is unreachable: down until node2 answers again or cloudmatrix move cache NODE/);
  const gone = pinnedPlan(plan!, new Map([['cache', 'node9']]), nodes);
  assert.match(gone.down.get('cache')!, /which is gone/);
});

test('pinning: nodes: in the plan that leaves the pinned node out wins, and says so', () => {
  const r = pinnedPlan(plan!, new Map([['db', 'node1']]), nodes);
  assert.deepEqual(app(r.plan, 'db').nodes, ['node3']);
  assert.equal(r.down.size, 0);
  assert.match(r.notes[0]!, /app db: its volumes are on node1, but nodes: leaves node1 out/);
  assert.deepEqual(app(pinnedPlan(plan!, new Map([['db', 'node3']]), nodes).plan, 'db').nodes, ['node3']);
});

test('pins after a deploy: the node of the one running container of each app with volumes', () => {
  const pins = pinsAfter(plan!.apps, [{ app: 'cache', node: 'node3' }, { app: 'web', node: 'node1' }, { app: 'web', node: 'node3' }]);
  assert.deepEqual([...pins], [['cache', 'node3']]);
});

test('stop-first: stops come first, and a start on the same node takes the stopped container\'s host port', () => {
  const actions: Action[] = [
    { kind: 'start', app: 'cache', node: 'node1', revision: 'r2', image: 'i', slot: 1, name: 'p-cache-1', port: 6379, hostPort: null },
    { kind: 'stop', app: 'cache', node: 'node1', containerId: 'old', name: 'p-cache-0', revision: 'r1', reason: 'outdated' },
  ];
  const out = stopFirst(actions, (id) => (id === 'old' ? 32781 : null));
  assert.deepEqual(out.map((a) => a.kind), ['stop', 'start']);
  assert.equal((out[1] as { hostPort: number }).hostPort, 32781);
  // On another node (a move) the new one gets a port of its own.
  const moved = stopFirst([{ ...actions[0]!, node: 'node3' } as Action, actions[1]!], () => 32781);
  assert.equal((moved[1] as { hostPort: number | null }).hostPort, null);
});

test('retention keeps exactly the newest keep; ids sort by time', () => {
  const ids = [backupId(new Date('2026-01-02T03:04:05.006Z')), backupId(new Date('2026-01-02T03:04:05.007Z')), backupId(new Date('2025-12-31T23:59:59.999Z'))];
  assert.equal(ids[0], '20260102T030405006Z');
  assert.deepEqual(retentionVictims(ids, 2), ['20251231T235959999Z']);
  assert.deepEqual(retentionVictims(ids, 5), []);
  assert.deepEqual(retentionVictims(ids, 1), ['20251231T235959999Z', '20260102T030405006Z']);
});

test('volume names: plan, app and volume; a restore or a move adds a generation', () => {
  assert.equal(volumeName('stateful', 'cache', 'data'), 'stateful-cache-data');
  assert.equal(volumeName('my plan', 'cache', 'data', '2601020304'), 'my-plan-cache-data-2601020304');
});
