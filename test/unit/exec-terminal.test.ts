import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { ExecSession } from '../../src/exec/exec.js';
import { passThrough, type LocalIo } from '../../src/exec/terminal.js';

/** A session whose remote end the test plays: what it was sent, and when it ends with which status. */
function fakeSession() {
  let finish!: (code: number) => void;
  const ended = new Promise<number>((r) => (finish = r));
  const got = { input: '', inputEnded: false, closed: 0, resized: [] as { rows: number; cols: number }[], out: null as NodeJS.WritableStream | null };
  const session = {
    container: {},
    attach: {
      output: (stdout: NodeJS.WritableStream) => void (got.out = stdout),
      write: (b: Buffer) => void (got.input += b.toString()),
      endInput: () => void (got.inputEnded = true),
      done: ended.then(() => undefined),
      close: () => void got.closed++,
    },
    resize: async (size: { rows: number; cols: number }) => void got.resized.push(size),
    exitCode: () => ended,
    close: () => void got.closed++,
  } as unknown as ExecSession;
  return { session, got, finish };
}

const io = (): LocalIo & { stdin: PassThrough; stdout: PassThrough } => ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() }) as never;

describe('exec pass-through', () => {
  it("forwards stdin and its end, returns the command's exit status", async () => {
    const { session, got, finish } = fakeSession();
    const local = io();
    const run = passThrough(session, local, { tty: false, stdin: true }, new AbortController().signal);
    local.stdin.end('hello\n');
    await new Promise((r) => setImmediate(r));
    assert.equal(got.input, 'hello\n');
    assert.ok(got.inputEnded);
    assert.equal(got.out, local.stdout);
    finish(3);
    assert.equal(await run, 3);
    assert.ok(got.closed > 0);
  });

  it('leaves stdin alone when it is not passed', async () => {
    const { session, got, finish } = fakeSession();
    const local = io();
    const run = passThrough(session, local, { tty: false, stdin: false }, new AbortController().signal);
    local.stdin.end('not for the command');
    finish(0);
    assert.equal(await run, 0);
    assert.equal(got.input, '');
    assert.ok(!got.inputEnded);
  });

  it('a signal ends it here with 128+N and closes the connection', async () => {
    const { session, got } = fakeSession();
    const stop = new AbortController();
    const run = passThrough(session, io(), { tty: false, stdin: false }, stop.signal);
    stop.abort('SIGTERM');
    assert.equal(await run, 143);
    assert.ok(got.closed > 0);
  });

  it('with a TTY on both ends: raw mode on and off, the window size followed', async () => {
    const { session, got, finish } = fakeSession();
    const local = io();
    const raw: boolean[] = [];
    Object.assign(local.stdin, { isTTY: true, setRawMode: (r: boolean) => raw.push(r) });
    Object.assign(local.stdout, { isTTY: true, rows: 40, columns: 100 });
    const run = passThrough(session, local, { tty: true, stdin: true }, new AbortController().signal);
    Object.assign(local.stdout, { rows: 50, columns: 120 });
    local.stdout.emit('resize');
    finish(0);
    assert.equal(await run, 0);
    assert.deepEqual(raw, [true, false]);
    assert.deepEqual(got.resized, [{ rows: 50, cols: 120 }]);
    assert.equal(local.stdout.listenerCount('resize'), 0);
  });
});
