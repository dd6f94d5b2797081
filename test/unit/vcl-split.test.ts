import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { labelNames, renderSplitVcl, LABEL, type SplitVcl } from '../../src/model/vcl-split.js';
import { APP, leftovers, planPrepare, planSwitch, SINGLE, TOP, type LoadedVcl } from '../../src/model/vcl-switch.js';
import type { RouteApp, RoutingTable } from '../../src/model/routing.js';

const health = { path: '/', intervalMs: 1000, timeoutMs: 500 };
const app = (name: string, over: Partial<RouteApp> = {}): RouteApp => ({
  name, plan: 'p', hosts: [`${name}.test`], paths: [], director: 'round_robin', health,
  backends: [{ container: `${name}-1`, node: 'node1', address: '10.0.0.1', port: 8000 }], ...over,
});
const split = (t: RoutingTable): SplitVcl => renderSplitVcl(t, readVclTemplates())!;
const VARNISH_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

describe('VCL labels: names', () => {
  it('cmx-<plan>-<app>, lowercased; cut or colliding names get the key hash', () => {
    assert.deepEqual(labelNames([{ plan: 'shop', name: 'web' }, { name: 'api' }]), ['cmx-shop-web', 'cmx-default-api']);
    const [a, b] = labelNames([{ plan: 'p', name: 'Web' }, { plan: 'p', name: 'web' }]);
    assert.match(a!, /^cmx-p-web-[0-9a-f]{8}$/);
    assert.notEqual(a, b);
    assert.match(labelNames([{ plan: 'p', name: 'a'.repeat(40) }])[0]!, /^cmx-p-a{24}-[0-9a-f]{8}$/);
  });

  it('always a valid, distinct Varnish name that never looks like one of our VCL names', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/);
    fc.assert(fc.property(fc.uniqueArray(fc.record({ plan: part, name: part }), { selector: (x) => `${x.plan}\0${x.name}`, maxLength: 12 }), (apps) => {
      const names = labelNames(apps);
      assert.equal(new Set(names.map((n) => n.toLowerCase())).size, names.length);
      for (const n of names) {
        assert.match(n, VARNISH_NAME);
        assert.match(n, LABEL);
        assert.ok(n.length <= 58, n);
        assert.ok(!SINGLE.test(n) && !TOP.test(n) && !APP.test(n), n);
      }
    }));
  });
});

describe('VCL labels: the split', () => {
  const base: RoutingTable = { apps: [app('a', { paths: ['/a/'] }), app('b', { httpsRedirect: true, acmeChallenge: true }), app('c', { backends: [] })] };

  it('one VCL per app with only its backends, and a dispatch VCL that returns to labels', () => {
    const s = split(base);
    assert.deepEqual(s.apps.map((a) => a.label), ['cmx-p-a', 'cmx-p-b', 'cmx-p-c']);
    assert.match(s.top.vcl, /return \(vcl\(cmx-p-a\)\);/);
    assert.match(s.top.vcl, /req\.url ~ "\^\/a\/"/);
    assert.doesNotMatch(s.top.vcl, /be__/);
    assert.match(s.apps[0]!.vcl, /backend be__a__node1__8000 /);
    assert.doesNotMatch(s.apps[0]!.vcl, /be__b__|cmx_acme/);
    assert.match(s.apps[1]!.vcl, /backend cmx_acme /);
    assert.match(s.apps[1]!.vcl, /if \(req\.http\.host == "b\.test"\) \{/);
  });

  it('a change to one app\'s backends recompiles that app only; hosts and paths change the top', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 65535 }), (i, port) => {
      const before = split(base);
      const t = structuredClone(base);
      t.apps[i]!.backends = [{ container: 'n', node: 'node2', address: '10.0.0.2', port }];
      const after = split(t);
      assert.equal(after.top.hash, before.top.hash);
      after.apps.forEach((a, k) => assert.equal(a.hash === before.apps[k]!.hash, k !== i, `app ${k}`));
    }), { numRuns: 20 });
    const t = structuredClone(base);
    t.apps[2]!.hosts.push('c2.test');
    const after = split(t);
    assert.notEqual(after.top.hash, split(base).top.hash);
  });
});

const listOf = (s: SplitVcl, t = 1): LoadedVcl[] => [
  ...s.apps.flatMap((a, i) => [
    { name: `cmxa_${t + i}_${a.hash}`, status: 'available', state: 'auto', busy: 0, labels: 1 },
    { name: a.label, status: 'available', state: 'label', busy: 0, label: `cmxa_${t + i}_${a.hash}`, refs: 1 },
  ]),
  { name: `cmxt_${t}_${s.top.hash}`, status: 'active', state: 'auto', busy: 0 },
];

describe('VCL labels: what a switch does', () => {
  const base: RoutingTable = { apps: [app('a'), app('b'), app('c')] };

  it('from nothing: every app compiled and labelled, then the top', () => {
    const s = split(base);
    const p = planSwitch([{ name: 'boot', status: 'active', state: 'auto', busy: 0 }], s, 5);
    assert.equal(p.loads.length, 3);
    assert.ok(p.labels.every((l) => l.fresh));
    assert.equal(new Set(p.loads.map((l) => l.name)).size, 3, 'names never taken twice');
    assert.ok(p.top && p.use === p.top.name);
  });

  it('nothing changed: no step; one app changed: one compile, one label move, no top', () => {
    const s = split(base);
    const none = planSwitch(listOf(s), s, 9);
    assert.deepEqual([none.loads, none.labels, none.top, none.use], [[], [], null, null]);
    const t = structuredClone(base);
    t.apps[1]!.backends[0]!.port = 9000;
    const p = planSwitch(listOf(s), split(t), 9);
    assert.deepEqual(p.changed, ['b']);
    assert.deepEqual(p.labels.map((l) => [l.label, l.fresh]), [['cmx-p-b', false]]);
    assert.equal(p.top, null);
  });

  it('an app VCL already loaded (an earlier switch failed later) is labelled without compiling it again', () => {
    const s = split(base);
    const t = structuredClone(base);
    t.apps[0]!.backends[0]!.port = 9000;
    const s2 = split(t);
    const list = [...listOf(s), { name: `cmxa_77_${s2.apps[0]!.hash}`, status: 'available', state: 'auto', busy: 0 }];
    const p = planSwitch(list, s2, 9);
    assert.deepEqual(p.loads, []);
    assert.deepEqual(p.labels, [{ label: 'cmx-p-a', name: `cmxa_77_${s2.apps[0]!.hash}`, fresh: false }]);
  });

  it('after a switch: old routers go, a label still referred to stays, app VCLs no label keeps go', () => {
    const s = split(base);
    const list: LoadedVcl[] = [
      ...listOf(s),
      { name: 'cmx_1_abcdef01', status: 'available', state: 'auto', busy: 0 },
      { name: 'cmxt_0_abcdef02', status: 'available', state: 'auto', busy: 0 },
      { name: 'cmx-p-gone', status: 'available', state: 'label', busy: 0, label: 'cmxa_9_abcdef03', refs: 1 },
      { name: 'cmxa_9_abcdef03', status: 'available', state: 'auto', busy: 0, labels: 1 },
      { name: 'cmx-p-old', status: 'available', state: 'label', busy: 0, label: 'cmxa_8_abcdef04' },
      { name: 'cmxa_8_abcdef04', status: 'available', state: 'auto', busy: 0, labels: 1 },
      { name: 'cmxa_7_abcdef05', status: 'available', state: 'auto', busy: 0 },
      { name: 'boot', status: 'available', state: 'auto', busy: 0 },
    ];
    assert.deepEqual(leftovers(list, new Set(s.apps.map((a) => a.label))), {
      routers: ['cmx_1_abcdef01', 'cmxt_0_abcdef02'],
      labels: ['cmx-p-old'],
      apps: ['cmxa_8_abcdef04', 'cmxa_7_abcdef05'],
    });
  });
});

describe('VCL labels: an app\'s VCL compiled ahead of its switch', () => {
  const base: RoutingTable = { apps: [app('a'), app('b')] };

  it('compiles under a fresh name, then the switch labels it without compiling again; the top does not change', () => {
    const s = split(base);
    const t = structuredClone(base);
    t.apps[1]!.backends = [{ container: 'b-2', node: 'node2', address: '10.0.0.2', port: 8001 }];
    const s2 = split(t);
    const list = listOf(s);
    const ahead = planPrepare(list, s2.apps[1]!, 3);
    assert.equal(ahead.load, true);
    assert.match(ahead.name, APP);
    assert.ok(!list.some((v) => v.name === ahead.name), 'a name not in use');
    const after = [...list, { name: ahead.name, status: 'available', state: 'auto', busy: 0 }];
    const p = planSwitch(after, s2, 9);
    assert.deepEqual(p.loads, []);
    assert.deepEqual(p.labels, [{ label: 'cmx-p-b', name: ahead.name, fresh: false }]);
    assert.equal(p.top, null);
    assert.deepEqual(planPrepare(after, s2.apps[1]!, 4), { name: ahead.name, load: false }, 'asked twice: compiled once');
  });

  it('an app VCL that is loaded (labelled) is used as it is; a discarded one or a name in use is not', () => {
    const s = split(base);
    const list = listOf(s, 10);
    assert.deepEqual(planPrepare(list, s.apps[0]!, 3), { name: `cmxa_10_${s.apps[0]!.hash}`, load: false });
    const gone: LoadedVcl[] = [{ name: `cmxa_3_${s.apps[0]!.hash}`, status: 'discarded', state: 'auto', busy: 1 }];
    assert.deepEqual(planPrepare(gone, s.apps[0]!, 3), { name: `cmxa_4_${s.apps[0]!.hash}`, load: true });
  });

  it('is kept from the clean-up of the reloads that come before its switch', () => {
    const s = split(base);
    const list: LoadedVcl[] = [...listOf(s), { name: 'cmxa_9_abcdef05', status: 'available', state: 'auto', busy: 0 }];
    const keepLabels = new Set(s.apps.map((a) => a.label));
    assert.deepEqual(leftovers(list, keepLabels).apps, ['cmxa_9_abcdef05']);
    assert.deepEqual(leftovers(list, keepLabels, new Set(['cmxa_9_abcdef05'])).apps, []);
  });

  it('property: whatever is loaded, a compile ahead never takes a name in use and a switch after it compiles nothing for that app', () => {
    const t = structuredClone(base);
    t.apps[0]!.backends[0]!.port = 9100;
    const s2 = split(t);
    fc.assert(fc.property(
      fc.array(fc.record({ t: fc.integer({ min: 0, max: 20 }), hash: fc.constantFrom('0000aaaa', s2.apps[0]!.hash), discarded: fc.boolean() }), { maxLength: 8 }),
      fc.integer({ min: 0, max: 20 }),
      (loaded, now) => {
        const s = split(base);
        const list: LoadedVcl[] = [...listOf(s, 100)];
        const seen = new Set(list.map((v) => v.name));
        for (const l of loaded) {
          const name = `cmxa_${l.t}_${l.hash}`;
          if (seen.has(name)) continue;
          seen.add(name);
          list.push({ name, status: l.discarded ? 'discarded' : 'available', state: 'auto', busy: 0 });
        }
        const ahead = planPrepare(list, s2.apps[0]!, now);
        const reusable = list.some((v) => v.status !== 'discarded' && v.name.endsWith(s2.apps[0]!.hash));
        assert.equal(ahead.load, !reusable, 'compiled only when no live VCL of that hash is loaded');
        if (ahead.load) assert.ok(!seen.has(ahead.name));
        const after = ahead.load ? [...list, { name: ahead.name, status: 'available', state: 'auto', busy: 0 }] : list;
        const p = planSwitch(after, s2, now + 1);
        assert.deepEqual(p.loads, []);
        assert.deepEqual(p.labels.map((l) => l.name), [ahead.name]);
      },
    ));
  });
});

