import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import Docker from 'dockerode';
import fc from 'fast-check';
import { DockerLogStream } from '../../src/adapters/docker/log-stream.js';
import { UserError } from '../../src/errors.js';
import { logs } from '../../src/commands/logs.js';
import { pickReplica } from '../../src/exec/exec.js';
import { parseTarget } from '../../src/logs/replicas.js';
import type { CloudContainer } from '../../src/model/cloud-container.js';
import { parseSince, parseTail } from '../../src/model/logs/flags.js';
import { formatLogLine } from '../../src/model/logs/format.js';
import { LineAssembler, splitTimestamp, timeNs, type TimedLine } from '../../src/model/logs/lines.js';
import { mergeByTime, ReorderBuffer } from '../../src/model/logs/merge.js';

const T = (s: number, frac = '000000000') => `2026-12-02T01:00:${String(s).padStart(2, '0')}.${frac}Z`;
const line = (time: string, text: string, stream: 'stdout' | 'stderr' = 'stdout'): TimedLine => ({ stream, time, text });

describe('log lines', () => {
  it("splits Docker's timestamp off a line", () => {
    assert.deepEqual(splitTimestamp('2026-12-02T01:05:56.123456789Z hello world'), { time: '2026-12-02T01:05:56.123456789Z', text: 'hello world' });
    assert.deepEqual(splitTimestamp('2026-12-02T01:05:56Z '), { time: '2026-12-02T01:05:56Z', text: '' });
    assert.deepEqual(splitTimestamp('no stamp here'), { time: '', text: 'no stamp here' });
  });

  it('orders timestamps by their nanoseconds, whatever the fraction length or offset', () => {
    assert.ok(timeNs('2026-12-02T01:00:00.5Z') > timeNs('2026-12-02T01:00:00.400000001Z'));
    assert.equal(timeNs('2026-12-02T02:00:00.000000001+01:00'), timeNs('2026-12-02T01:00:00.000000001Z'));
    assert.equal(timeNs('2026-12-02T01:00:00Z') + 1n, timeNs('2026-12-02T01:00:00.000000001Z'));
    assert.equal(timeNs(''), -1n);
    assert.equal(timeNs('yesterday'), -1n);
  });

  it('assembles lines across chunk boundaries, inside UTF-8 characters too, and gives the last one without a line end', () => {
    const a = new LineAssembler('stderr');
    const bytes = Buffer.from(`${T(1)} héllo\r\n${T(2)} wörld\n${T(3)} tail`);
    const out: TimedLine[] = [];
    for (let i = 0; i < bytes.length; i += 3) out.push(...a.push(bytes.subarray(i, i + 3)));
    out.push(...a.end());
    assert.deepEqual(out, [line(T(1), 'héllo', 'stderr'), line(T(2), 'wörld', 'stderr'), line(T(3), 'tail', 'stderr')]);
    assert.deepEqual(a.end(), []);
  });
});

/** Docker's multiplexed frame: stream type, three zero bytes, the payload's length, the payload. */
function frame(type: 1 | 2, payload: string): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(8);
  head[0] = type;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** What DockerLogStream makes of these bytes, delivered in the given pieces. */
async function demuxed(pieces: Buffer[]): Promise<TimedLine[]> {
  const res = new PassThrough() as PassThrough & { complete: boolean };
  res.complete = false;
  const lines: TimedLine[] = [];
  const ended = new Promise<Error | null>((resolve) => {
    const s = new DockerLogStream(new Docker({ socketPath: '/nonexistent' }), res as unknown as IncomingMessage, { kind: 'idle', ms: 60_000, onIdle: () => new Error('idle') }, {
      line: (l) => lines.push(l),
      end: resolve,
    });
    void s;
  });
  for (const p of pieces) res.write(p);
  res.complete = true;
  res.end();
  assert.equal(await ended, null);
  return lines;
}

describe('demultiplexing a log stream (docker-modem demuxStream under it)', () => {
  const frames = [frame(1, `${T(1)} out one\n`), frame(2, `${T(2)} err one\n`), frame(1, `${T(3)} out two, half`), frame(1, ` and the rest\n${T(4)} out three\n`)];
  const want = [line(T(1), 'out one'), line(T(2), 'err one', 'stderr'), line(T(3), 'out two, half and the rest'), line(T(4), 'out three')];

  it('gives whole lines per stream when frames and lines are split anywhere', async () => {
    const all = Buffer.concat(frames);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: all.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const at = [0, ...[...cuts].sort((a, b) => a - b), all.length];
        const pieces = at.slice(1).map((end, i) => all.subarray(at[i], end));
        assert.deepEqual(await demuxed(pieces), want);
      }),
      { numRuns: 60 },
    );
  });

  it("passes a TTY container's unframed log through as stdout", async () => {
    assert.deepEqual(await demuxed([Buffer.from(`${T(1)} raw\n${T(2)} tty`)]), [line(T(1), 'raw'), line(T(2), 'tty')]);
  });

  it('ends with the error when the connection closes before the log ended', async () => {
    const res = new PassThrough() as PassThrough & { complete: boolean };
    res.complete = false;
    const ended = new Promise<Error | null>((resolve) => {
      new DockerLogStream(new Docker({ socketPath: '/nonexistent' }), res as unknown as IncomingMessage, { kind: 'idle', ms: 60_000, onIdle: () => new Error('idle') }, { line: () => undefined, end: resolve });
    });
    res.write(frame(1, `${T(1)} x\n`));
    res.destroy();
    assert.match(String((await ended)?.message), /closed before the log ended/);
  });
});

describe('merging replicas by time', () => {
  it('orders lines of several streams by time; equal times keep the streams order', () => {
    const a = [line(T(1), 'a1'), line(T(3), 'a3'), line(T(3), 'a3b')];
    const b = [line(T(0), 'b0'), line(T(3), 'b3'), line(T(5), 'b5')];
    assert.deepEqual(mergeByTime([a, b]).map((l) => l.text), ['b0', 'a1', 'a3', 'a3b', 'b3', 'b5']);
  });

  it('property: a time-sorted permutation that keeps each stream in its own order', () => {
    const stream = fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 20 }).map((secs) => [...secs].sort((x, y) => x - y));
    fc.assert(
      fc.property(fc.array(stream, { minLength: 1, maxLength: 5 }), (streams) => {
        const input = streams.map((secs, s) => secs.map((sec, i) => line(T(sec), `${s}:${i}`)));
        const out = mergeByTime(input);
        assert.equal(out.length, input.flat().length);
        for (let i = 1; i < out.length; i++) assert.ok(timeNs(out[i - 1]!.time) <= timeNs(out[i]!.time));
        for (const [s, lines] of input.entries()) {
          assert.deepEqual(out.filter((l) => l.text.startsWith(`${s}:`)), lines);
        }
      }),
    );
  });

  it('live: holds each line for the window, then lets it out with every earlier line', () => {
    let now = 0;
    const buf = new ReorderBuffer(300, () => now);
    buf.push(line(T(5), 'node1 late-written'));
    now = 100;
    buf.push(line(T(4), 'node2 earlier, delivered later'));
    buf.push(line(T(6), 'node2 later'));
    assert.deepEqual(buf.take(), []);
    assert.equal(buf.nextDueIn(), 200);
    now = 300;
    assert.deepEqual(buf.take().map((l) => l.text), ['node2 earlier, delivered later', 'node1 late-written']);
    assert.equal(buf.size, 1);
    now = 400;
    assert.deepEqual(buf.take().map((l) => l.text), ['node2 later']);
    assert.equal(buf.nextDueIn(), null);
    buf.push(line(T(9), 'b'));
    buf.push(line(T(8), 'a'));
    assert.deepEqual(buf.drain().map((l) => l.text), ['a', 'b']);
  });
});

describe('logs flags', () => {
  const now = Date.parse('2026-12-02T01:00:00Z');
  it('--since: a duration back from now, or a time', () => {
    assert.deepEqual(parseSince('10m', now), { ok: true, value: now / 1000 - 600 });
    assert.deepEqual(parseSince('90s', now), { ok: true, value: now / 1000 - 90 });
    assert.deepEqual(parseSince('1d', now), { ok: true, value: now / 1000 - 86_400 });
    assert.deepEqual(parseSince('2026-12-01T10:00:00Z', now), { ok: true, value: Date.parse('2026-12-01T10:00:00Z') / 1000 });
    assert.deepEqual(parseSince('2026-12-01T10:00:00.25+01:00', now), { ok: true, value: Date.parse('2026-12-01T09:00:00.25Z') / 1000 });
    assert.deepEqual(parseSince('2026-12-01', now), { ok: true, value: Date.parse('2026-12-01T00:00:00Z') / 1000 });
    for (const bad of ['10', 'm', '-5m', '10 m', '5y', '2026-13-45T99:00:00Z', '', '99999999d']) assert.equal(parseSince(bad, now).ok, false, bad);
  });

  it('--tail: a whole number or all', () => {
    assert.deepEqual(parseTail('all'), { ok: true, value: 'all' });
    assert.deepEqual(parseTail('0'), { ok: true, value: 0 });
    assert.deepEqual(parseTail('250'), { ok: true, value: 250 });
    for (const bad of ['-1', '1.5', 'ten', '', '100001']) assert.equal(parseTail(bad).ok, false, bad);
  });

  it('bad flag values are a UserError naming the flag, before any config or node is read', async () => {
    await assert.rejects(logs('web', { tail: 'ten' }), (e: unknown) => e instanceof UserError && /^--tail: /.test(e.message));
    await assert.rejects(logs('web', { since: 'yesterday' }), (e: unknown) => e instanceof UserError && /^--since: /.test(e.message));
  });

  it('APP or PLAN/APP', () => {
    assert.deepEqual(parseTarget('web'), { app: 'web' });
    assert.deepEqual(parseTarget('shop/web'), { plan: 'shop', app: 'web' });
    for (const bad of ['', '/web', 'shop/', 'a/b/c']) assert.throws(() => parseTarget(bad), UserError, bad);
  });
});

describe('log output and exec target', () => {
  it('prefixes each line with node/container, padded, timestamp only when asked', () => {
    const l = { node: 'node1', container: 'hello-web-1', stream: 'stdout' as const, time: T(1), text: 'hi' };
    assert.equal(formatLogLine(l, 20), 'node1/hello-web-1    | hi');
    assert.equal(formatLogLine(l, 0, true), `node1/hello-web-1 | ${T(1)} hi`);
  });

  it('exec picks the first running known-good replica, else any running one', () => {
    const c = (node: string, state: string, id: string) => ({ node, id, name: `web-${id}`, state }) as CloudContainer;
    const list = [c('node1', 'exited', 'a'), c('node1', 'running', 'b'), c('node2', 'running', 'c')];
    assert.equal(pickReplica(list, (id) => id !== 'b')?.id, 'c');
    assert.equal(pickReplica(list, () => false)?.id, 'b');
    assert.equal(pickReplica([list[0]!], () => true), null);
  });
});
