import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPlanCapacity, formatPlanError, parsePlan } from '../../src/model/plan.js';

const plan = (app: string) => `apps:\n  web:\n    image: cloud/web:1\n${app}`;
const errorsOf = (text: string) => parsePlan(text, 'p.yaml').errors.map(formatPlanError);

test('a range with autoscale: replicas starts at min, the defaults filled in', () => {
  const { plan: p, errors } = parsePlan(plan('    replicas: { min: 2, max: 8 }\n    autoscale: { requestsPerSecond: 50 }\n'), 'p.yaml');
  assert.deepEqual(errors, []);
  const web = p!.apps[0]!;
  assert.equal(web.replicas, 2);
  assert.deepEqual(web.replicaRange, { min: 2, max: 8 });
  assert.deepEqual(web.autoscale, { requestsPerSecond: 50, window: '30s', scaleDownDelay: '2m', windowMs: 30_000, scaleDownDelayMs: 120_000 });
});

test('a number still means a fixed count, without range or autoscale', () => {
  const web = parsePlan(plan('    replicas: 3\n'), 'p.yaml').plan!.apps[0]!;
  assert.equal(web.replicas, 3);
  assert.equal(web.replicaRange, undefined);
  assert.equal(web.autoscale, undefined);
});

test('min above max, autoscale without a range, bad fields: file:line:col errors', () => {
  assert.deepEqual(errorsOf(plan('    replicas: { min: 5, max: 2 }\n')), ['p.yaml:4:17: apps.web.replicas.min: must not exceed replicas.max (2)']);
  assert.deepEqual(errorsOf(plan('    replicas: 2\n    autoscale: { requestsPerSecond: 5 }\n')), ['p.yaml:5:5: apps.web.autoscale: needs a range of replicas: {min, max}']);
  assert.deepEqual(errorsOf(plan('    replicas: { min: 1, max: 2 }\n    autoscale: { requestsPerSecond: 0, window: 5 }\n')), [
    'p.yaml:5:18: apps.web.autoscale.requestsPerSecond: expected a number of requests per second > 0, got 0',
    'p.yaml:5:40: apps.web.autoscale.window: expected a duration like 2s or 500ms (units ms, s, m, h), got 5',
  ]);
  assert.deepEqual(errorsOf(plan('    replicas: { min: 1, mx: 2 }\n')).length > 0, true);
  assert.match(errorsOf(plan('    replicas: { min: 1, max: 2, mx: 3 }\n'))[0]!, /apps\.web\.replicas\.mx: unknown key \(did you mean max\?\)/);
  assert.match(errorsOf(plan('    replicas: lots\n'))[0]!, /apps\.web\.replicas: expected a whole number >= 0/);
  assert.match(errorsOf(plan('    replicas: { min: 1, max: 2 }\n    autoscale: { requestsPerSecond: 5, window: 10ms }\n'))[0]!, /autoscale\.window: must be from 1s to 1h/);
});

test('deploy time: max within maxPerNode x the nodes the app may use', () => {
  const parsed = parsePlan(plan('    replicas: { min: 1, max: 7 }\n    maxPerNode: 2\n    autoscale: { requestsPerSecond: 5 }\n'), 'p.yaml');
  assert.deepEqual(checkPlanCapacity(parsed.plan!, parsed.source, ['node1', 'node2', 'node3', 'node4']), []);
  assert.deepEqual(checkPlanCapacity(parsed.plan!, parsed.source, ['node1', 'node2', 'node3']).map(formatPlanError), [
    'p.yaml:4:25: apps.web.replicas.max: 7 exceeds the capacity of 6 (3 nodes x 2 per node)',
  ]);
  const pinned = parsePlan(plan('    replicas: { min: 1, max: 2 }\n    nodes: [node1]\n'), 'p.yaml');
  assert.equal(checkPlanCapacity(pinned.plan!, pinned.source, ['node1', 'node2']).length, 1);
});
