import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { parseDuration, parseParallel } from '../../src/commands/flags.js';
import { demuxLogs } from '../../src/adapters/docker/demux.js';
import { mapLimit } from '../../src/deploy/limit.js';
import { UserError } from '../../src/errors.js';

function frame(stream: number, text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('deploy helpers', () => {
  it('demultiplexes Docker log frames, and leaves plain text alone', () => {
    assert.equal(demuxLogs(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more')])), 'out\nerr\nmore');
    assert.equal(demuxLogs(Buffer.from('plain tty output')), 'plain tty output');
    assert.equal(demuxLogs(Buffer.alloc(0)), '');
  });

  it('runs at most N at once and keeps the input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n * 3));
      running--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30]);
    assert.equal(peak, 2);
    assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  });

  it('parses durations and parallelism, naming the flag when they are bad', () => {
    assert.equal(parseDuration('--drain', undefined, 1000), 1000);
    assert.equal(parseDuration('--drain', '500ms', 0), 500);
    assert.equal(parseDuration('--health-timeout', '2m', 0), 120_000);
    for (const bad of ['', '5', '1h', '-1s', 'soon']) {
      assert.throws(() => parseDuration('--drain', bad, 0), (e: unknown) => e instanceof UserError && e.message.startsWith('--drain: '));
    }
    assert.equal(parseParallel(undefined), 8);
    assert.equal(parseParallel('16'), 16);
    for (const bad of ['0', '65', '1.5', 'x']) assert.throws(() => parseParallel(bad), /--parallel: /);
  });
});

test('a plan file named after a name the tool uses itself (manual) is refused before anything happens', async () => {
  const { checkedPlan } = await import('../../src/deploy/preflight.js');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const file = join(mkdtempSync(join(tmpdir(), 'cmx-reserved-')), 'manual.yaml');
  writeFileSync(file, 'domain: matrix.test\napps:\n  web:\n    image: cloud/web:1\n');
  await assert.rejects(checkedPlan(file, null), (e: unknown) => e instanceof UserError && e.message.startsWith(`${file}: the plan name "manual"`) && /reserved/.test(e.message));
});
