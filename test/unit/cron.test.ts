import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dueAt, MISSED_CAP, nextRun, parseSchedule } from '../../src/model/cron.js';

const at = (s: string) => new Date(s);

test('parseSchedule: five fields, nicknames; wrong counts, values and impossible dates refused with a reason', () => {
  for (const ok of ['*/15 * * * *', '0 3 * * 1-5', '5,35 */2 1 1,7 SUN', '@hourly', '@daily', ' 0  0 * * * ']) assert.ok(parseSchedule(ok).ok, ok);
  const bad: [string, RegExp][] = [
    ['* * * *', /five cron fields.*got 4/],
    ['* * * * * *', /five cron fields.*got 6/],
    ['', /five cron fields/],
    ['61 * * * *', /minute/],
    ['x * * * *', /illegal/],
    ['0 0 30 2 *', /never comes/],
    ['5-1 * * * *', /larger/],
  ];
  for (const [text, why] of bad) {
    const r = parseSchedule(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.error, why, text);
  }
});

test('nextRun: UTC, strictly after, whole minutes', () => {
  assert.equal(nextRun('*/15 * * * *', at('2026-03-01T10:07:31Z')).toISOString(), '2026-03-01T10:15:00.000Z');
  assert.equal(nextRun('*/15 * * * *', at('2026-03-01T10:15:00Z')).toISOString(), '2026-03-01T10:30:00.000Z');
  assert.equal(nextRun('0 3 * * *', at('2026-03-01T03:00:00Z')).toISOString(), '2026-03-02T03:00:00.000Z');
  assert.equal(nextRun('0 0 29 2 *', at('2026-03-01T00:00:00Z')).toISOString(), '2028-02-29T00:00:00.000Z');
  // day-of-month and day-of-week: either (as cron does)
  assert.equal(nextRun('0 0 1 * 1', at('2026-01-01T00:00:00Z')).toISOString(), '2026-01-05T00:00:00.000Z');
});

test('nextRun (property): the result is after the input, on a matching minute, and nothing matches in between', () => {
  const minuteSteps = fc.constantFrom(1, 2, 5, 7, 15, 30);
  fc.assert(
    fc.property(minuteSteps, fc.integer({ min: 0, max: 23 }), fc.date({ min: at('2000-01-01T00:00:00Z'), max: at('2090-01-01T00:00:00Z'), noInvalidDate: true }), (step, hour, d) => {
      const text = `*/${step} ${hour} * * *`;
      const n = nextRun(text, d);
      assert.ok(n > d);
      assert.equal(n.getUTCSeconds(), 0);
      assert.equal(n.getUTCMinutes() % step, 0);
      assert.equal(n.getUTCHours(), hour);
      // no matching minute between d and n
      const first = new Date(Math.floor(d.getTime() / 60_000) * 60_000 + 60_000);
      for (let t = first.getTime(); t < n.getTime(); t += 60_000) {
        const x = new Date(t);
        assert.ok(!(x.getUTCHours() === hour && x.getUTCMinutes() % step === 0), `${text}: ${x.toISOString()} before ${n.toISOString()}`);
      }
    }),
    { numRuns: 60 },
  );
});

test('dueAt: nothing before the first time; the time itself; one run after a gap, the rest missed', () => {
  const every = '* * * * *';
  // a job seen for the first time waits for its next time
  assert.deepEqual(dueAt(every, null, at('2026-01-01T10:00:30Z')), { run: null, missed: 0, next: at('2026-01-01T10:01:00Z') });
  assert.equal(dueAt(every, at('2026-01-01T10:00:30Z'), at('2026-01-01T10:00:59Z')).run, null);
  assert.deepEqual(dueAt(every, at('2026-01-01T10:00:30Z'), at('2026-01-01T10:01:00Z')), { run: at('2026-01-01T10:01:00Z'), missed: 0, next: at('2026-01-01T10:02:00Z') });
  // down from 10:00 to 10:05:10: one run (10:05), four missed
  assert.deepEqual(dueAt(every, at('2026-01-01T10:00:00Z'), at('2026-01-01T10:05:10Z')), { run: at('2026-01-01T10:05:00Z'), missed: 4, next: at('2026-01-01T10:06:00Z') });
  // a clock that went back runs nothing
  assert.equal(dueAt(every, at('2026-01-01T10:05:00Z'), at('2026-01-01T10:04:00Z')).run, null);
  // a long outage: still one run, the count capped
  const long = dueAt(every, at('2026-01-01T00:00:00Z'), at('2026-01-10T00:00:30Z'));
  assert.equal(long.run?.toISOString(), '2026-01-10T00:00:00.000Z');
  assert.equal(long.missed, MISSED_CAP);
});

test('dueAt (property): the run is the latest time in (last, now], and at most one run', () => {
  fc.assert(
    fc.property(fc.constantFrom('*/5 * * * *', '0 * * * *', '*/7 3-5 * * *', '@daily'), fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), (text, a, gap) => {
      const last = new Date(Date.UTC(2026, 0, 1) + a * 1000);
      const now = new Date(last.getTime() + gap * 10);
      const d = dueAt(text, last, now);
      assert.ok(d.next > now);
      const first = nextRun(text, last);
      if (first > now) return assert.equal(d.run, null);
      assert.ok(d.run && d.run > last && d.run <= now);
      assert.ok(nextRun(text, d.run) > now, 'no later time is due');
    }),
    { numRuns: 200 },
  );
});
