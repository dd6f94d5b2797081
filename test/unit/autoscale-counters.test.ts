import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  appResolver, backendOfCounter, parseBackendRequests, requestDeltas, requestRate, trimIntervals, type RequestInterval,
} from '../../src/model/request-counters.js';
import { assignIdentifiers, identPart } from '../../src/model/vcl.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

test('varnishstat -j of 7.1 (counters object) and of 6.0 (flat): the VBE req counters only', () => {
  const two = parseBackendRequests(fixture('varnishstat-7.1.1-two-vcls.json'));
  assert.deepEqual([...two], [
    ['VBE.boot.be__web__node1__32768.req', 5], ['VBE.boot.be__api__node1__1.req', 0],
    ['VBE.cmx_1764625000000_abcdef01.be__web__node2__32769.req', 3], ['VBE.cmx_1764625000000_abcdef01.be__api__node1__1.req', 0],
  ]);
  assert.deepEqual([...parseBackendRequests(fixture('varnishstat-6.0-flat.json'))], [['VBE.boot.be__web__node1__32768.req', 42]]);
  assert.throws(() => parseBackendRequests('not json'));
});

test('backendOfCounter: VBE.<vcl>.<backend>.req', () => {
  assert.equal(backendOfCounter('VBE.cmx_1_abcdef01.be__web__node1__32768.req'), 'be__web__node1__32768');
  assert.equal(backendOfCounter('VBE.boot.be__web__node1__32768.conn'), null);
  assert.equal(backendOfCounter('MAIN.uptime'), null);
});

test('appResolver: by the app part of our backend names; ambiguous parts only through the rendered names', () => {
  const apps = ['web', 'my-app', 'my_app', 'a-very-long-application-name-beyond-24'];
  const of = appResolver(apps);
  assert.equal(of('be__web__node1__32768'), 'web');
  assert.equal(of('BE__WEB__node1__32768'), 'web');
  assert.equal(of('be__my_app__node1__1__0a1b2c3d'), null, 'my-app and my_app share a part');
  const long = identPart(apps[3]!, 24).part;
  assert.equal(of(`be__${long}__node1__1__deadbeef`), apps[3]);
  assert.equal(of('cmx_unrouted'), null);
  assert.equal(of('be__other__node1__1'), null);
  const [name] = assignIdentifiers([{ key: 'k', prefix: 'be', parts: [['my-app', 24], ['node1', 16], ['1', 5]] }]);
  assert.equal(appResolver(apps, new Map([[name!, 'my-app']]))(name!), 'my-app');
});

test('requestDeltas: across VCL generations, a reset and a discarded VCL never give a negative count', () => {
  const of = appResolver(['web', 'api']);
  const first = parseBackendRequests(fixture('varnishstat-7.1.1-two-vcls.json'));
  const after = parseBackendRequests(fixture('varnishstat-7.1.1-after-discard.json'));
  assert.deepEqual([...requestDeltas(new Map(), first, of)], [['web', 8], ['api', 0]]);
  assert.deepEqual([...requestDeltas(first, after, of)], [['web', 0], ['api', 0]], 'the boot VCL vanished: no delta, no negative');
  const more = new Map([...after].map(([k, v]) => [k, v + 7]));
  assert.deepEqual(requestDeltas(after, more, of).get('web'), 7);
  const restarted = new Map([['VBE.boot.be__web__node1__32768.req', 2]]);
  assert.equal(requestDeltas(new Map([['VBE.boot.be__web__node1__32768.req', 500]]), restarted, of).get('web'), 2, 'reset: counts from zero');
});

test('property: deltas are never negative and sum the growth of counters that stayed', () => {
  const name = fc.constantFrom('VBE.a.be__web__n1__1.req', 'VBE.a.be__web__n2__2.req', 'VBE.b.be__web__n1__3.req', 'VBE.b.be__api__n1__1.req');
  const counters = fc.dictionary(name, fc.nat(1_000_000)).map((d) => new Map(Object.entries(d)));
  fc.assert(fc.property(counters, counters, (prev, cur) => {
    const d = requestDeltas(prev, cur, appResolver(['web', 'api']));
    for (const v of d.values()) assert.ok(v >= 0);
    const web = [...cur].filter(([k]) => k.includes('web')).reduce((n, [k, v]) => n + (prev.has(k) && v >= prev.get(k)! ? v - prev.get(k)! : v), 0);
    assert.equal(d.get('web') ?? 0, web);
  }));
});

test('requestRate: requests of the intervals inside the window over their time; null before a second reading', () => {
  const iv = (from: number, to: number, web: number): RequestInterval => ({ from, to, requests: new Map([['web', web]]) });
  assert.equal(requestRate([], 'web', 10_000, 30_000), null);
  const xs = [iv(0, 2000, 100), iv(2000, 4000, 300), iv(4000, 6000, 100)];
  assert.equal(requestRate(xs, 'web', 6000, 30_000), 500 / 6);
  // a 3 s window ending at 6 s takes the intervals ending after 3 s: 400 requests over 4 s
  assert.equal(requestRate(xs, 'web', 6000, 3000), 100);
  assert.equal(requestRate(xs, 'api', 6000, 3000), 0);
  assert.deepEqual(trimIntervals(xs, 6000, 3000), xs.slice(1));
});
