import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { healthyRevision, promotedImage, textDiff } from '../../src/model/promotion.js';
import { setAppImage } from '../../src/git/plan-edit.js';

const D = `sha256:${'ab'.repeat(32)}`;

test('promotedImage: the source repository at the digest, tag dropped, registry kept', () => {
  assert.equal(promotedImage('cloud/simplewebapp1:1.0', D), `cloud/simplewebapp1@${D}`);
  assert.equal(promotedImage('10.77.0.1:5000/cloud/web:2', D), `10.77.0.1:5000/cloud/web@${D}`);
  assert.equal(promotedImage(`cloud/web@sha256:${'cd'.repeat(32)}`, D), `cloud/web@${D}`);
});

test('healthyRevision: known-good replicas that answer, all of one revision; else why not', () => {
  const r = (over: Partial<{ state: string; healthy: boolean; knownGood: boolean; revision: string }> = {}) => ({ state: 'running', healthy: true, knownGood: true, revision: 'r1', ...over });
  assert.deepEqual(healthyRevision([r(), r({ healthy: false })], 2), { revision: 'r1' });
  // an orphan of a crashed deploy, answering or not, never counts
  assert.deepEqual(healthyRevision([r({ knownGood: false, revision: 'r2' }), r()], 2), { revision: 'r1' });
  assert.match((healthyRevision([r({ healthy: false }), r({ state: 'exited' })], 2) as { why: string }).why, /^not healthy \(0 of 2 /);
  assert.match((healthyRevision([], 1) as { why: string }).why, /not healthy/);
  assert.match((healthyRevision([r(), r({ revision: 'r2' })], 2) as { why: string }).why, /runs 2 revisions at once \(r1, r2/);
});

test('textDiff: one hunk per changed run with context; nothing for no change', () => {
  const before = '# the plan\napps:\n  web:\n    image: cloud/web:1.0   # tested in staging\n    port: 8080\n';
  const after = setAppImage(before, 'hello.yaml', 'web', `cloud/web@${D}`);
  assert.equal(after, before.replace('cloud/web:1.0', `cloud/web@${D}`));
  assert.equal(textDiff('hello.yaml', before, after), [
    '--- hello.yaml', '+++ hello.yaml', '@@ -3,3 +3,3 @@', '   web:', '-    image: cloud/web:1.0   # tested in staging',
    `+    image: cloud/web@${D}   # tested in staging`, '     port: 8080',
  ].join('\n'));
  assert.equal(textDiff('x', before, before), '');
});

test('property: applying textDiff\'s hunks to the old text gives the new one', () => {
  const line = fc.constantFrom('a', 'b', 'c', '');
  fc.assert(fc.property(fc.array(line, { maxLength: 12 }), fc.array(line, { maxLength: 12 }), (a, b) => {
    const before = a.join('\n');
    const after = b.join('\n');
    const d = textDiff('f', before, after);
    if (before === after) return assert.equal(d, '');
    const lines = before.split('\n');
    const out: string[] = [];
    let pos = 0;
    const body = d.split('\n').slice(2);
    for (let i = 0; i < body.length; i++) {
      const m = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(body[i]!);
      assert.ok(m, body[i]);
      const start = Number(m[1]) - 1;
      out.push(...lines.slice(pos, start));
      pos = start;
      while (i + 1 < body.length && !body[i + 1]!.startsWith('@@')) {
        const l = body[++i]!;
        if (l[0] === ' ' || l[0] === '-') {
          assert.equal(lines[pos], l.slice(1));
          pos++;
        }
        if (l[0] === ' ' || l[0] === '+') out.push(l.slice(1));
      }
    }
    out.push(...lines.slice(pos));
    assert.equal(out.join('\n'), after);
  }));
});
