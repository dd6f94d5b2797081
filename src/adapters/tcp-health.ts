import { connect } from 'node:net';
import { pollHealthy, type PollOptions } from './http-health.js';

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
export function waitTcpHealthy(t: { address: string; port: number }, opts: PollOptions): Promise<void> {
  return pollHealthy(`TCP connect ${t.address}:${t.port}`, async () => {
    await tcpConnect(t.address, t.port, opts.timeoutMs);
    return null;
  }, opts);
}
