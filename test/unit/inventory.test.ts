import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeNodes, buildInventory } from '../../src/model/inventory.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const LEASES = [
  '1798761600 52:54:00:aa:bb:02 10.77.0.12 node2 *',
  '1798761600 52:54:00:aa:bb:01 10.77.0.11 Node1 *',
  '1700000000 52:54:00:aa:bb:03 10.77.0.13 node3 *',
].join('\n');

test('nodes sorted by name, expired ones kept and marked', () => {
  const inv = buildInventory(LEASES, NOW);
  assert.deepEqual(inv.nodes.map((n) => [n.name, n.expired, n.source]), [
    ['Node1', false, 'lease'], ['node2', false, 'lease'], ['node3', true, 'lease'],
  ]);
  assert.deepEqual(activeNodes(inv).map((n) => n.name), ['Node1', 'node2']);
});

test('static nodes join the inventory and win over a lease of the same name', () => {
  const inv = buildInventory(LEASES, NOW, [{ name: 'node1', ip: '10.77.0.50' }, { name: 'edge', ip: '192.168.1.5' }]);
  assert.deepEqual(inv.nodes.map((n) => [n.name, n.ip, n.source]), [
    ['edge', '192.168.1.5', 'static'], ['node1', '10.77.0.50', 'static'],
    ['node2', '10.77.0.12', 'lease'], ['node3', '10.77.0.13', 'lease'],
  ]);
  assert.deepEqual(inv.warnings, [{ line: 2, message: 'Node1 is a static node at 10.77.0.50; ignoring its lease of 10.77.0.11' }]);
});

test('an empty leases file gives only the static nodes', () => {
  const inv = buildInventory('', NOW, [{ name: 'node1', ip: '10.77.0.11' }]);
  assert.deepEqual(inv.nodes.map((n) => n.name), ['node1']);
});
