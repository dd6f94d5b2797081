import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { History, type DeployRecord } from '../../src/adapters/store/history.js';
import { acquireLock, liveLockHolder } from '../../src/adapters/store/lock.js';
import { KnownGoodStore } from '../../src/adapters/store/known-good.js';
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
    assert.deepEqual(liveLockHolder(path), lock.holder);
    lock.release();
    assert.equal(liveLockHolder(path), null, 'released: nobody holds it');
    acquireLock(path, 'again').release();
  });

  it('is held by a process until it dies, however it dies, and then taken over', async () => {
    const path = join(dir(), 'deploy.lock');
    const script = `import('${new URL('../../src/adapters/store/lock.ts', import.meta.url).pathname}').then((m) => { m.acquireLock(${JSON.stringify(path)}, 'child'); console.log('held'); setInterval(() => {}, 1000); })`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      assert.equal(liveLockHolder(path)?.pid, child.pid);
      assert.throws(() => acquireLock(path, 'me'), /another deploy holds the lock: pid/);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit').catch(() => undefined);
    }
    assert.equal(liveLockHolder(path), null, 'a SIGKILLed holder holds nothing');
    const told: string[] = [];
    acquireLock(path, 'me', (h) => told.push(h.command)).release();
    assert.deepEqual(told, ['child']);
  });

  it('lets exactly one of many processes that race for a stale lock win it', async () => {
    const path = join(dir(), 'deploy.lock');
    writeFileSync(path, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), command: 'old', startedAt: '2020-01-01T00:00:00Z' }));
    const script = `import('${new URL('../../src/adapters/store/lock.ts', import.meta.url).pathname}').then((m) => { try { m.acquireLock(${JSON.stringify(path)}, 'racer'); console.log('won'); setTimeout(() => {}, 3000); } catch (e) { console.log('lost'); } })`;
    const racers = Array.from({ length: 4 }, () => spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
    try {
      const outcomes = await Promise.all(racers.map((r) => new Promise<string>((resolve) => {
        let out = '';
        r.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/won|lost/.test(out)) resolve(out.trim());
        });
        r.once('exit', () => resolve(out.trim() || 'exited'));
      })));
      assert.deepEqual(outcomes.filter((o) => o === 'won').length, 1, outcomes.join(','));
      assert.deepEqual(outcomes.filter((o) => o === 'lost').length, 3, outcomes.join(','));
    } finally {
      for (const r of racers) r.kill('SIGKILL');
    }
  });

  it('takes over a stale lock (dead holder) and says so', () => {
    const path = join(dir(), 'deploy.lock');
    writeFileSync(path, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), command: 'old', startedAt: '2020-01-01T00:00:00Z' }));
    const told: string[] = [];
    const lock = acquireLock(path, 'new', (h) => told.push(h.command));
    assert.deepEqual(told, ['old']);
    lock.release();
  });

  it('takes a lock file with junk in it that nobody holds', () => {
    const path = join(dir(), 'deploy.lock');
    writeFileSync(path, '{"pid":');
    const told: string[] = [];
    acquireLock(path, 'x', (h) => told.push(h.command)).release();
    assert.deepEqual(told, []);
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

  it('sets a corrupt history.json (an earlier version\'s) aside with its path, reads as empty and appends to a fresh one', () => {
    const d = dir();
    const h = new History(d, (m) => warned.push(m));
    const warned: string[] = [];
    writeFileSync(h.legacyPath, '[{"id": "1", trunc');
    assert.deepEqual(h.list(), []);
    assert.equal(warned.length, 1);
    assert.match(warned[0]!, new RegExp(`${h.legacyPath} is corrupt .*set aside as ${h.legacyPath}\\.corrupt-`));
    assert.ok(readdirSync(d).some((f) => f.startsWith('history.json.corrupt-')));
    h.append(rec('2', 'r2', 'ok'));
    assert.deepEqual(h.list().map((r) => r.id), ['2']);
  });

  it('reads an earlier version\'s history.json first, and the next append folds it into history.jsonl', () => {
    const d = dir();
    const h = new History(d);
    writeFileSync(h.legacyPath, JSON.stringify([rec('1', 'r1', 'ok'), rec('2', 'r2', 'ok')], null, 2));
    assert.deepEqual(h.list().map((r) => r.id), ['1', '2']);
    h.append(rec('3', 'r3', 'ok'));
    assert.equal(existsSync(h.legacyPath), false);
    assert.deepEqual(new History(d).list().map((r) => r.id), ['1', '2', '3']);
    assert.deepEqual(h.revisions('hello', 'web').map((a) => a.revision), ['r3', 'r2', 'r1']);
  });

  it('appends one line per record; a line a crash cut short is skipped and said, the next record still reads', () => {
    const d = dir();
    const warned: string[] = [];
    const h = new History(d, (m) => warned.push(m));
    h.append(rec('1', 'r1', 'ok'));
    appendFileSync(h.path, '{"id": "2", "kind": "dep');
    assert.deepEqual(h.list().map((r) => r.id), ['1'], 'a last line without its newline may be an append in progress: skipped, not said');
    assert.equal(warned.length, 0);
    h.append(rec('3', 'r3', 'ok'));
    assert.deepEqual(h.list().map((r) => r.id), ['1', '3']);
    assert.equal(warned.length, 1);
    assert.match(warned[0]!, new RegExp(`${h.path}: line\\(s\\) 2 are not deploy records`));
  });

  it('stays bounded: cut back to the newest N records once the file has doubled since the last cut, and lists at most N', () => {
    const h = new History(dir(), undefined, { records: 10, firstCompactBytes: 2000 });
    let largest = 0;
    for (let i = 0; i < 60; i++) {
      h.append(rec(String(i), `r${i}`, 'ok'));
      largest = Math.max(largest, readFileSync(h.path, 'utf8').split('\n').filter(Boolean).length);
    }
    const ids = h.list().map((r) => r.id);
    assert.deepEqual(ids, Array.from({ length: 10 }, (_, k) => String(50 + k)));
    assert.ok(largest <= 2 * 10 + 2, `the file held ${largest} lines at most`);
  });

  it('gives distinct successful revisions newest first', () => {
    const h = new History(dir());
    for (const [id, r, res] of [['1', 'r1', 'ok'], ['2', 'r2', 'ok'], ['3', 'r3', 'failed'], ['4', 'r2', 'ok']] as const) h.append(rec(id, r, res));
    assert.deepEqual(h.revisions('hello', 'web').map((a) => a.revision), ['r2', 'r1']);
  });
});

describe('known-good containers', () => {
  it('records, answers and forgets by container id, and survives a reload', () => {
    const d = dir();
    const s = new KnownGoodStore(d);
    assert.equal(s.exists(), false);
    s.add('abc', { plan: 'hello', app: 'web', node: 'node1', name: 'hello-web-0', revision: 'r1' });
    assert.equal(s.exists(), true);
    assert.equal(new KnownGoodStore(d).has('abc'), true);
    assert.equal(new KnownGoodStore(d).get('abc')?.revision, 'r1');
    s.remove(['abc']);
    assert.equal(new KnownGoodStore(d).has('abc'), false);
  });

  it('a corrupt store is set aside and reads as empty', () => {
    const d = dir();
    const warned: string[] = [];
    const s = new KnownGoodStore(d, (m) => warned.push(m));
    writeFileSync(s.path, 'not json');
    assert.equal(s.has('x'), false);
    assert.equal(warned.length, 1);
    assert.equal(s.exists(), false);
  });
});
