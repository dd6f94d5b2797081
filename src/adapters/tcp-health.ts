import { connect } from 'node:net';

/**
 * One TCP connect that must stay open `settleMs` (or bring data): a port published through
 * docker-proxy accepts a connection even when nothing listens in the container, then closes it
 * at once. Resolves when it did, rejects on error, close or timeout.
 */
export function tcpConnect(address: string, port: number, timeoutMs: number, settleMs = 100): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    let settle: NodeJS.Timeout | undefined;
    let finished = false;
    const done = (err?: Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(settle);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no connection within ${timeoutMs} ms`)));
    socket.once('connect', () => {
      socket.setTimeout(0);
      settle = setTimeout(() => done(), settleMs);
    });
    socket.once('data', () => done());
    socket.once('end', () => done(new Error('connection closed by the peer right after it opened')));
    socket.once('close', () => done(new Error('connection closed')));
    socket.once('error', (err) => done(err));
  });
}

/** Polls until a TCP connect to the target succeeds, or the deadline passes (then rejects with the last reason). */
export async function waitTcpHealthy(
  t: { address: string; port: number },
  opts: { timeoutMs: number; intervalMs: number; deadlineMs: number; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + opts.deadlineMs;
  let last = 'not checked';
  for (;;) {
    if (opts.signal?.aborted) throw new Error('interrupted');
    try {
      await tcpConnect(t.address, t.port, opts.timeoutMs);
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() + opts.intervalMs > deadline) {
      throw new Error(`not healthy after ${opts.deadlineMs} ms: TCP connect ${t.address}:${t.port}: ${last}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
