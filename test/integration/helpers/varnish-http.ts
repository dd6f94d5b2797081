import { request, Agent } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

export interface Answer {
  status: number;
  body: string;
  backend: string;
}

/** One GET through the lab's Varnish (127.0.0.1:6081) with the given Host header. */
export function viaVarnish(host: string, path = '/', timeoutMs = 3000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: 6081, path, headers: { Host: host }, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, backend: String(res.headers['x-cloudmatrix-backend'] ?? '') }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls until `check` holds for an answer, at most `maxMs`; returns the last answer. */
export async function waitForAnswer(host: string, check: (a: Answer) => boolean, maxMs = 15000, path = '/'): Promise<Answer> {
  const deadline = Date.now() + maxMs;
  let last: Answer = { status: 0, body: '', backend: '' };
  while (Date.now() < deadline) {
    last = await viaVarnish(host, path).catch((e: Error) => ({ status: 0, body: e.message, backend: '' }));
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

export interface LoadResult {
  sent: number;
  failed: number;
  failures: string[];
}

/**
 * A bounded client loop: about `rps` requests per second through Varnish until `until` settles
 * or `maxMs` passes (whichever first), never more than `maxRequests`. Loopback only.
 */
export async function loadLoop(host: string, opts: { rps: number; until: Promise<unknown>; maxMs: number; maxRequests: number; ok?: (a: Answer) => boolean }): Promise<LoadResult> {
  let done = false;
  void opts.until.finally(() => (done = true));
  const stopAt = Date.now() + opts.maxMs;
  const result: LoadResult = { sent: 0, failed: 0, failures: [] };
  const inflight: Promise<void>[] = [];
  const ok = opts.ok ?? ((a: Answer) => a.status === 200);
  const gap = 1000 / opts.rps;
  while (!done && Date.now() < stopAt && result.sent < opts.maxRequests) {
    result.sent++;
    inflight.push(
      viaVarnish(host).then(
        (a) => {
          if (!ok(a)) {
            result.failed++;
            if (result.failures.length < 5) result.failures.push(`${a.status} ${a.body.slice(0, 80)}`);
          }
        },
        (e: Error) => {
          result.failed++;
          if (result.failures.length < 5) result.failures.push(e.message);
        },
      ),
    );
    await new Promise((r) => setTimeout(r, gap));
  }
  await Promise.all(inflight);
  return result;
}
