import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseLeases } from '../../src/model/leases.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const byte = fc.integer({ min: 0, max: 255 });
const hex = (bs: number[]) => bs.map((b) => b.toString(16).padStart(2, '0')).join(':');

const leaseArb = fc.record({
  expiry: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4_000_000_000 })),
  hwType: fc.oneof(fc.constant(1), byte),
  hw: fc.array(byte, { minLength: 0, maxLength: 16 }),
  ip: fc.ipV4(),
  clid: fc.option(fc.array(byte, { minLength: 1, maxLength: 20 }), { nil: null }),
});

/** Written the way lease_update_file writes it (src/lease.c). */
function line(l: LeaseIn, name: string): string {
  const hw = l.hwType !== 1 || l.hw.length === 0 ? `${l.hwType.toString(16).padStart(2, '0')}-${hex(l.hw)}` : hex(l.hw);
  return `${l.expiry} ${hw} ${l.ip} ${name} ${l.clid ? hex(l.clid) : '*'}`;
}

type LeaseIn = { expiry: number; hwType: number; hw: number[]; ip: string; clid: number[] | null };

test('whatever dnsmasq writes reads back as it was', () => {
  fc.assert(fc.property(fc.array(leaseArb, { maxLength: 30 }), fc.constantFrom(' ', '  ', '\t'), (leases, sep) => {
    const text = leases.map((l, i) => line(l, `node${i}`).split(' ').join(sep)).join('\n');
    const p = parseLeases(text, NOW);
    assert.deepEqual(p.warnings, []);
    assert.equal(p.nodes.length, leases.length);
    p.nodes.forEach((n, i) => {
      const l = leases[i];
      assert.equal(n.name, `node${i}`);
      assert.equal(n.ip, l.ip);
      assert.equal(n.hwType, l.hwType);
      assert.equal(n.mac, l.hw.length === 0 ? null : hex(l.hw));
      assert.equal(n.clientId, l.clid ? hex(l.clid) : null);
      assert.deepEqual(n.expiresAt, l.expiry === 0 ? null : new Date(l.expiry * 1000));
      assert.equal(n.expired, l.expiry !== 0 && l.expiry * 1000 <= NOW.getTime());
    });
  }));
});

test('any text: never throws, every line is a node, a nameless lease, skipped or warned about', () => {
  fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => {
    const p = parseLeases(text, NOW);
    const lines = text.split('\n').length;
    assert.ok(p.nodes.length + p.others.length + p.warnings.length <= lines);
  }));
});
