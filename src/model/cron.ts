import { Cron } from 'croner';

/** A checked five-field cron schedule (minute hour day-of-month month day-of-week), read in UTC. */
export interface Schedule {
  text: string;
  cron: Cron;
}

const NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** The schedule, or why it is not one (a message for a plan error). */
export function parseSchedule(text: string): { ok: true; schedule: Schedule } | { ok: false; error: string } {
  const s = text.trim();
  const fields = s.split(/\s+/);
  if (!NICKNAMES.has(s.toLowerCase()) && fields.length !== 5) {
    return { ok: false, error: `expected five cron fields (minute hour day-of-month month day-of-week, UTC), e.g. "*/15 * * * *"; got ${fields.length}` };
  }
  let cron: Cron;
  try {
    cron = new Cron(s, { timezone: 'UTC', paused: true, mode: '5-part' });
  } catch (err) {
    return { ok: false, error: `not a valid cron schedule: ${(err as Error).message.replace(/^CronPattern: /, '')}` };
  }
  // A date that never comes (30 February) would leave the job silently never running.
  if (cron.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) return { ok: false, error: 'this schedule never comes (no such date)' };
  return { ok: true, schedule: { text: s, cron } };
}

function mustParse(text: string): Schedule {
  const r = parseSchedule(text);
  if (!r.ok) throw new Error(`schedule ${JSON.stringify(text)}: ${r.error}`);
  return r.schedule;
}

/** The first time strictly after `after` (whole minutes, UTC). */
export function nextRun(text: string, after: Date): Date {
  return mustParse(text).cron.nextRun(after)!;
}

/** What the scheduler does at `now` for a job whose last scheduled time was `last`. */
export interface Due {
  /** the scheduled time to run now, or null */
  run: Date | null;
  /** scheduled times between `last` and `run` that are not run (a manager that was down), capped at MISSED_CAP */
  missed: number;
  /** the next scheduled time after now */
  next: Date;
}

export const MISSED_CAP = 1000;

/**
 * Which scheduled time is due at `now`: the latest one in (last, now]. Times before it were missed
 * (the manager was down) and are not caught up: at most one run after a restart. With no `last`
 * (a job seen for the first time), nothing is due: a job first runs at its next time.
 */
export function dueAt(text: string, last: Date | null, now: Date): Due {
  const { cron } = mustParse(text);
  const next = cron.nextRun(now)!;
  if (last === null || last >= now) return { run: null, missed: 0, next };
  let run: Date | null = null;
  let seen = 0;
  for (let t = cron.nextRun(last); t !== null && t <= now && seen <= MISSED_CAP; t = cron.nextRun(t)) {
    run = t;
    seen++;
  }
  if (seen > MISSED_CAP) run = cron.previousRuns(1, new Date(now.getTime() + 1))[0] ?? run;
  return { run, missed: Math.min(MISSED_CAP, Math.max(0, seen - 1)), next };
}
