import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { EnvError, messageOf } from '../errors.js';
import { abortableSleep } from '../adapters/abortable-sleep.js';
import { JobStore, type JobRun } from '../adapters/store/jobs.js';
import { acquireLock, alive, type Lock } from '../adapters/store/lock.js';
import { PlanStore } from '../adapters/store/plans.js';
import { dueAt } from '../model/cron.js';
import { jobRunId } from '../model/job-spec.js';
import type { AppSpec } from '../model/plan.js';
import type { NamedPlan } from '../model/routes.js';
import { runJob } from './run-job.js';

export interface DeployedJob {
  owner: NamedPlan;
  app: AppSpec;
}

/** What the scheduler needs; tests give a clock and a runner of their own. */
export interface SchedulerDeps {
  now(): Date;
  jobs(): DeployedJob[];
  store: JobStore;
  run(job: DeployedJob, opts: { scheduledFor: Date; id: string }): Promise<JobRun>;
  log(line: string): void;
  /** the lock that makes one scheduler per manager; null: not taken (another holds it) */
  lock?(): Lock | null;
}

/** The deployed apps with a schedule. */
export function deployedJobs(stateDir: string): DeployedJob[] {
  return new PlanStore(stateDir).list().flatMap((owner) => owner.plan.apps.filter((a) => a.schedule !== undefined).map((app) => ({ owner, app })));
}

const keyOf = (j: DeployedJob) => `${j.owner.name}/${j.app.name}`;

/**
 * Runs the deployed jobs at their times (UTC). Each tick looks at every job: a job seen for the
 * first time waits for its next time; a due time starts one run (after a manager that was down,
 * only the latest missed time runs, the others are said); with concurrency forbid, a time that
 * comes while a run of the job is still going is recorded as skipped.
 */
export class Scheduler {
  private readonly inFlight = new Map<string, number>();
  private readonly runs = new Set<Promise<unknown>>();

  constructor(private readonly deps: SchedulerDeps) {}

  /** One look at every job at deps.now(); the runs it started are returned (and tracked). */
  tick(): Promise<JobRun>[] {
    const now = this.deps.now();
    const started: Promise<JobRun>[] = [];
    for (const job of this.deps.jobs()) {
      const key = keyOf(job);
      try {
        const last = this.deps.store.lastScheduled(key);
        if (last === null) {
          this.deps.store.setLastScheduled(key, now);
          continue;
        }
        const due = dueAt(job.app.schedule!, last, now);
        if (!due.run) continue;
        this.deps.store.setLastScheduled(key, due.run);
        if (due.missed) this.deps.log(`${key}: ${due.missed} scheduled time(s) passed while no scheduler ran; only the latest (${due.run.toISOString()}) runs`);
        const id = jobRunId(now, randomBytes(2).toString('hex'));
        if (job.app.concurrency !== 'allow' && (this.inFlight.get(key) ?? 0) > 0) {
          const reason = 'the previous run is still going (concurrency: forbid)';
          this.deps.store.put({ id, plan: job.owner.name, app: job.app.name, trigger: 'schedule', scheduledFor: due.run.toISOString(), state: 'skipped', reason, startedAt: now.toISOString() });
          this.deps.log(`${key}: ${due.run.toISOString()} skipped: ${reason}`);
          continue;
        }
        this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
        const p = this.deps.run(job, { scheduledFor: due.run, id }).finally(() => {
          this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
          this.runs.delete(p);
        });
        this.runs.add(p);
        started.push(p);
      } catch (err) {
        this.deps.log(`${key}: not scheduled: ${messageOf(err)}`);
      }
    }
    return started;
  }

  /** Until the signal: takes the scheduler lock (retrying while another manager process holds it), ticks at each minute. */
  async run(signal: AbortSignal, sleep: (ms: number, signal: AbortSignal) => Promise<void> = abortableSleep): Promise<void> {
    let lock: Lock | null = null;
    let told = false;
    try {
      while (!signal.aborted) {
        if (!lock && this.deps.lock && (lock = this.deps.lock())) {
          const lost = this.deps.store.settleLost(alive);
          if (lost) this.deps.log(`jobs: ${lost} run(s) left running by a manager that stopped are marked failed`);
        }
        if (lock || !this.deps.lock) this.tick();
        else if (!told) {
          this.deps.log('jobs: another scheduler holds the lock; this one waits');
          told = true;
        }
        const now = this.deps.now().getTime();
        // Just after the next whole minute: cron times are whole minutes.
        await sleep(60_000 - (now % 60_000) + 200, signal);
      }
    } finally {
      lock?.release();
      await Promise.allSettled([...this.runs]);
    }
  }
}

/** The scheduler of this manager: the real clock, the deployed plans, runs on the nodes, the lock under the state dir. */
export function liveScheduler(config: Config, log: (line: string) => void, signal: AbortSignal): Scheduler {
  const store = new JobStore(config.stateDir, (m) => log(`warning: ${m}`));
  return new Scheduler({
    now: () => new Date(),
    jobs: () => deployedJobs(config.stateDir),
    store,
    run: (job, o) => runJob(config, job.owner, job.app, { trigger: 'schedule', scheduledFor: o.scheduledFor, id: o.id, log, signal, forbidOverlap: job.app.concurrency !== 'allow' }),
    log,
    lock: () => {
      try {
        return acquireLock(join(config.stateDir, 'scheduler.lock'), `scheduler (pid ${process.pid})`);
      } catch (err) {
        if (err instanceof EnvError) return null;
        throw err;
      }
    },
  });
}
