import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { History, type DeployRecord } from '../../src/adapters/store/history.js';
import { currentHolds } from '../../src/images/holds.js';
import { pushLogPath } from '../../src/images/push-log.js';

const R = '10.77.0.1:5000';
const d = (n: number) => `sha256:${String(n).padStart(64, '0')}`;

function record(id: string, tag: string, n: number, result: 'ok' | 'failed' = 'ok'): DeployRecord {
  return {
    id, kind: 'deploy', plan: 'p', planFile: '/x/p.yaml', planHash: 'h', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', result,
    apps: [{ app: 'web', revision: `rev${n}`, image: `cloud/web:${tag}`, digest: d(n), replicas: 1, result, spec: null }],
  };
}

describe('image holds from the state dir', () => {
  it('the newest `keep` distinct successful revisions per app, and pushes younger than the grace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmx-holds-'));
    const h = new History(dir, () => undefined);
    h.append(record('a', '1', 1));
    h.append(record('b', '2', 2));
    h.append(record('c', '3', 3, 'failed'));
    h.append(record('d', '2', 2)); // the same revision again: counted once
    h.append(record('e', '4', 4));
    const now = Date.parse('2026-01-01T12:00:00Z');
    appendFileSync(pushLogPath(dir), `${JSON.stringify({ image: 'cloud/web', tag: '5', digest: d(5), time: '2026-01-01T11:30:00Z', user: 'alice' })}\n`);
    appendFileSync(pushLogPath(dir), `${JSON.stringify({ image: 'cloud/web', tag: '0', digest: d(9), time: '2026-01-01T09:00:00Z', user: 'alice' })}\n`);
    const holds = currentHolds({ registry: R, stateDir: dir, images: { keep: 2, pushGraceMinutes: 60 } }, () => undefined, now);
    assert.deepEqual(holds.map((x) => [x.repository, x.tag, x.digest, x.holder.kind]), [
      ['cloud/web', '4', d(4), 'history'],
      ['cloud/web', '2', d(2), 'history'],
      ['cloud/web', '5', d(5), 'pushed'],
    ]);
    const none = currentHolds({ registry: R, stateDir: dir, images: { keep: 1, pushGraceMinutes: 0 } }, () => undefined, now);
    assert.deepEqual(none.map((x) => x.tag), ['4']);
  });
});
