import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudEvent } from '../model/events.js';

/** Past this size the log is moved to events.1.jsonl (the one before is dropped): at most twice this on disk. */
export const ROTATE_BYTES = 1 << 20;

export const eventLogPath = (stateDir: string): string => join(stateDir, 'events.jsonl');
export const oldEventLogPath = (stateDir: string): string => join(stateDir, 'events.1.jsonl');

/** One line per event, appended (O_APPEND: a line from another process is never cut into). */
export function appendEvent(stateDir: string, event: CloudEvent, rotateBytes = ROTATE_BYTES): void {
  const path = eventLogPath(stateDir);
  mkdirSync(stateDir, { recursive: true });
  try {
    if (statSync(path).size >= rotateBytes) renameSync(path, oldEventLogPath(stateDir));
  } catch {
    /* no log yet, or another process rotated it first */
  }
  appendFileSync(path, `${JSON.stringify(event)}\n`, { mode: 0o640 });
}

export function parseEventLines(text: string): CloudEvent[] {
  const out: CloudEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as CloudEvent;
      if (typeof e?.id === 'string' && typeof e.type === 'string') out.push(e);
    } catch {
      /* a torn line (a writer died mid-line) is skipped */
    }
  }
  return out;
}

/** Every event kept, oldest first. */
export function readEvents(stateDir: string): CloudEvent[] {
  const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
  return parseEventLines(read(oldEventLogPath(stateDir)) + read(eventLogPath(stateDir)));
}
