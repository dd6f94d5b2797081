import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertStore, type CertRecord } from '../../src/adapters/tls/cert-store.js';

const rec = (host: string, file: string): CertRecord => ({
  host, app: 'web', plan: 'p', source: 'manual', file, issuer: 'ca', names: [host], notBefore: '2030-01-01T00:00:00Z',
  notAfter: '2031-01-01T00:00:00Z', fingerprint: 'AA', installedAt: '2030-01-01T00:00:00Z',
});

function store() {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-store-'));
  return { dir, s: new CertStore(join(dir, 'state'), join(dir, 'hitch'), join(dir, 'hitch.pid'), () => {}) };
}

test('install writes the PEM 0600 to the state dir and to hitch\'s dir, state dir 0700', () => {
  const { dir, s } = store();
  try {
    s.install('a.test.pem', 'PEM', [rec('a.test', 'a.test.pem'), rec('www.a.test', 'a.test.pem')]);
    for (const p of [join(dir, 'state/tls/certs/a.test.pem'), join(dir, 'hitch/a.test.pem')]) assert.equal(statSync(p).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'state/tls')).mode & 0o777, 0o700);
    assert.equal(s.pem('www.a.test'), 'PEM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('remove drops a PEM only when no other host uses it', () => {
  const { dir, s } = store();
  try {
    s.install('a.test.pem', 'PEM', [rec('a.test', 'a.test.pem'), rec('www.a.test', 'a.test.pem')]);
    assert.deepEqual(s.remove(['a.test']), []);
    assert.ok(existsSync(join(dir, 'hitch/a.test.pem')));
    assert.deepEqual(s.remove(['www.a.test']), ['a.test.pem']);
    assert.deepEqual(readdirSync(join(dir, 'hitch')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt certs.json is set aside and never empties hitch\'s dir', () => {
  const { dir, s } = store();
  const warned: string[] = [];
  try {
    s.install('a.test.pem', 'PEM', [rec('a.test', 'a.test.pem')]);
    s.install('b.test.pem', 'PEM', [rec('b.test', 'b.test.pem')]);
    writeFileSync(join(dir, 'state/tls/certs.json'), '{not json');
    const s2 = new CertStore(join(dir, 'state'), join(dir, 'hitch'), join(dir, 'hitch.pid'), (m) => warned.push(m));
    s2.remove(['c.test']);
    assert.deepEqual(readdirSync(join(dir, 'hitch')).sort(), ['a.test.pem', 'b.test.pem']);
    assert.match(warned[0] ?? '', /corrupt/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failure is recorded beside the certificate that keeps serving, and counted', () => {
  const { dir, s } = store();
  try {
    s.install('a.test.pem', 'PEM', [rec('a.test', 'a.test.pem')]);
    s.failed('a.test', { app: 'web', plan: 'p', source: 'acme' }, 'ACME: timeout', new Date('2030-02-01T00:00:00Z'));
    s.failed('a.test', { app: 'web', plan: 'p', source: 'acme' }, 'ACME: timeout', new Date('2030-02-01T00:05:00Z'));
    const r = s.record('a.test')!;
    assert.equal(r.failures, 2);
    assert.equal(r.lastError, 'ACME: timeout');
    assert.equal('file' in r && r.file, 'a.test.pem');
    assert.equal(s.pem('a.test'), 'PEM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reloading hitch without a live pid is an environment error naming the pid file', () => {
  const { dir, s } = store();
  try {
    assert.throws(() => s.reloadHitch(), /hitch: cannot read its pid file .*tls\.hitchPidFile/);
    writeFileSync(join(dir, 'hitch.pid'), '999999999\n');
    assert.throws(() => s.reloadHitch(), /hitch is not running/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
