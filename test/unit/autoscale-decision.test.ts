import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, wanted, type AutoscalePolicy, type AutoscaleState } from '../../src/model/autoscale.js';

const policy: AutoscalePolicy = { min: 1, max: 8, target: 50, scaleDownDelayMs: 120_000 };
const at = (replicas: number, changedAt = 0): AutoscaleState => ({ replicas, changedAt, lowSince: null });

test('wanted: ceil(rate / target) within [min, max]', () => {
  assert.equal(wanted(policy, 0), 1);
  assert.equal(wanted(policy, 231), 5);
  assert.equal(wanted(policy, 250), 5);
  assert.equal(wanted(policy, 251), 6);
  assert.equal(wanted(policy, 10_000), 8);
});

test('up at once when more than 10% above what the replicas take', () => {
  assert.deepEqual(decide(policy, at(2), 231, 1000).change, { from: 2, to: 5, why: 'up' });
  assert.equal(decide(policy, at(2), 110, 1000).change, undefined);
  assert.deepEqual(decide(policy, at(2), 111, 1000).change, { from: 2, to: 3, why: 'up' });
});

test('down only after scaleDownDelay below, counted from the first low sample and the last change', () => {
  let s = at(5, 0);
  let d = decide(policy, s, 40, 10_000);
  assert.equal(d.change, undefined);
  assert.equal(d.state.lowSince, 10_000);
  s = d.state;
  d = decide(policy, s, 40, 129_999);
  assert.equal(d.change, undefined);
  d = decide(policy, d.state, 40, 130_000);
  assert.deepEqual(d.change, { from: 5, to: 1, why: 'down' });
  // a sample that asks for the current count again starts the wait over
  const broken = decide(policy, decide(policy, s, 250, 60_000).state, 40, 130_000);
  assert.equal(broken.change, undefined);
  assert.equal(broken.state.lowSince, 130_000);
});

test('a count outside a new range moves into it at once', () => {
  assert.deepEqual(decide({ ...policy, min: 3 }, at(2), 0, 5).change, { from: 2, to: 3, why: 'range' });
  assert.deepEqual(decide({ ...policy, max: 4 }, at(6), 1000, 5).change, { from: 6, to: 4, why: 'range' });
});

const policies = fc.record({
  min: fc.integer({ min: 0, max: 5 }), span: fc.integer({ min: 0, max: 20 }), target: fc.integer({ min: 1, max: 500 }),
  scaleDownDelayMs: fc.integer({ min: 1000, max: 300_000 }),
}).map(({ min, span, target, scaleDownDelayMs }) => ({ min, max: Math.max(1, min + span), target, scaleDownDelayMs }));

function run(p: AutoscalePolicy, start: number, rates: number[], stepMs: number) {
  let s = at(start, -1e9);
  const changes: { at: number; to: number }[] = [];
  rates.forEach((rate, i) => {
    const d = decide(p, s, rate, i * stepMs);
    if (d.change) changes.push({ at: i * stepMs, to: d.change.to });
    s = d.state;
  });
  return changes;
}

test('property: whatever the traffic, the count after a decision is within [min, max]', () => {
  fc.assert(
    fc.property(policies, fc.integer({ min: 0, max: 40 }), fc.array(fc.double({ min: 0, max: 50_000, noNaN: true }), { maxLength: 200 }), fc.integer({ min: 100, max: 60_000 }), (p, start, rates, step) => {
      for (const c of run(p, start, rates, step)) assert.ok(c.to >= p.min && c.to <= p.max, `${c.to} outside [${p.min}, ${p.max}]`);
    }),
  );
});

test('property: a rate oscillating around a boundary changes the count at most once per delay window', () => {
  fc.assert(
    fc.property(
      policies, fc.integer({ min: 1, max: 25 }), fc.array(fc.double({ min: -0.045, max: 0.045, noNaN: true }), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 100, max: 30_000 }),
      (p, boundary, noise, step) => {
        // the first sample may move the count into the range or up to the traffic; only the rest count
        const start = wanted(p, boundary * p.target);
        const changes = run(p, start, noise.map((u) => boundary * p.target * (1 + u)), step);
        for (let i = 1; i < changes.length; i++) {
          assert.ok(changes[i]!.at - changes[i - 1]!.at >= p.scaleDownDelayMs, `changes at ${changes[i - 1]!.at} and ${changes[i]!.at} ms`);
        }
      },
    ),
  );
});
