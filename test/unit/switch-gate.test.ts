import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SwitchGate } from '../../src/deploy/switch-gate.js';

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('SwitchGate', () => {
  it('a lone app switches at once', async () => {
    const g = new SwitchGate(60_000);
    g.begin('a');
    assert.equal(await settled(g.arrive('a')), true);
  });

  it('waits for the others of the wave to arrive or end, then lets all go together', async () => {
    const g = new SwitchGate(60_000);
    for (const a of ['a', 'b', 'c']) g.begin(a);
    const a = g.arrive('a');
    assert.equal(await settled(a), false);
    const b = g.arrive('b');
    assert.equal(await settled(b), false);
    g.end('c'); // failed before its switch
    assert.equal(await settled(a), true);
    assert.equal(await settled(b), true);
  });

  it('never holds longer than holdMs for a straggler', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const g = new SwitchGate(2000);
    g.begin('a');
    g.begin('slow');
    const a = g.arrive('a');
    t.mock.timers.tick(1999);
    assert.equal(await settled(a), false);
    t.mock.timers.tick(1);
    assert.equal(await settled(a), true);
    // the straggler then goes alone
    assert.equal(await settled(g.arrive('slow')), true);
  });
});
