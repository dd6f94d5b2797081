import { appendFileSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/** One install-image, as the manager saw it: the registry itself records no pusher. */
export interface PushRecord {
  /** repository in the registry, e.g. cloud/web */
  image: string;
  tag: string;
  digest: string;
  time: string;
  user: string;
}

export function pushLogPath(stateDir: string): string {
  return join(stateDir, 'registry-pushes.jsonl');
}

function whoAmI(): string {
  const sudo = process.env.SUDO_USER;
  const me = userInfo().username;
  return sudo && sudo !== me ? `${sudo} (as ${me})` : me;
}

export function recordPush(stateDir: string, p: Omit<PushRecord, 'time' | 'user'>, now = new Date()): void {
  const line: PushRecord = { ...p, time: now.toISOString(), user: whoAmI() };
  appendFileSync(pushLogPath(stateDir), `${JSON.stringify(line)}\n`, { mode: 0o644 });
}

export const pushKey = (image: string, tag: string, digest: string) => `${image}:${tag}@${digest}`;

/** The last push of each image:tag@digest; a torn or foreign line is skipped. */
export function readPushes(stateDir: string): Map<string, PushRecord> {
  let text = '';
  try {
    text = readFileSync(pushLogPath(stateDir), 'utf8');
  } catch {
    return new Map();
  }
  const out = new Map<string, PushRecord>();
  for (const line of text.split('\n')) {
    try {
      const r = JSON.parse(line) as PushRecord;
      if (typeof r.image === 'string' && typeof r.digest === 'string') out.set(pushKey(r.image, r.tag, r.digest), r);
    } catch {
      /* a partial last line of a concurrent append */
    }
  }
  return out;
}
