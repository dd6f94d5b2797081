import { JobStore, type JobRun } from '../adapters/store/jobs.js';
import { appKey, parseAppRef, resolveAppRef } from '../model/app-ref.js';
import { nextRun } from '../model/cron.js';
import { deployedJobs, type DeployedJob } from './scheduler.js';

/** A job as `jobs`, the API and the dashboard show it. */
export interface JobView {
  plan: string;
  app: string;
  schedule: string;
  concurrency: 'forbid' | 'allow';
  /** the next scheduled time (UTC) */
  next: string;
  lastScheduled: string | null;
  /** newest first */
  runs: JobRun[];
}

function view(store: JobStore, job: DeployedJob, now: Date): JobView {
  const key = appKey({ plan: job.owner.name, app: job.app.name });
  return {
    plan: job.owner.name, app: job.app.name, schedule: job.app.schedule!, concurrency: job.app.concurrency ?? 'forbid',
    next: nextRun(job.app.schedule!, now).toISOString(), lastScheduled: store.lastScheduled(key)?.toISOString() ?? null, runs: store.runs(key),
  };
}

/** Every deployed job, by plan then app. */
export function listJobs(stateDir: string, now = new Date()): JobView[] {
  const store = new JobStore(stateDir);
  return deployedJobs(stateDir).map((j) => view(store, j, now)).sort((a, b) => (appKey(a) < appKey(b) ? -1 : 1));
}

/** The deployed job `APP` or `PLAN/APP` means (exit 2 when none, when ambiguous, or when the app is no job). */
export function findJob(stateDir: string, ref: string, what = 'APP'): DeployedJob {
  const jobs = deployedJobs(stateDir);
  const id = resolveAppRef(parseAppRef(ref, what), jobs.map((j) => ({ plan: j.owner.name, app: j.app.name })), what);
  return jobs.find((j) => j.owner.name === id.plan && j.app.name === id.app)!;
}

export function jobView(stateDir: string, ref: string, now = new Date()): JobView {
  return view(new JobStore(stateDir), findJob(stateDir, ref), now);
}
