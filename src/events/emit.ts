import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { SecretStore } from '../adapters/store/secrets.js';
import type { CloudEvent } from '../model/events.js';
import { appendEvent } from './log.js';
import { Notifier, type Webhook } from './notifier.js';
import { handOver, takeOver } from './outbox.js';

export type EventConfig = Pick<Config, 'stateDir'> & Partial<Pick<Config, 'notify'>>;
export type NewEvent = Omit<CloudEvent, 'id' | 'time'> & { time?: string };

const warnOnStderr = (line: string) => console.error(`cloudmatrix: warning: ${line}`);

// One notifier per process and state dir: deploys, the autoscaler and the watcher of one
// process share its queue.
const notifiers = new Map<string, { notifier: Notifier; stateDir: string; graceMs: number }>();

function notifierOf(config: EventConfig, warn: (line: string) => void): Notifier | null {
  const n = config.notify;
  if (!n || n.webhooks.length === 0) return null;
  const key = `${config.stateDir}\0${JSON.stringify(n)}`;
  const known = notifiers.get(key);
  if (known) return known.notifier;
  const secretOf = (hook: Webhook): string | undefined | null => {
    if (!hook.secret) return undefined;
    if ('env' in hook.secret) return process.env[hook.secret.env] || null;
    try {
      return new SecretStore(config.stateDir).values([hook.secret.secret]).get(hook.secret.secret) ?? null;
    } catch {
      return null;
    }
  };
  const notifier = new Notifier(n, secretOf, warn);
  notifiers.set(key, { notifier, stateDir: config.stateDir, graceMs: n.graceMs });
  return notifier;
}

/**
 * Records an event in the log and queues it for the webhooks; returns at once, never throws
 * (an event is worth less than the deploy that emits it). Nothing secret may be in `e`.
 */
export function emitEvent(config: EventConfig, e: NewEvent, warn: (line: string) => void = warnOnStderr): CloudEvent {
  const event: CloudEvent = { id: randomUUID(), time: e.time ?? new Date().toISOString(), ...e } as CloudEvent;
  try {
    appendEvent(config.stateDir, event);
  } catch (err) {
    warn(`event ${event.type} not in the event log: ${(err as Error).message}`);
  }
  try {
    notifierOf(config, warn)?.enqueue(event);
  } catch (err) {
    warn(`event ${event.type} not queued for webhooks: ${(err as Error).message}`);
  }
  return event;
}

/**
 * At the end of a CLI command: waits up to notify.graceMs for deliveries in flight, then hands
 * what is left to the outbox that `serve` delivers (a dead receiver costs a command at most the grace).
 */
export async function settleNotifications(warn: (line: string) => void = warnOnStderr): Promise<void> {
  for (const [key, { notifier, stateDir, graceMs }] of notifiers) {
    notifiers.delete(key);
    const left = await notifier.settle(graceMs);
    if (left.length === 0) continue;
    try {
      handOver(stateDir, left);
      warn(`${left.length} webhook deliver${left.length === 1 ? 'y' : 'ies'} still pending: left to \`cloudmatrix serve\``);
    } catch (err) {
      warn(`${left.length} webhook deliveries lost: ${(err as Error).message}`);
    }
  }
}

/** For `serve`: queues what CLI commands left in the outbox (for webhooks still configured). */
export function deliverOutbox(config: EventConfig, warn: (line: string) => void = warnOnStderr): number {
  const notifier = notifierOf(config, warn);
  if (!notifier) return 0;
  const left = takeOver(config.stateDir);
  for (const d of left) notifier.enqueue(d.event, d.attempt, d.url);
  return left.length;
}
