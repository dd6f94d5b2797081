import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLeases } from '../../src/model/leases.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const later = NOW_S + 3600;

test('IPv4 lease: expiry, MAC, address, hostname, client id', () => {
  const p = parseLeases(`${later} 52:54:00:aa:bb:01 10.77.0.11 node1 01:52:54:00:aa:bb:01\n`, NOW);
  assert.deepEqual(p.warnings, []);
  assert.equal(p.nodes.length, 1);
  const n = p.nodes[0];
  assert.equal(n.name, 'node1');
  assert.equal(n.ip, '10.77.0.11');
  assert.equal(n.mac, '52:54:00:aa:bb:01');
  assert.equal(n.hwType, 1);
  assert.equal(n.clientId, '01:52:54:00:aa:bb:01');
  assert.deepEqual(n.expiresAt, new Date(later * 1000));
  assert.equal(n.expired, false);
  assert.deepEqual(n.ip6, []);
  assert.equal(n.line, 1);
});

test('expiry 0 is infinite: expiresAt null, never expired', () => {
  const n = parseLeases('0 52:54:00:aa:bb:01 10.77.0.11 node1 *', NOW).nodes[0];
  assert.equal(n.expiresAt, null);
  assert.equal(n.expired, false);
  assert.equal(n.clientId, null);
});

test('expired leases are marked, not dropped', () => {
  const p = parseLeases(`${NOW_S - 1} 52:54:00:aa:bb:01 10.77.0.11 node1 *\n${NOW_S} 52:54:00:aa:bb:02 10.77.0.12 node2 *`, NOW);
  assert.deepEqual(p.nodes.map((n) => [n.name, n.expired]), [['node1', true], ['node2', true]]);
});

test('non-Ethernet hardware addresses: TT-bytes and bare TT-', () => {
  const p = parseLeases(
    `${later} 06-00:11:22:33:44:55 10.77.0.11 tr1 *\n${later} 20- 10.77.0.12 ib1 ff:00:01\n${later} 00:11:22:33:44:55:66:77 10.77.0.13 long1 *`,
    NOW,
  );
  assert.deepEqual(p.warnings, []);
  assert.deepEqual(p.nodes.map((n) => [n.name, n.hwType, n.mac]), [
    ['tr1', 6, '00:11:22:33:44:55'], ['ib1', 32, null], ['long1', 1, '00:11:22:33:44:55:66:77'],
  ]);
});

test('hostname * stays out of the nodes and is kept in others', () => {
  const p = parseLeases(`${later} 52:54:00:aa:bb:01 10.77.0.11 * *\n${later} 52:54:00:aa:bb:02 10.77.0.12 node2 *`, NOW);
  assert.deepEqual(p.nodes.map((n) => n.name), ['node2']);
  assert.equal(p.others.length, 1);
  assert.equal(p.others[0].name, null);
  assert.equal(p.others[0].ip, '10.77.0.11');
});

test('duid line and IPv6 leases: addresses join the node of the same hostname', () => {
  const text = [
    `${later} 52:54:00:aa:bb:01 10.77.0.11 node1 *`,
    'duid 00:01:00:01:2c:7f:5e:11:52:54:00:00:00:01',
    `${later} 12345 fd00::11 NODE1 00:01:00:01:aa:bb`,
    `${later} T678 fd00::12 node1 00:01:00:01:aa:bb`,
    `${later} 99 fd00::99 v6only 00:02`,
    `${later} 98 fd00::98 * 00:03`,
  ].join('\n');
  const p = parseLeases(text, NOW);
  assert.deepEqual(p.warnings, []);
  assert.equal(p.serverDuid, '00:01:00:01:2c:7f:5e:11:52:54:00:00:00:01');
  assert.deepEqual(p.nodes[0].ip6, ['fd00::11', 'fd00::12']);
  assert.deepEqual(p.others.map((e) => [e.name, e.ip, e.ip6]), [['v6only', null, ['fd00::99']], [null, null, ['fd00::98']]]);
});

test('blank lines, runs of blanks, tabs and CRLF are ignored', () => {
  const text = `\n   \n${later}   52:54:00:aa:bb:01\t10.77.0.11  node1 *  \r\n\n\t${later} 52:54:00:aa:bb:02 10.77.0.12 node2 *\r\n`;
  const p = parseLeases(text, NOW);
  assert.deepEqual(p.warnings, []);
  assert.deepEqual(p.nodes.map((n) => [n.name, n.ip, n.line]), [['node1', '10.77.0.11', 3], ['node2', '10.77.0.12', 5]]);
});

test('agent-info and vendorclass lines are skipped silently', () => {
  const p = parseLeases(`${later} 52:54:00:aa:bb:01 10.77.0.11 node1 *\nagent-info 10.77.0.11 01:02\nvendorclass 10.77.0.11 61:62`, NOW);
  assert.deepEqual(p.warnings, []);
  assert.equal(p.nodes.length, 1);
});

test('malformed lines are reported with their line number and skipped', () => {
  const text = [
    `${later} 52:54:00:aa:bb:01 10.77.0.11 node1 *`,
    `${later} 52:54:00:aa:bb:02 10.77.0.12`,
    `soon 52:54:00:aa:bb:03 10.77.0.13 node3 *`,
    `${later} 52:54:00:aa:bb:04 10.77.0.256 node4 *`,
    `${later} 52:54:00:aa:bb:05 010.77.0.5 node5 *`,
    `${later} zz:54:00:aa:bb:06 10.77.0.16 node6 *`,
    `${later} 52:54:00:aa:bb:07 10.77.0.17 no"de7 *`,
    `${later} 52:54:00:aa:bb:08 10.77.0.18 node8 xyz`,
    `${later} x12 fd00::1 node9 *`,
    'duid',
    `${later} 52:54:00:aa:bb:0a 10.77.0.20 node10 * extra`,
    `${later} 52:54:00:aa:bb:0b 10.77.0.21 node11 *`,
  ].join('\n');
  const p = parseLeases(text, NOW);
  assert.deepEqual(p.nodes.map((n) => n.name), ['node1', 'node11']);
  assert.deepEqual(p.warnings.map((w) => w.line), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.match(p.warnings[0].message, /^ignoring malformed lease: expected "expiry hwaddr ip hostname client-id", got 3 fields$/);
  assert.match(p.warnings[1].message, /expiry "soon"/);
  assert.match(p.warnings[2].message, /"10\.77\.0\.256" is not an IPv4 or IPv6 address/);
  assert.match(p.warnings[4].message, /hardware address "zz:54/);
  assert.match(p.warnings[5].message, /hostname "no"de7"/);
  assert.match(p.warnings[6].message, /client id "xyz"/);
  assert.match(p.warnings[7].message, /IAID "x12"/);
});

test('same hostname twice (any case): the newest lease wins, with a warning', () => {
  const text = [
    `${later} 52:54:00:aa:bb:01 10.77.0.11 node1 *`,
    `${later + 10} 52:54:00:aa:bb:02 10.77.0.12 Node1 *`,
    `${later - 10} 52:54:00:aa:bb:03 10.77.0.13 NODE1 *`,
  ].join('\n');
  const p = parseLeases(text, NOW);
  assert.deepEqual(p.nodes.map((n) => [n.name, n.ip]), [['Node1', '10.77.0.12']]);
  assert.deepEqual(p.warnings.map((w) => w.line), [1, 3]);
  assert.match(p.warnings[0].message, /hostname node1 is leased twice: keeping the newer lease at line 2 \(10\.77\.0\.12\)/);
});

test('an infinite lease is newer than any finite one; a tie keeps the first line', () => {
  const inf = parseLeases(`${later} 52:54:00:aa:bb:01 10.77.0.11 n *\n0 52:54:00:aa:bb:02 10.77.0.12 n *\n${later + 1} 52:54:00:aa:bb:03 10.77.0.13 n *`, NOW);
  assert.equal(inf.nodes[0].ip, '10.77.0.12');
  const tie = parseLeases(`${later} 52:54:00:aa:bb:01 10.77.0.11 n *\n${later} 52:54:00:aa:bb:02 10.77.0.12 n *`, NOW);
  assert.equal(tie.nodes[0].ip, '10.77.0.11');
});

test('never throws on arbitrary text; empty text gives nothing', () => {
  assert.deepEqual(parseLeases('', NOW), { nodes: [], others: [], warnings: [], serverDuid: null });
  const junk = '\u0000\u0001 \uffff \n\n 1 2 3 4 5 6 7 \n: : : : :\n0 - 1.2.3.4 a *';
  const p = parseLeases(junk, NOW);
  assert.equal(p.nodes.length, 0);
  assert.equal(p.warnings.length, 4);
});

test('thousands of names, some repeated in other case: one node per name, newest wins', () => {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) lines.push(`${later + i} 52:54:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} 10.1.${i >> 8}.${i & 255} host${i % 2000} *`);
  lines.push(`${later + 5000} 52:54:00:ff:ff:ff 10.2.0.1 HOST7 *`);
  lines.push(`${later} 52:54:00:ff:ff:fe 10.2.0.2 host\u0010 *`);
  const p = parseLeases(lines.join('\n'), NOW);
  assert.equal(p.nodes.length, 2000);
  assert.equal(p.warnings.length, 1002);
  assert.deepEqual(p.nodes.slice(0, 2).map((n) => [n.name, n.ip]), [['host0', '10.1.7.208'], ['host1', '10.1.7.209']]);
  assert.deepEqual(p.nodes.filter((n) => n.name.toLowerCase() === 'host7').map((n) => n.ip), ['10.2.0.1']);
});
