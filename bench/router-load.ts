// A closed-loop HTTP load generator for the router bench and test: `connections` clients, each
// sending its next request when the last one answered, bounded by a count and a time. Loopback
// and lab addresses only.
import { Agent, request } from 'node:http';

export interface LoadTarget {
  host: string;
  port: number;
  /** Host header (through Varnish); none when straight to a container */
  hostHeader?: string;
}

export interface LoadResult {
  sent: number;
  failed: number;
  /** `HTTP 503` or an error message, with how many times */
  failures: Map<string, number>;
  /** milliseconds of each answered request */
  latencies: number[];
  ms: number;
}

const ALLOWED = /^(127\.|10\.77\.0\.)/;

function once(t: LoadTarget, agent: Agent, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: t.host, port: t.port, path: '/', agent, headers: t.hostHeader ? { Host: t.hostHeader } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Runs until maxRequests are sent or maxMs pass; `during` runs alongside (e.g. kills a replica). */
export async function closedLoop(
  t: LoadTarget,
  opts: { connections: number; maxRequests: number; maxMs: number; timeoutMs?: number; during?: () => Promise<unknown> },
): Promise<LoadResult> {
  if (!ALLOWED.test(t.host)) throw new Error(`load only to loopback or the lab subnet, not ${t.host}`);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const r: LoadResult = { sent: 0, failed: 0, failures: new Map(), latencies: [], ms: 0 };
  const fail = (why: string) => {
    r.failed++;
    r.failures.set(why, (r.failures.get(why) ?? 0) + 1);
  };
  const t0 = performance.now();
  const more = () => r.sent < opts.maxRequests && performance.now() - t0 < opts.maxMs;
  const client = async () => {
    while (more()) {
      r.sent++;
      const start = performance.now();
      try {
        const status = await once(t, agent, opts.timeoutMs ?? 5000);
        r.latencies.push(performance.now() - start);
        if (status !== 200) fail(`HTTP ${status}`);
      } catch (err) {
        fail((err as Error).message);
      }
    }
  };
  try {
    const side = opts.during?.();
    await Promise.all([...Array.from({ length: opts.connections }, client), side]);
  } finally {
    r.ms = performance.now() - t0;
    agent.destroy();
  }
  return r;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export const showFailures = (r: LoadResult): string => [...r.failures].map(([w, n]) => `${w} x${n}`).join(', ');
