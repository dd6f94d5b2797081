import { request } from 'node:http';

export interface HealthTarget {
  address: string;
  port: number;
  path: string;
  host?: string;
}

/** One HTTP GET; resolves to the status code, rejects on a network error or timeout. */
export function httpStatus(t: HealthTarget, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: t.address, port: t.port, path: t.path, method: 'GET', agent: false, headers: t.host ? { Host: t.host } : {} },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  deadlineMs: number;
  signal?: AbortSignal;
}

/**
 * Runs `check` every intervalMs until it resolves to null (healthy) or the deadline passes (then
 * rejects with `not healthy after N ms: WHAT: <last reason>`). `signal` aborts the wait early.
 * `check` gives the reason it is not healthy yet, or throws one.
 */
export async function pollHealthy(what: string, check: () => Promise<string | null>, opts: PollOptions): Promise<void> {
  const deadline = Date.now() + opts.deadlineMs;
  let last = 'not checked';
  for (;;) {
    if (opts.signal?.aborted) throw new Error('interrupted');
    try {
      const why = await check();
      if (why === null) return;
      last = why;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() + opts.intervalMs > deadline) throw new Error(`not healthy after ${opts.deadlineMs} ms: ${what}: ${last}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}

/** Polls until the target answers 2xx/3xx, or the deadline passes (then rejects with the last reason). */
export function waitHealthy(t: HealthTarget, opts: PollOptions): Promise<void> {
  return pollHealthy(`GET http://${t.address}:${t.port}${t.path}`, async () => {
    const status = await httpStatus(t, opts.timeoutMs);
    return status >= 200 && status < 400 ? null : `HTTP ${status}`;
  }, opts);
}
