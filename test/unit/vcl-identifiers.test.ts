import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assignIdentifiers, identPart, vclView } from '../../src/model/vcl.js';
import type { RouteApp, RouteBackend } from '../../src/model/routing.js';

const VCL_IDENT = /^[a-z][a-z0-9_]*$/;
const health = { path: '/', intervalMs: 2000, timeoutMs: 1000 };
const app = (name: string, backends: RouteBackend[], i = 0): RouteApp => ({
  name,
  hosts: [`h${i}.test`],
  paths: [],
  director: 'round_robin',
  health,
  backends,
});
const be = (node: string, port: number, address = '10.0.0.1'): RouteBackend => ({ container: `${node}-${port}`, node, address, port });

/** Every identifier the VCL declares; Varnish compares them case-insensitively in one namespace. */
function identifiers(apps: RouteApp[]): string[] {
  const v = vclView({ apps });
  return [v.placeholder, ...v.probes.map((p) => p.name), ...v.backends.map((b) => b.name), ...v.directors.map((d) => d.name)];
}

function assertDistinct(ids: string[]): void {
  assert.equal(new Set(ids.map((s) => s.toLowerCase())).size, ids.length, `collision in ${ids.join(' ')}`);
  for (const id of ids) {
    assert.match(id, VCL_IDENT);
    assert.ok(id.length <= 64, `${id} is too long`);
  }
}

test('identPart lowercases and folds runs of other characters into one underscore', () => {
  assert.deepEqual(identPart('Node-1.LAN', 16), { part: 'node_1_lan', cut: false });
  assert.deepEqual(identPart('--a__b--', 16), { part: 'a_b', cut: false });
  assert.deepEqual(identPart('ßü', 16), { part: 'x', cut: false });
  assert.deepEqual(identPart('abcdefgh_ijk', 9), { part: 'abcdefgh', cut: true });
  assert.ok(!identPart('a..b', 8).part.includes('__'));
});

test('readable names when nothing collides', () => {
  const ids = identifiers([app('web', [be('node1', 8080), be('node2', 8080, '10.0.0.2')])]);
  assert.deepEqual(ids, ['cmx_unrouted', 'pr__web', 'be__web__node1__8080', 'be__web__node2__8080', 'dr__web']);
});

test('a_node25 vs a_node250: the separator keeps the old scripts\' collision apart', () => {
  const ids = identifiers([app('a', [be('node2', 50), be('node25', 5, '10.0.0.2'), be('node250', 5, '10.0.0.3')]), app('a_node2', [be('x', 50)], 1)]);
  assertDistinct(ids);
  assert.ok(ids.includes('be__a__node2__50') && ids.includes('be__a__node25__5') && ids.includes('be__a__node250__5'));
});

test('parts that sanitise alike, or differ only in case, get hash suffixes', () => {
  const ids = identifiers([app('Web', [be('n', 80)]), app('web', [be('n', 80, '10.0.0.2')], 1), app('w.e', [be('n', 80, '10.0.0.3')], 2), app('w-e', [be('n', 80, '10.0.0.4')], 3)]);
  assertDistinct(ids);
  assert.ok(ids.every((id) => id === 'cmx_unrouted' || /__[0-9a-f]{8}$/.test(id)), ids.join(' '));
});

test('same node and port twice in one app (two addresses) stay distinct', () => {
  assertDistinct(identifiers([app('web', [be('n', 80, '10.0.0.1'), be('n', 80, '10.0.0.2')])]));
});

test('long names are cut and hashed, and stay distinct', () => {
  const long = 'a'.repeat(60);
  const ids = identifiers([app(`${long}1`, [be(`${'n'.repeat(40)}1`, 65535)]), app(`${long}2`, [be(`${'n'.repeat(40)}2`, 65535)], 1)]);
  assertDistinct(ids);
});

test('identifiers are stable: the same input gives the same names', () => {
  const apps = [app('Web', [be('n', 80)]), app('web', [be('n', 80, '10.0.0.2')], 1)];
  assert.deepEqual(identifiers(apps), identifiers(structuredClone(apps)));
});

test('assignIdentifiers: a suffixed name cannot equal another base name', () => {
  const names = assignIdentifiers([
    { key: '1', prefix: 'be', parts: [['a', 24], ['b', 16], ['1', 5]] },
    { key: '2', prefix: 'be', parts: [['A', 24], ['b', 16], ['1', 5]] },
  ]);
  assert.equal(names.length, 2);
  assert.notEqual(names[0], names[1]);
  assert.ok(names.every((n) => n.split('__').length === 5));
});

test('property: any app, node and port names give distinct valid identifiers', () => {
  const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);
  const node = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /^[\x21-\x7e]+$/.test(s));
  const appsArb = fc.uniqueArray(
    fc.record({ name, nodes: fc.array(fc.tuple(node, fc.integer({ min: 1, max: 65535 })), { maxLength: 4 }) }),
    { selector: (a) => a.name, maxLength: 8 },
  );
  fc.assert(
    fc.property(appsArb, (specs) => {
      const apps = specs.map((s, i) => app(s.name, s.nodes.map(([n, p], k) => be(n, p, `10.0.${i}.${k}`)), i));
      assertDistinct(identifiers(apps));
    }),
    { numRuns: 300 },
  );
});
