import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudEvent } from '../model/events.js';
import type { Delivery } from './notifier.js';

/** Deliveries a short-lived CLI process could not finish in its grace: `serve` takes them over. */
export const outboxPath = (stateDir: string): string => join(stateDir, 'notify-outbox.jsonl');

export function handOver(stateDir: string, left: readonly Delivery[]): void {
  if (left.length === 0) return;
  mkdirSync(stateDir, { recursive: true });
  appendFileSync(outboxPath(stateDir), left.map((d) => `${JSON.stringify(d)}\n`).join(''), { mode: 0o600 });
}

/** Takes every delivery out of the outbox (renamed first: an append meanwhile goes to a new file). */
export function takeOver(stateDir: string): Delivery[] {
  const taking = `${outboxPath(stateDir)}.${process.pid}`;
  try {
    renameSync(outboxPath(stateDir), taking);
  } catch {
    return [];
  }
  const out: Delivery[] = [];
  for (const line of readFileSync(taking, 'utf8').split('\n')) {
    try {
      const d = JSON.parse(line) as { event?: CloudEvent; url?: string; attempt?: number };
      if (d.event && typeof d.url === 'string') out.push({ event: d.event, url: d.url, attempt: Number(d.attempt) || 0 });
    } catch {
      /* blank or torn line */
    }
  }
  rmSync(taking, { force: true });
  return out;
}
