import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { backoffMs, deliveryHeaders, retryable, safeUrl, wants, type CloudEvent } from '../model/events.js';

export interface Webhook {
  url: string;
  secret?: { env: string } | { secret: string };
  events?: string[];
}

export interface NotifyOptions {
  webhooks: Webhook[];
  timeoutMs: number;
  retries: number;
  queue: number;
}

/** One event on its way to one webhook. */
export interface Delivery {
  event: CloudEvent;
  url: string;
  /** attempts made so far */
  attempt: number;
}

interface Pending extends Delivery {
  hook: Webhook;
  timer?: NodeJS.Timeout;
  abort?: AbortController;
}

const BASE_MS = 500;
const CAP_MS = 60_000;

/** POSTs the body; the HTTP status, or null when no answer came (refused, reset, timed out). */
function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<number | null> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return resolve(null);
    }
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(u, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    // A receiver that never answers must not keep a finished command alive.
    req.on('socket', (s) => s.unref());
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

/**
 * Delivers events to webhooks in the background: enqueue never waits and never throws; each
 * delivery is retried with exponential backoff (bounded in count) while the answer is worth
 * another try; at most `queue` deliveries wait (beyond, the oldest is dropped and said).
 */
export class Notifier {
  private readonly pending = new Set<Pending>();

  constructor(
    private readonly opts: NotifyOptions,
    /** the HMAC key of a webhook; undefined: unsigned; null: its secret is not set (not delivered) */
    private readonly secretOf: (hook: Webhook) => string | undefined | null,
    private readonly warn: (line: string) => void,
    private readonly clock: { now(): number; random(): number } = { now: Date.now, random: Math.random },
  ) {}

  get size(): number {
    return this.pending.size;
  }

  enqueue(event: CloudEvent, attempt = 0, only?: string): void {
    for (const hook of this.opts.webhooks) {
      if (!wants(hook.events, event.type) || (only !== undefined && hook.url !== only)) continue;
      if (this.pending.size >= this.opts.queue) this.dropOldest();
      const d: Pending = { event, url: hook.url, hook, attempt };
      this.pending.add(d);
      this.schedule(d, 0);
    }
  }

  /** Waits up to graceMs for every delivery to end; returns (and stops) those still pending then. */
  async settle(graceMs: number): Promise<Delivery[]> {
    const deadline = this.clock.now() + graceMs;
    while (this.pending.size > 0 && this.clock.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - this.clock.now()))));
    }
    const left = [...this.pending].map((d) => ({ event: d.event, url: d.url, attempt: d.attempt }));
    for (const d of this.pending) this.stop(d);
    this.pending.clear();
    return left;
  }

  private dropOldest(): void {
    const oldest = this.pending.values().next().value;
    if (!oldest) return;
    this.stop(oldest);
    this.pending.delete(oldest);
    this.warn(`webhook ${safeUrl(oldest.url)}: queue full (${this.opts.queue}): ${oldest.event.type} ${oldest.event.id} dropped`);
  }

  private stop(d: Pending): void {
    if (d.timer) clearTimeout(d.timer);
    d.abort?.abort();
  }

  private schedule(d: Pending, delayMs: number): void {
    d.timer = setTimeout(() => void this.attempt(d), delayMs);
    d.timer.unref();
  }

  private async attempt(d: Pending): Promise<void> {
    d.timer = undefined;
    const secret = this.secretOf(d.hook);
    if (secret === null) {
      this.pending.delete(d);
      this.warn(`webhook ${safeUrl(d.url)}: its secret is not set: ${d.event.type} ${d.event.id} not delivered`);
      return;
    }
    const body = JSON.stringify(d.event);
    d.abort = new AbortController();
    d.attempt++;
    const status = await post(d.url, body, deliveryHeaders(d.event, body, this.clock.now(), secret), this.opts.timeoutMs, d.abort.signal);
    d.abort = undefined;
    if (!this.pending.has(d)) return; // settled or dropped meanwhile
    if (status !== null && status >= 200 && status < 300) return void this.pending.delete(d);
    if (retryable(status) && d.attempt <= this.opts.retries) {
      return this.schedule(d, backoffMs(d.attempt, BASE_MS, CAP_MS, this.clock.random()));
    }
    this.pending.delete(d);
    this.warn(`webhook ${safeUrl(d.url)}: ${d.event.type} ${d.event.id} not delivered after ${d.attempt} attempt(s) (${status === null ? 'no answer' : `HTTP ${status}`})`);
  }
}
