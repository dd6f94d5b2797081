import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { tlsMetrics } from '../../src/api/metrics-tls.js';
import type { CertRow } from '../../src/tls/list.js';

const row = (host: string, over: Partial<CertRow> = {}): CertRow => ({
  host, app: 'web', plan: 'p', source: 'acme', issuer: 'Pebble Intermediate CA', notAfter: '2030-01-01T00:00:00.000Z', renewAt: null,
  status: 'ok', lastError: null, lastAttempt: null, ...over,
});

test('expiry per host as a gauge, failing hosts flagged, unused hosts left out', async () => {
  const registry = new Registry();
  tlsMetrics(registry, async () => [
    row('a.test'),
    row('b.test', { status: 'failing', lastError: 'ACME: timeout' }),
    row('c.test', { status: 'missing', notAfter: null }),
    row('old.test', { status: 'unused' }),
    row('m.test', { source: 'manual' }),
  ], async (_s, fn) => fn());
  const text = await registry.metrics();
  assert.match(text, /cloudmatrix_tls_certificate_expiry_timestamp_seconds\{host="a.test",source="acme"\} 1893456000/);
  assert.match(text, /cloudmatrix_tls_certificate_expiry_timestamp_seconds\{host="m.test",source="manual"\} 1893456000/);
  assert.doesNotMatch(text, /host="c.test",source/);
  assert.doesNotMatch(text, /old\.test/);
  assert.match(text, /cloudmatrix_tls_certificate_failing\{host="b.test"\} 1/);
  assert.match(text, /cloudmatrix_tls_certificate_failing\{host="c.test"\} 1/);
  assert.match(text, /cloudmatrix_tls_certificate_failing\{host="a.test"\} 0/);
});

test('a store that cannot be read leaves the series out and is counted by the caller', async () => {
  const registry = new Registry();
  const failed: string[] = [];
  tlsMetrics(registry, async () => { throw new Error('EACCES'); }, async (s, fn) => fn().catch(() => { failed.push(s); }));
  await registry.metrics();
  assert.deepEqual(failed, ['certs', 'certs']);
});
