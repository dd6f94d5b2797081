import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeViews } from '../../src/api/node-views.js';
import { parseCommandOption, parseCpusOption, parseMemoryOption } from '../../src/containers/args.js';
import { formatNodesTable } from '../../src/inventory/rows.js';
import { capacityCells } from '../../src/model/node-capacity.js';
import { revisionOf } from '../../src/model/container-spec.js';

test('run-container --command: blank-separated words or a JSON list; no shell, nothing empty', () => {
  assert.deepEqual(parseCommandOption('/bin/busybox sh /worker.sh'), ['/bin/busybox', 'sh', '/worker.sh']);
  assert.deepEqual(parseCommandOption('["/bin/sh", "-c", "echo a b"]'), ['/bin/sh', '-c', 'echo a b']);
  for (const bad of ['', '   ', '[]', '["a", 1]', '[', '[""]']) assert.throws(() => parseCommandOption(bad), /--command/, bad);
});

test('run-container --memory and --cpus: the plan\'s sizes, exit-2 errors naming the flag', () => {
  assert.equal(parseMemoryOption('256M'), 256 * 1024 ** 2);
  assert.equal(parseMemoryOption('268435456'), 268435456);
  assert.throws(() => parseMemoryOption('256MB'), /^UserError: --memory "256MB": expected a memory size/);
  assert.throws(() => parseMemoryOption('1M'), /at least 6M/);
  assert.equal(parseCpusOption('0.5'), 0.5);
  assert.throws(() => parseCpusOption('half'), /--cpus "half": expected a number of CPUs/);
  assert.throws(() => parseCpusOption('0'), /from 0.01/);
});

test('run-container revision: unchanged without --command/--memory/--cpus, changed by each', () => {
  const base = { imageDigest: 'sha256:a', app: 'web', containerPort: 8080, env: {} };
  const revs = new Set([revisionOf(base), revisionOf({ ...base, cmd: ['x'] }), revisionOf({ ...base, resources: { memory: 64 * 1024 ** 2 } }), revisionOf({ ...base, resources: { cpus: 1 } })]);
  assert.equal(revs.size, 4);
  assert.equal(revisionOf(base), revisionOf({ ...base }));
});

test('nodes: capacity cells and table columns only when capacity was asked', () => {
  const c = { capacity: { memory: 8 * 1024 ** 3, cpus: 2 }, reserved: { memory: 288 * 1024 ** 2, cpus: 0.6 } };
  assert.deepEqual(capacityCells(c), ['0.6/2', '288M/8G']);
  assert.deepEqual(capacityCells({ capacity: null, reserved: { memory: 0, cpus: 0 } }), ['-', '-']);
  const row = { name: 'node1', ip: '10.77.0.11', mac: null, expiresAt: null, clientId: null, expired: false };
  assert.match(formatNodesTable([row]).split('\n')[0]!, /^NAME +IP +MAC +EXPIRES +STATE$/);
  const t = formatNodesTable([{ ...row, ...c }], true).split('\n');
  assert.match(t[0]!, /STATE +CPUS +MEMORY$/);
  assert.match(t[1]!, /active +0\.6\/2 +288M\/8G$/);
});

test('API node views carry capacity and reservations where they were read', () => {
  const inv = [{ name: 'node1', ip: '10.77.0.11', mac: null, source: 'lease' as const, expiresAt: null, expired: false, clientId: null }];
  const c = { capacity: { memory: 1024, cpus: 2 }, reserved: { memory: 512, cpus: 0.5 } };
  const [v] = nodeViews(inv as never, [{ name: 'node1', ip: '10.77.0.11', reachable: true }], [], new Map([['node1', c]]));
  assert.deepEqual([v!.capacity, v!.reserved], [c.capacity, c.reserved]);
  const [w] = nodeViews(inv as never, [{ name: 'node1', ip: '10.77.0.11', reachable: true }], []);
  assert.equal('capacity' in w!, false);
});
