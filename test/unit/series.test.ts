import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  deployMarks, parseStatusLine, perSecond, pointsAt, PointRing, ringCapacity, seriesIds, SeriesStore, type SeriesPoint,
} from '../../src/model/series.js';
import { appResolver } from '../../src/model/request-counters.js';

const web = (node: string) => `VBE.cmx_1.be__web__${node}__8080.req`;
const api = (node: string) => `VBE.cmx_1.be__api__${node}__8080.req`;
const appOf = appResolver(['web', 'api']);
const apps = [{ plan: 'p', app: 'web', healthy: 2 }, { plan: 'p', app: 'api', healthy: 1 }];
const point = (at: number, rps: number | null = 1): SeriesPoint => ({ at, rps, errors: 0, replicas: 1 });

describe('series: rates from counter deltas', () => {
  it('adds up the backends of each app over the interval, per second', () => {
    const prev = { at: 0, counters: new Map([[web('node1'), 100], [web('node2'), 50], [api('node1'), 7]]) };
    const cur = { at: 5000, counters: new Map([[web('node1'), 130], [web('node2'), 70], [api('node1'), 7]]) };
    const pts = pointsAt({ prev, cur, errors: new Map([['web', 5]]), errorsSince: 0, apps, appOf, maxGapMs: 15_000 });
    assert.deepEqual(pts.get('web'), { at: 5000, rps: 10, errors: 1, replicas: 2 });
    assert.deepEqual(pts.get('api'), { at: 5000, rps: 0, errors: 0, replicas: 1 });
  });

  it('two plans with an app of one name: each is its own series, by the ids Varnish knows them by', () => {
    const both = [{ plan: 'staging', app: 'web', healthy: 1 }, { plan: 'prod', app: 'web', healthy: 3 }, { plan: 'prod', app: 'api', healthy: 1 }];
    const ids = seriesIds(both);
    assert.deepEqual(ids, ['staging/web', 'prod/web', 'api']);
    const prev = { at: 0, counters: new Map([['VBE.c.be__staging__web__node1__8080.req', 0], ['VBE.c.be__prod__web__node2__8080.req', 0]]) };
    const cur = { at: 1000, counters: new Map([['VBE.c.be__staging__web__node1__8080.req', 2], ['VBE.c.be__prod__web__node2__8080.req', 30]]) };
    const pts = pointsAt({ prev, cur, errors: new Map([['prod/web', 4]]), errorsSince: 0, apps: both, appOf: appResolver(ids), maxGapMs: 5000 });
    assert.deepEqual([...pts.entries()].map(([id, p]) => [id, p.rps, p.errors, p.replicas]), [['staging/web', 2, 0, 1], ['prod/web', 30, 4, 3], ['api', 0, 0, 1]]);
    assert.deepEqual(parseStatusLine('prod/web 502'), { app: 'prod/web', status: 502 });
  });

  it('a counter that went down was reset and counts from zero; a new backend counts from zero', () => {
    const prev = { at: 0, counters: new Map([[web('node1'), 1000]]) };
    const cur = { at: 2000, counters: new Map([[web('node1'), 4], [web('node3'), 6]]) };
    const pts = pointsAt({ prev, cur, errors: null, errorsSince: null, apps, appOf, maxGapMs: 15_000 });
    assert.equal(pts.get('web')!.rps, 5);
  });

  it('no rate on the first reading, after a failed read, or over a gap longer than allowed', () => {
    const cur = { at: 5000, counters: new Map([[web('node1'), 10]]) };
    assert.equal(pointsAt({ prev: null, cur, errors: null, errorsSince: null, apps, appOf, maxGapMs: 15_000 }).get('web')!.rps, null);
    const failed = { at: 5000, counters: null };
    assert.equal(pointsAt({ prev: { at: 0, counters: new Map() }, cur: failed, errors: null, errorsSince: null, apps, appOf, maxGapMs: 15_000 }).get('web')!.rps, null);
    const late = { at: 60_000, counters: new Map([[web('node1'), 10]]) };
    const pts = pointsAt({ prev: { at: 0, counters: new Map() }, cur: late, errors: new Map([['web', 3]]), errorsSince: 0, apps, appOf, maxGapMs: 15_000 });
    assert.deepEqual(pts.get('web'), { at: 60_000, rps: null, errors: null, replicas: 2 });
  });

  it('5xx are null while the log reader is down; replicas null when the nodes could not be read', () => {
    const pts = pointsAt({
      prev: null, cur: { at: 1, counters: new Map() }, errors: null, errorsSince: null, apps: [{ plan: 'p', app: 'web', healthy: null }], appOf, maxGapMs: 1,
    });
    assert.deepEqual(pts.get('web'), { at: 1, rps: null, errors: null, replicas: null });
  });

  it('property: a rate is never negative, and the counts of one backend over two steps equal one step over both', () => {
    fc.assert(fc.property(
      fc.array(fc.nat(1_000_000), { minLength: 3, maxLength: 3 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }),
      ([a, b, c], d1, d2) => {
        const r = (at: number, v: number) => ({ at, counters: new Map([[web('node1'), v]]) });
        const one = (p: ReturnType<typeof r>, q: ReturnType<typeof r>) =>
          pointsAt({ prev: p, cur: q, errors: null, errorsSince: null, apps, appOf, maxGapMs: 1e9 }).get('web')!.rps!;
        const s1 = one(r(0, a!), r(d1, b!));
        const s2 = one(r(d1, b!), r(d1 + d2, c!));
        assert.ok(s1 >= 0 && s2 >= 0);
        if (b! >= a! && c! >= b!) {
          const whole = one(r(0, a!), r(d1 + d2, c!));
          // rounded to 0.01 per point: the weighted parts come back within that
          assert.ok(Math.abs((s1 * d1 + s2 * d2) / (d1 + d2) - whole) <= 0.02, `${s1} ${s2} ${whole}`);
        }
      },
    ));
  });

  it('perSecond: null for an empty or reversed interval', () => {
    assert.equal(perSecond(5, 10, 10, 100), null);
    assert.equal(perSecond(5, 10, 5, 100), null);
    assert.equal(perSecond(3, 0, 2000, 2000), 1.5);
    assert.equal(perSecond(3, 0, 2001, 2000), null);
  });
});

describe('series: status lines from varnishncsa', () => {
  it('reads APP STATUS, skips answers of no app and anything else', () => {
    assert.deepEqual(parseStatusLine('web 503'), { app: 'web', status: 503 });
    assert.deepEqual(parseStatusLine('staging-web 200\n'), { app: 'staging-web', status: 200 });
    assert.equal(parseStatusLine('- 404'), null);
    assert.equal(parseStatusLine('web 99'), null);
    assert.equal(parseStatusLine('web 503 extra'), null);
    assert.equal(parseStatusLine(''), null);
  });
});

describe('series: the ring', () => {
  it('keeps the last `capacity` points, oldest first', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 60 }), (cap, n) => {
      const ring = new PointRing(cap);
      for (let i = 0; i < n; i++) ring.push(point(i));
      const kept = ring.points().map((p) => p.at);
      const want = Array.from({ length: Math.min(cap, n) }, (_, i) => n - Math.min(cap, n) + i);
      assert.deepEqual(kept, want);
      assert.equal(ring.size, want.length);
      assert.equal(ring.last()?.at, n ? n - 1 : undefined);
    }));
  });

  it('an hour of 5 s steps fits, with room for a late tick', () => {
    assert.equal(ringCapacity(3_600_000, 5000), 722);
    assert.throws(() => new PointRing(0), /positive integer/);
  });

  it('the store shows the last hour per app and drops an app an hour after its last point', () => {
    const store = new SeriesStore(1000, 10_000);
    const plans = new Map([['web', { plan: 'p', app: 'web' }], ['api', { plan: 'p', app: 'api' }]]);
    for (let t = 0; t <= 20_000; t += 1000) {
      store.add(new Map([['web', point(t)], ...(t <= 5000 ? [['api', point(t)] as const] : [])]), plans, t);
    }
    const view = store.view(20_000);
    assert.deepEqual(view.map((a) => a.app), ['web']);
    assert.equal(view[0]!.points[0]![0], 10_000);
    assert.equal(view[0]!.points.at(-1)![0], 20_000);
    assert.equal(view[0]!.id, 'web');
    assert.deepEqual(store.view(20_000, (_plan, a) => a !== 'web'), []);
  });
});

describe('series: deploys on the time axis', () => {
  const rec = (id: string, finishedAt: string, results: [string, string][]) =>
    ({ id, kind: 'deploy', plan: 'p', finishedAt, result: 'ok', apps: results.map(([app, result]) => ({ app, result })) });

  it('keeps the deploys that ended in the window and changed an app, oldest first', () => {
    const marks = deployMarks([
      rec('b', '2026-01-01T00:30:00Z', [['web', 'ok'], ['api', 'unchanged']]),
      rec('a', '2026-01-01T00:10:00Z', [['api', 'ok']]),
      rec('old', '2025-12-31T22:00:00Z', [['web', 'ok']]),
      rec('none', '2026-01-01T00:20:00Z', [['web', 'unchanged']]),
      rec('torn', 'not a date', [['web', 'ok']]),
    ], Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T01:00:00Z'));
    assert.deepEqual(marks.map((m) => [m.id, m.apps]), [['a', ['api']], ['b', ['web']]]);
  });
});
