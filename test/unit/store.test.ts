import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { History, type DeployRecord } from '../../src/adapters/store/history.js';
import { acquireLock } from '../../src/adapters/store/lock.js';
import { EnvError } from '../../src/errors.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cmx-store-'));

describe('deploy lock', () => {
  it('is exclusive and names the holder', () => {
    const path = join(dir(), 'deploy.lock');
    const lock = acquireLock(path, 'deploy-plan a.yaml');
    assert.throws(
      () => acquireLock(path, 'deploy-plan b.yaml'),
      (e: unknown) => e instanceof EnvError && e.message.includes(`pid ${process.pid}`) && e.message.includes('deploy-plan a.yaml') && e.message.includes(lock.holder.startedAt),
    );
    lock.release();
    assert.equal(existsSync(path), false);
    acquireLock(path, 'again').release();
  });

  it('takes over a stale lock (dead holder) and says so', () => {
    const path = join(dir(), 'deploy.lock');
    writeFileSync(path, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), command: 'old', startedAt: '2020-01-01T00:00:00Z' }));
    const told: string[] = [];
    const lock = acquireLock(path, 'new', (h) => told.push(h.command));
    assert.deepEqual(told, ['old']);
    lock.release();
  });

  it('refuses an unreadable lock that is being written, takes over an old one', () => {
    const path = join(dir(), 'deploy.lock');
    writeFileSync(path, '');
    assert.throws(() => acquireLock(path, 'x'), /right now/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    acquireLock(path, 'x').release();
  });
});

describe('history', () => {
  const rec = (id: string, revision: string, result: 'ok' | 'failed'): DeployRecord => ({
    id, kind: 'deploy', plan: 'hello', planFile: 'plans/hello.yaml', planHash: 'h', startedAt: id, finishedAt: id,
    result, apps: [{ app: 'web', revision, image: 'i', digest: 'd', replicas: 1, result, spec: {} }],
  });

  it('appends and lists, newest last, filtered by app', () => {
    const h = new History(dir());
    assert.deepEqual(h.list(), []);
    h.append(rec('1', 'r1', 'ok'));
    h.append(rec('2', 'r2', 'failed'));
    assert.deepEqual(h.list().map((r) => r.id), ['1', '2']);
    assert.equal(h.list('other').length, 0);
  });

  it('gives distinct successful revisions newest first', () => {
    const h = new History(dir());
    for (const [id, r, res] of [['1', 'r1', 'ok'], ['2', 'r2', 'ok'], ['3', 'r3', 'failed'], ['4', 'r2', 'ok']] as const) h.append(rec(id, r, res));
    assert.deepEqual(h.revisions('hello', 'web').map((a) => a.revision), ['r2', 'r1']);
  });
});
