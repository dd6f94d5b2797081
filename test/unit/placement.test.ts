import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diff, formatActions } from '../../src/model/diff.js';
import { appRevision } from '../../src/model/revision.js';
import { containerName, planName, slotOf } from '../../src/model/names.js';
import type { RunningContainer } from '../../src/model/types.js';
import { app, apply, converge, input, kinds, nodes, plan, PLAN } from './helpers/cluster.js';

const N3 = nodes(['node1', 'node2', 'node3']);

test('replicas spread over the nodes, one per node by default, starts named by slot', () => {
  const { actions, warnings } = diff(input(plan([app('web', { replicas: 2 })]), N3));
  assert.deepEqual(warnings, []);
  assert.deepEqual(kinds(actions), ['start web@node1', 'start web@node2']);
  const s = actions[0];
  assert.equal(s.kind, 'start');
  if (s.kind === 'start') {
    assert.deepEqual([s.name, s.slot, s.image, s.port, s.hostPort], ['hello-web-0', 0, 'cloud/web:1.0', 8080, null]);
    assert.equal(s.revision, appRevision(app('web', { replicas: 2 }), undefined));
  }
});

test('the least loaded node is chosen first across apps, then by name', () => {
  const { actions } = diff(input(plan([app('a', { replicas: 2 }), app('b', { replicas: 2 })]), N3));
  assert.deepEqual(kinds(actions), ['start a@node1', 'start a@node2', 'start b@node1', 'start b@node3']);
});

test('maxPerNode allows several per node, still evenly spread', () => {
  const { actions } = diff(input(plan([app('web', { replicas: 5, maxPerNode: 2 })]), N3));
  assert.deepEqual(kinds(actions), ['start web@node1', 'start web@node1', 'start web@node2', 'start web@node2', 'start web@node3']);
  assert.deepEqual(actions.map((a) => a.name), ['hello-web-0', 'hello-web-1', 'hello-web-0', 'hello-web-1', 'hello-web-0']);
});

test('capacity short: place what fits and warn', () => {
  const { actions, warnings } = diff(input(plan([app('web', { replicas: 5 })]), N3));
  assert.equal(actions.length, 3);
  assert.deepEqual(warnings, ['app web: 5 replicas wanted, 3 placed (3 eligible nodes, at most 1 per node)']);
});

test('nodes: constraint (case-insensitive) and unreachable nodes are not eligible', () => {
  const ns = nodes(['node1', 'node2', 'node3'], ['node2']);
  const { actions } = diff(input(plan([app('web', { replicas: 3, maxPerNode: 2, nodes: ['NODE2', 'node3'] })]), ns));
  assert.deepEqual(kinds(actions), ['start web@node3', 'start web@node3']);
});

test('matching containers are kept; nothing to do on a converged cluster', () => {
  const i = input(plan([app('web', { replicas: 2 }), app('api', { replicas: 1 })]), N3);
  const running = converge(i);
  const again = diff({ ...i, containers: running });
  assert.ok(again.actions.every((a) => a.kind === 'keep'));
  assert.equal(again.actions.length, 3);
  assert.match(formatActions(again.actions), /0 to start, 0 to stop, 3 unchanged$/);
});

test('a new revision starts new containers before stopping the old ones', () => {
  const i = input(plan([app('web', { replicas: 2 })]), N3);
  const running = converge(i);
  const next = diff({ ...i, plan: plan([app('web', { replicas: 2, image: 'cloud/web:2.0' })]), containers: running });
  assert.deepEqual(kinds(next.actions), ['start web@node1', 'start web@node2', 'stop web@node1 outdated', 'stop web@node2 outdated']);
  assert.deepEqual(next.actions.slice(0, 2).map((a) => a.name), ['hello-web-1', 'hello-web-1']);
});

test('a changed digest is a new revision; env order is not', () => {
  const a = app('web', { env: { A: '1', B: '2' } });
  const b = app('web', { env: { B: '2', A: '1' } });
  assert.equal(appRevision(a, 'sha256:1'), appRevision(b, 'sha256:1'));
  assert.notEqual(appRevision(a, 'sha256:1'), appRevision(a, 'sha256:2'));
  assert.notEqual(appRevision(a, 'sha256:1'), appRevision({ ...a, hosts: ['x.test'] }, 'sha256:2'));
  assert.equal(appRevision(a, 'sha256:1'), appRevision({ ...a, hosts: ['x.test'], director: 'random' }, 'sha256:1'));
  assert.match(appRevision(a, undefined), /^[0-9a-f]{12}$/);
});

test('fixed host ports: at most one per node, and the old container stops first on that node', () => {
  const i = input(plan([app('web', { replicas: 3, maxPerNode: 3, hostPort: 8081 })]), N3);
  const first = diff(i);
  assert.deepEqual(kinds(first.actions), ['start web@node1', 'start web@node2', 'start web@node3']);
  const running = apply([], first.actions);
  const next = diff({ ...i, plan: plan([app('web', { replicas: 3, hostPort: 8081, image: 'cloud/web:2' })]), containers: running });
  assert.deepEqual(kinds(next.actions), [
    'stop web@node1 outdated', 'stop web@node2 outdated', 'stop web@node3 outdated',
    'start web@node1', 'start web@node2', 'start web@node3',
  ]);
});

test('a gone or unreachable node loses its containers to the others', () => {
  const i = input(plan([app('web', { replicas: 2 })]), N3);
  const running = converge(i);
  const gone = diff({ ...i, nodes: nodes(['node2', 'node3']), containers: running });
  assert.deepEqual(kinds(gone.actions), ['start web@node3', 'stop web@node1 node-gone', 'keep web@node2']);
  const down = diff({ ...i, nodes: nodes(['node1', 'node2', 'node3'], ['node2']), containers: running });
  assert.deepEqual(kinds(down.actions), ['start web@node3', 'stop web@node2 node-unreachable', 'keep web@node1']);
});

test('exited, orphaned (never known-good) and surplus containers are replaced or removed', () => {
  const i = input(plan([app('web', { replicas: 2 })]), N3);
  const [a, b] = converge(i);
  const running: RunningContainer[] = [{ ...a, state: 'exited' }, { ...b, knownGood: false }];
  assert.deepEqual(kinds(diff({ ...i, containers: running }).actions), [
    'start web@node1', 'start web@node2', 'stop web@node1 not-running', 'stop web@node2 orphan',
  ]);
  const fewer = diff({ ...i, plan: plan([app('web', { replicas: 1 })]), containers: [a, b] });
  assert.deepEqual(kinds(fewer.actions), ['stop web@node2 excess', 'keep web@node1']);
});

test('apps gone from the plan are stopped; other plans and unlabelled work is left alone', () => {
  const i = input(plan([app('web')]), N3);
  const running = converge(input(plan([app('web'), app('old', { replicas: 2 })]), N3));
  const foreign: RunningContainer = { ...running[0], id: 'x', name: 'other-web-0', plan: 'other' };
  const d = diff({ ...i, containers: [...running, foreign] });
  assert.deepEqual(kinds(d.actions), ['stop old@node1 removed-from-plan', 'stop old@node2 removed-from-plan', 'keep web@node3']);
});

test('a node no longer allowed by nodes: loses its container', () => {
  const i = input(plan([app('web')]), N3);
  const running = converge(i);
  const d = diff({ ...i, plan: plan([app('web', { nodes: ['node3'] })]), containers: running });
  assert.deepEqual(kinds(d.actions), ['start web@node3', 'stop web@node1 not-allowed']);
});

test('start actions carry the image resolved against the registry', () => {
  const d = diff({ ...input(plan([app('web')]), N3), registry: '10.77.0.1:5000' });
  assert.equal(d.actions[0].kind === 'start' && d.actions[0].image, '10.77.0.1:5000/cloud/web:1.0');
});

test('formatActions prints one line per action under its app', () => {
  const i = input(plan([app('web', { replicas: 1 })]), N3);
  const running = converge(input(plan([app('web', { replicas: 2 })]), N3));
  const text = formatActions(diff({ ...i, plan: plan([app('web', { image: 'cloud/web:2' })]), containers: running }).actions);
  const rev = appRevision(app('web', { image: 'cloud/web:2' }), undefined);
  assert.equal(text, [
    'web',
    `  + start node1  hello-web-1  cloud/web:2  rev ${rev}`,
    '  - stop  node1  hello-web-0  (outdated)',
    '  - stop  node2  hello-web-0  (outdated)',
    '1 to start, 2 to stop, 0 unchanged',
  ].join('\n'));
  assert.equal(formatActions([]), 'nothing to do');
});

test('names: containerName, slotOf and planName agree', () => {
  assert.equal(containerName('hello', 'web', 3), 'hello-web-3');
  assert.equal(slotOf('/hello-web-3', 'hello', 'web'), 3);
  assert.equal(slotOf('hello-web-x', 'hello', 'web'), -1);
  assert.equal(planName('plans/hello.yaml'), 'hello');
  assert.equal(planName('applications.plan'), 'applications');
  assert.equal(PLAN, 'hello');
});
