import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Slots } from '../../src/adapters/docker/slots.js';

describe('Slots', () => {
  it('property: never more than `size` tasks at once, every task runs once, in order of arrival, failures free their slot', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.array(fc.record({ ticks: fc.integer({ min: 0, max: 3 }), fail: fc.boolean() }), { maxLength: 30 }), async (size, tasks) => {
        const slots = new Slots(size);
        let running = 0;
        let peak = 0;
        const started: number[] = [];
        const results = await Promise.allSettled(
          tasks.map((t, i) =>
            slots.run(async () => {
              started.push(i);
              peak = Math.max(peak, ++running);
              for (let k = 0; k < t.ticks; k++) await Promise.resolve();
              running--;
              if (t.fail) throw new Error(`task ${i}`);
              return i;
            }),
          ),
        );
        assert.ok(peak <= size);
        assert.deepEqual(started, tasks.map((_, i) => i));
        results.forEach((r, i) => assert.equal(r.status, tasks[i]!.fail ? 'rejected' : 'fulfilled'));
        assert.equal(slots.pending, 0);
      }),
    );
  });
});
