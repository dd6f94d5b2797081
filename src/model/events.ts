import { createHmac, timingSafeEqual } from 'node:crypto';

// What cloudmatrix tells webhooks and the event log. Pure: shapes, signature, retry schedule.

export const EVENT_TYPES = [
  'deploy.started',
  'deploy.succeeded',
  'deploy.failed',
  'deploy.rolled_back',
  'autoscale.scaled',
  'job.failed',
  'certificate.renewal_failed',
  'node.unreachable',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface EventApp {
  app: string;
  revision?: string;
  digest?: string;
  result?: string;
}

export interface CloudEvent {
  /** unique, for receivers to drop a repeated delivery */
  id: string;
  type: EventType;
  /** ISO time the event happened */
  time: string;
  message: string;
  plan?: string;
  app?: string;
  user?: string;
  /** the deploy's id (the history's), for deploy.* and autoscale.* */
  deploy?: string;
  /** deploy, rollback, scale, autoscale, restore, move */
  kind?: string;
  apps?: EventApp[];
  node?: string;
  host?: string;
}

export const SIGNATURE_HEADER = 'X-Cloudmatrix-Signature';
export const TIMESTAMP_HEADER = 'X-Cloudmatrix-Timestamp';
export const EVENT_ID_HEADER = 'X-Cloudmatrix-Event-Id';
export const EVENT_TYPE_HEADER = 'X-Cloudmatrix-Event';

/** `sha256=<hex>`: HMAC-SHA256 of the raw body with the webhook's secret (as GitHub signs its webhooks). */
export function signature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What a receiver does: recompute, compare in constant time. */
export function verifySignature(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(signature(secret, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The headers of one delivery attempt; `secret` absent: unsigned. */
export function deliveryHeaders(event: CloudEvent, body: string, nowMs: number, secret?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'cloudmatrix-webhook',
    [EVENT_ID_HEADER]: event.id,
    [EVENT_TYPE_HEADER]: event.type,
    [TIMESTAMP_HEADER]: String(Math.floor(nowMs / 1000)),
    ...(secret === undefined ? {} : { [SIGNATURE_HEADER]: signature(secret, body) }),
  };
}

/** Delay before retry `attempt` (1 = the first retry): exponential from baseMs, capped, with up to 20% jitter from `random` in [0,1). */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: number): number {
  const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.min(capMs, raw * (1 + 0.2 * random)));
}

/** Whether an answer (HTTP status, or null for no answer: refused, reset, timed out) is worth another try. */
export function retryable(status: number | null): boolean {
  return status === null || status === 408 || status === 429 || status >= 500;
}

/** Only scheme, host and port of a webhook URL: its path or query may be the secret (Slack-style URLs). */
export function safeUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/** The event type of a finished deploy of this kind and result. */
export function deployEventType(kind: string, result: string): EventType {
  if (result === 'failed' || result === 'partial') return 'deploy.failed';
  if (kind === 'rollback') return 'deploy.rolled_back';
  if (kind === 'autoscale') return 'autoscale.scaled';
  return 'deploy.succeeded';
}

/** Whether a webhook that asked for `wanted` (absent: all) takes this type; `deploy.*` style prefixes allowed. */
export function wants(wanted: readonly string[] | undefined, type: EventType): boolean {
  if (!wanted || wanted.length === 0) return true;
  return wanted.some((w) => w === type || (w.endsWith('.*') && type.startsWith(w.slice(0, -1))));
}
