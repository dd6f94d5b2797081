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

/**
 * Polls until the target answers 2xx/3xx, or the deadline passes (then rejects with the last
 * reason). `signal` aborts the wait early.
 */
export async function waitHealthy(
  t: HealthTarget,
  opts: { timeoutMs: number; intervalMs: number; deadlineMs: number; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + opts.deadlineMs;
  let last = 'not checked';
  for (;;) {
    if (opts.signal?.aborted) throw new Error('interrupted');
    try {
      const status = await httpStatus(t, opts.timeoutMs);
      if (status >= 200 && status < 400) return;
      last = `HTTP ${status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() + opts.intervalMs > deadline) {
      throw new Error(`not healthy after ${opts.deadlineMs} ms: GET http://${t.address}:${t.port}${t.path}: ${last}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
