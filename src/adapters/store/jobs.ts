import { join } from 'node:path';
import { readJsonRecord, writeJson, type StoreWarn } from './atomic.js';
import { withFileLock } from './lock.js';

/** One run of a job, or a time it skipped. */
export interface JobRun {
  id: string;
  plan: string;
  app: string;
  trigger: 'schedule' | 'manual';
  /** the scheduled time it ran for (schedule) */
  scheduledFor?: string;
  state: 'running' | 'succeeded' | 'failed' | 'skipped';
  /** skipped or failed before the container ran: why */
  reason?: string;
  node?: string;
  container?: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  exitCode?: number;
  /** the last lines it wrote (secret values taken out) */
  logs?: string[];
  /** the process that runs it: a run left `running` by a process that is gone never finished */
  pid?: number;
}

interface JobEntry {
  /** the last scheduled time the scheduler handled (ran, skipped or missed) */
  lastScheduled?: string;
  /** newest last */
  runs: JobRun[];
}

interface FileShape {
  version: 1;
  jobs: Record<string, JobEntry>;
}

/** Runs kept per job (the file stays small: each keeps at most LOG_LINES lines). */
export const KEEP_RUNS = 50;
export const LOG_LINES = 20;

/**
 * `<stateDir>/jobs.json`: per job (`plan/app`), the last scheduled time and the last runs. Updates
 * are read-modify-write under a flock (the scheduler and `jobs run` write at once); a corrupt file is set aside.
 */
export class JobStore {
  constructor(private readonly stateDir: string, private readonly warn?: StoreWarn) {}

  get path(): string {
    return join(this.stateDir, 'jobs.json');
  }

  private load(): Record<string, JobEntry> {
    return readJsonRecord<JobEntry>(this.path, 'jobs', this.warn);
  }

  private update<T>(change: (all: Record<string, JobEntry>) => T): T {
    return withFileLock(`${this.path}.lock`, 10, () => {
      const all = this.load();
      const out = change(all);
      writeJson(this.path, { version: 1, jobs: all } satisfies FileShape);
      return out;
    });
  }

  lastScheduled(key: string): Date | null {
    const t = this.load()[key]?.lastScheduled;
    return t ? new Date(t) : null;
  }

  setLastScheduled(key: string, at: Date): void {
    this.update((all) => {
      all[key] = { ...(all[key] ?? { runs: [] }), lastScheduled: at.toISOString() };
    });
  }

  /** Newest first. */
  runs(key: string): JobRun[] {
    return [...(this.load()[key]?.runs ?? [])].reverse();
  }

  all(): Map<string, JobEntry> {
    return new Map(Object.entries(this.load()));
  }

  /** Drops what is kept of a job (its plan was undeployed, or a test starts afresh). */
  forget(key: string): void {
    this.update((all) => {
      delete all[key];
    });
  }

  /** A plan was undeployed: its jobs' last scheduled times go (a later deploy starts afresh, no catch-up); their runs stay. */
  unschedule(plan: string): void {
    this.update((all) => {
      for (const [key, entry] of Object.entries(all)) if (key.startsWith(`${plan}/`)) delete entry.lastScheduled;
    });
  }

  /**
   * Runs left `running` by a process that is gone (a manager that died mid-run) become failed,
   * said so; their containers finish on their nodes and go with the next runs' cleanup.
   */
  settleLost(alive: (pid: number) => boolean, now = new Date()): number {
    return this.update((all) => {
      let n = 0;
      for (const entry of Object.values(all)) {
        for (const r of entry.runs) {
          if (r.state !== 'running' || r.pid === undefined || alive(r.pid)) continue;
          Object.assign(r, { state: 'failed', reason: 'the manager process that ran it stopped meanwhile; its end is unknown', finishedAt: now.toISOString() });
          n++;
        }
      }
      return n;
    });
  }

  /** Adds the run, or replaces the one of the same id; keeps the newest KEEP_RUNS. */
  put(run: JobRun): void {
    const key = `${run.plan}/${run.app}`;
    const kept = { ...run, ...(run.logs ? { logs: run.logs.slice(-LOG_LINES) } : {}) };
    this.update((all) => {
      const entry = all[key] ?? { runs: [] };
      const i = entry.runs.findIndex((r) => r.id === run.id);
      if (i >= 0) entry.runs[i] = kept;
      else entry.runs.push(kept);
      entry.runs = entry.runs.slice(-KEEP_RUNS);
      all[key] = entry;
    });
  }
}
