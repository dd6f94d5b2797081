import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { varnishncsaLines } from '../../src/adapters/status-stream.js';

// A stand-in varnishncsa (a real process: the reader's restart and stop are what is tested here;
// the real one runs in dashboard-actions.test.ts). No lab needed.
const dir = mkdtempSync(join(tmpdir(), 'cmx-ncsa-'));
const fake = join(dir, 'varnishncsa');
writeFileSync(fake, '#!/bin/sh\necho "$@" >> "$0.args"\necho "web 503"\necho "- 404"\necho boom >&2\nexit 3\n');
chmodSync(fake, 0o755);

after(() => rmSync(dir, { recursive: true, force: true }));

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await sleep(10);
  }
}

describe('varnishncsa lines', () => {
  it('passes each line on, says once why it ended, starts it again, and stops for good', async () => {
    const lines: string[] = [];
    const downs: string[] = [];
    const s = varnishncsaLines({ varnishncsa: fake, name: '/x/varnish', format: '%{X-Cloudmatrix-App}o %s', retryMs: 50, onLine: (l) => lines.push(l), onDown: (w) => downs.push(w) });
    try {
      await until(() => lines.length >= 6, 5000, 'three runs of the reader');
    } finally {
      s.stop();
    }
    assert.deepEqual(lines.slice(0, 4), ['web 503', '- 404', 'web 503', '- 404']);
    assert.equal(downs.length, 1, 'one note for one reason, not one per restart');
    assert.match(downs[0]!, /ended \(exit 3\): boom$/);
    assert.equal(readFileSync(`${fake}.args`, 'utf8').split('\n')[0], '-c -F %{X-Cloudmatrix-App}o %s -n /x/varnish');
    const seen = lines.length;
    await sleep(200);
    assert.ok(lines.length <= seen + 2, 'no restart after stop (at most the run in flight)');
    assert.equal(s.running, false);
  });

  it('a reader that is not installed is said, not thrown', async () => {
    const downs: string[] = [];
    const s = varnishncsaLines({ varnishncsa: join(dir, 'missing'), format: '%s', retryMs: 10_000, onLine: () => undefined, onDown: (w) => downs.push(w) });
    try {
      await until(() => downs.length === 1, 5000, 'the note');
    } finally {
      s.stop();
    }
    assert.match(downs[0]!, /not installed/);
    assert.equal(s.since, null);
  });
});
