import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScaleStore } from '../../src/adapters/store/scale-state.js';
import { formatHistory } from '../../src/commands/history.js';
import { parseCount } from '../../src/commands/scale.js';
import { countedPlan, keepCounts } from '../../src/deploy/scale-counts.js';
import type { CheckedPlan } from '../../src/deploy/preflight.js';
import { autoscaleNote, scaleBounds, scaledApps, type ScaleEntries } from '../../src/model/scale-counts.js';
import { UserError } from '../../src/errors.js';
import { app, plan } from './helpers/cluster.js';

const auto = { requestsPerSecond: 50, window: '30s', scaleDownDelay: '2m', windowMs: 30_000, scaleDownDelayMs: 120_000 };
const web = app('web', { replicas: 1, replicaRange: { min: 1, max: 6 }, autoscale: auto });
const api = app('api', { replicas: 2 });
const NOW = '2026-12-01T12:00:00.000Z';
const entry = (replicas: number, pinned = false, by: 'autoscale' | 'scale' = 'autoscale') => ({ replicas, by, changedAt: '2026-12-01T11:00:00.000Z', pinned });
const counts = (r: ReturnType<typeof scaledApps>) => Object.fromEntries(r.apps.map((a) => [a.name, a.replicas]));

test('a deploy of the plan file keeps the autoscaled count within the (new) range and unpins; fixed counts come from the plan', () => {
  const entries: ScaleEntries = { 'p/web': entry(5, true), 'p/api': entry(4, true, 'scale') };
  const r = scaledApps('p', [web, api], entries, 'deploy', NOW);
  assert.deepEqual(counts(r), { web: 5, api: 2 });
  assert.deepEqual(r.entries, { 'p/web': { ...entry(5), pinned: false } });
  const narrower = scaledApps('p', [{ ...web, replicaRange: { min: 1, max: 3 } }, api], entries, 'deploy', NOW);
  assert.equal(counts(narrower).web, 3);
  assert.deepEqual(narrower.entries['p/web'], { replicas: 3, by: 'deploy', changedAt: NOW, pinned: false });
  assert.equal(counts(scaledApps('p', [web], {}, 'deploy', NOW)).web, 1, 'first deploy: min');
});

test('scale sets and pins; autoscale of one app keeps the other apps\' counts and pins', () => {
  const s = scaledApps('p', [web, api], { 'p/web': entry(3) }, 'scale', NOW, { app: 'api', replicas: 3 });
  assert.deepEqual(counts(s), { web: 3, api: 3 });
  assert.deepEqual(s.entries['p/api'], { replicas: 3, by: 'scale', changedAt: NOW, pinned: true });
  const a = scaledApps('p', [web, api], { ...s.entries, 'p/web': entry(3) }, 'autoscale', NOW, { app: 'web', replicas: 4 });
  assert.deepEqual(counts(a), { web: 4, api: 3 });
  assert.equal(a.entries['p/web']!.pinned, false);
  assert.equal(a.entries['p/api']!.pinned, true);
  assert.deepEqual(scaledApps('p', [web], { 'p/gone': entry(2) }, 'rollback', NOW).entries, { 'p/web': { replicas: 1, by: 'rollback', changedAt: NOW, pinned: false } });
});

test('an autoscale decided from a stale reading does not override a pin or a count changed since', () => {
  const pinned = scaledApps('p', [web], { 'p/web': entry(2, true, 'scale') }, 'autoscale', NOW, { app: 'web', replicas: 4, from: 2 });
  assert.deepEqual([counts(pinned), pinned.applied], [{ web: 2 }, false]);
  const moved = scaledApps('p', [web], { 'p/web': entry(3) }, 'autoscale', NOW, { app: 'web', replicas: 4, from: 2 });
  assert.deepEqual([counts(moved), moved.applied], [{ web: 3 }, false]);
  const fresh = scaledApps('p', [web], { 'p/web': entry(2) }, 'autoscale', NOW, { app: 'web', replicas: 4, from: 2 });
  assert.deepEqual([counts(fresh), fresh.applied], [{ web: 4 }, true]);
  // scale by hand always applies, over a pin too
  assert.equal(counts(scaledApps('p', [web], { 'p/web': entry(2, true, 'scale') }, 'scale', NOW, { app: 'web', replicas: 5 })).web, 5);
});

test('the history note, the bounds of scale, and N as a whole number', () => {
  assert.equal(autoscaleNote('web', 2, 5, 231.4, '30s', 50), 'autoscale web 2 -> 5: 231 req/s over 30s, target 50/replica');
  assert.equal(autoscaleNote('web', 2, 1, 3.25, '5s', 10), 'autoscale web 2 -> 1: 3.3 req/s over 5s, target 10/replica');
  assert.deepEqual(scaleBounds(web, 3), { min: 1, max: 6 });
  assert.deepEqual(scaleBounds(api, 3), { min: 0, max: 3 });
  assert.equal(parseCount('4'), 4);
  for (const bad of ['-1', '2.5', 'x', '', '1234567']) assert.throws(() => parseCount(bad), (e: unknown) => e instanceof UserError && /^N: /.test(e.message));
});

test('counts are kept under the state dir; a failed app keeps its count; autoscale changes are counted by direction', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-scale-'));
  const store = new ScaleStore(dir);
  const checked: CheckedPlan = { file: 'p.yaml', name: 'p', plan: plan([web, api]), hash: 'h', source: { file: 'p.yaml', locate: () => ({ line: 1, col: 1 }) } };
  keepCounts(dir, countedPlan(dir, { ...checked, plan: plan([api]) }, 'deploy'), []);
  assert.equal(existsSync(store.path), false, 'fixed counts only: no file');
  keepCounts(dir, countedPlan(dir, checked, 'deploy'), []);
  assert.equal(store.entries()['p/web']!.replicas, 1);
  const up = countedPlan(dir, checked, 'autoscale', { app: 'web', replicas: 4 });
  assert.equal(up.checked.plan.apps.find((a) => a.name === 'web')!.replicas, 4);
  keepCounts(dir, up, [{ app: 'web', result: 'ok', started: 3, stopped: 0 }]);
  assert.equal(store.entries()['p/web']!.replicas, 4);
  const failed = countedPlan(dir, checked, 'autoscale', { app: 'web', replicas: 6 });
  keepCounts(dir, failed, [{ app: 'web', result: 'failed', started: 0, stopped: 0, error: 'x' }]);
  assert.equal(store.entries()['p/web']!.replicas, 4);
  keepCounts(dir, countedPlan(dir, checked, 'autoscale', { app: 'web', replicas: 2 }), [{ app: 'web', result: 'ok', started: 0, stopped: 2 }]);
  assert.deepEqual(store.decisions(), { web: { up: 1, down: 1 } });
  // a stale decision changes nothing and is not counted
  keepCounts(dir, countedPlan(dir, checked, 'autoscale', { app: 'web', replicas: 5, from: 4 }), [{ app: 'web', result: 'unchanged', started: 0, stopped: 0 }]);
  assert.equal(store.entries()['p/web']!.replicas, 2);
  assert.deepEqual(store.decisions(), { web: { up: 1, down: 1 } });
  // a redeploy of the plan file keeps 2, not min
  assert.equal(countedPlan(dir, checked, 'deploy').checked.plan.apps.find((a) => a.name === 'web')!.replicas, 2);
  store.replacePlan('p', {});
  assert.deepEqual(store.entries(), {});
});

test('history shows the note of a scaling', () => {
  const text = formatHistory([{
    id: 'd1', kind: 'autoscale', plan: 'p', planFile: 'p.yaml', planHash: 'h', startedAt: NOW, finishedAt: NOW, result: 'ok',
    note: 'autoscale web 2 -> 5: 231 req/s over 30s, target 50/replica', apps: [],
  }]);
  assert.match(text, /autoscale +p \(p\.yaml, plan h\)  ok\n {4}autoscale web 2 -> 5: 231 req\/s over 30s, target 50\/replica/);
});
