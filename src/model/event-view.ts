import type { CloudEvent } from './events.js';

export interface EventFilter {
  /** an event type, or a prefix like `deploy.*` */
  type?: string;
  plan?: string;
  app?: string;
  /** the newest this many */
  limit?: number;
}

export function matchesEvent(e: CloudEvent, f: EventFilter): boolean {
  if (f.type && !(f.type.endsWith('.*') ? e.type.startsWith(f.type.slice(0, -1)) : e.type === f.type)) return false;
  if (f.plan && e.plan !== f.plan) return false;
  if (f.app && e.app !== f.app && !e.apps?.some((a) => a.app === f.app)) return false;
  return true;
}

/** The matching events, oldest first, the newest `limit` of them. */
export function filterEvents(events: readonly CloudEvent[], f: EventFilter): CloudEvent[] {
  const all = events.filter((e) => matchesEvent(e, f));
  return f.limit === undefined ? all : all.slice(Math.max(0, all.length - f.limit));
}

/** One line: time, type, where (plan/app or node), who, what. */
export function formatEvent(e: CloudEvent): string {
  const where = e.node ?? (e.plan ? `${e.plan}${e.app ? `/${e.app}` : ''}` : e.app ?? '-');
  return `${e.time.slice(0, 19).replace('T', ' ')}  ${e.type.padEnd(26)} ${where}${e.user ? `  by ${e.user}` : ''}  ${e.message}`;
}
