import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cached } from '../../src/api/cache.js';
import { nodeViews } from '../../src/api/node-views.js';
import { parseListen, readToken } from '../../src/api/listen.js';
import type { Config } from '../../src/config.js';
import type { InventoryNode } from '../../src/model/inventory.js';

test('cached: shares a read in flight, keeps it for ttl after it ends, forgets failures', async () => {
  let t = 0;
  let reads = 0;
  let fail = false;
  const get = cached(async () => {
    reads++;
    if (fail) throw new Error('down');
    return reads;
  }, 1000, () => t);
  assert.deepEqual(await Promise.all([get(), get()]), [1, 1]);
  t = 999;
  assert.equal(await get(), 1);
  t = 1000;
  fail = true;
  await assert.rejects(get(), /down/);
  fail = false;
  assert.equal(await get(), 3);
});

test('nodeViews: lease expiry as ISO, reachability from the live view, null when not asked', () => {
  const inv = (name: string, expired: boolean): InventoryNode => ({
    name, ip: `10.0.0.${name.slice(-1)}`, ip6: [], mac: null, expiresAt: new Date('2026-01-01T00:00:00Z'), clientId: null, expired, source: 'lease',
  });
  const views = nodeViews([inv('n1', false), inv('n2', false), inv('n3', true)], [{ name: 'n1', ip: '', reachable: true }, { name: 'n2', ip: '', reachable: false }], [{ node: 'n2', message: 'no answer within 8000 ms' }]);
  assert.deepEqual(views.map((v) => [v.name, v.reachable, v.expiresAt, v.error]), [
    ['n1', true, '2026-01-01T00:00:00.000Z', undefined], ['n2', false, '2026-01-01T00:00:00.000Z', 'no answer within 8000 ms'], ['n3', null, '2026-01-01T00:00:00.000Z', undefined],
  ]);
});

test('parseListen: host:port and [v6]:port; anything else is a UserError', () => {
  assert.deepEqual(parseListen('127.0.0.1:8700'), { host: '127.0.0.1', port: 8700 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  for (const bad of ['8700', '127.0.0.1', '127.0.0.1:99999', 'a b:1', ':80']) assert.throws(() => parseListen(bad), /--listen: expected HOST:PORT/);
});

test('readToken: trimmed; a missing setting, file, or a short token is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-token-'));
  const cfg = (tokenFile?: string) => ({ api: { listen: '127.0.0.1:0', tokenFile } }) as Config;
  writeFileSync(join(dir, 't'), 'abcdefghijklmnopqrstuvwxyz\n');
  assert.equal(readToken(cfg(join(dir, 't'))), 'abcdefghijklmnopqrstuvwxyz');
  assert.throws(() => readToken(cfg()), /api\.tokenFile is not set/);
  assert.throws(() => readToken(cfg(join(dir, 'none'))), /cannot read the API token: ENOENT/);
  writeFileSync(join(dir, 's'), 'short');
  assert.throws(() => readToken(cfg(join(dir, 's'))), /at least 16 characters/);
});

