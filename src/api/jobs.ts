import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DeployReport } from '../deploy/deploy.js';
import type { DrainReport } from '../nodes/drain.js';
import type { JobRun } from '../adapters/store/jobs.js';
import type { Log } from './deps.js';

/** What a job ends with: a deploy's report, a node drain's, or a scheduled job's run. */
export type JobResult = DeployReport | DrainReport | JobRun;

export type JobEvent = { type: 'progress'; line: string } | { type: 'done'; report: JobResult } | { type: 'error'; message: string; status: number };

export interface Job {
  id: string;
  kind: 'deploy' | 'rollback' | 'drain' | 'undrain' | 'job';
  startedAt: string;
  state: 'running' | 'done' | 'error';
  /** who started it ('' for jobs of older callers) */
  user: string;
  /** every event so far, for clients that connect late */
  events: JobEvent[];
  emitter: EventEmitter;
}

const MAX_LINES = 5000;
const KEEP_FINISHED = 50;

/** Deploys started through the API, each with its progress kept for replay. */
export class Jobs {
  private readonly jobs = new Map<string, Job>();

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  running(): Job[] {
    return [...this.jobs.values()].filter((j) => j.state === 'running');
  }

  /** Starts `work` in the background; `onEnd` sees the report or the error (metrics). */
  start<R extends JobResult>(
    kind: Job['kind'], work: (log: Log, id: string) => Promise<R>,
    onEnd: (job: Job, outcome: { report?: R; error?: unknown }) => void,
    describe: (err: unknown) => { message: string; status: number },
    user = '',
  ): Job {
    const job: Job = { id: randomBytes(8).toString('hex'), kind, startedAt: new Date().toISOString(), state: 'running', user, events: [], emitter: new EventEmitter() };
    job.emitter.setMaxListeners(100);
    this.jobs.set(job.id, job);
    this.evict();
    const push = (e: JobEvent) => {
      if (e.type === 'progress' && job.events.length >= MAX_LINES) return;
      job.events.push(e);
      job.emitter.emit('event', e);
    };
    // Deferred so that the 202 is sent before the first line can be logged; the job counts as
    // running from now on, so a request that comes meanwhile is refused (409).
    setImmediate(() => {
      Promise.resolve()
        .then(() => work((line) => push({ type: 'progress', line }), job.id))
        .then((report) => {
          job.state = 'done';
          push({ type: 'done', report });
          onEnd(job, { report });
        })
        .catch((error: unknown) => {
          job.state = 'error';
          push({ type: 'error', ...describe(error) });
          onEnd(job, { error });
        });
    });
    return job;
  }

  private evict(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(j.id);
  }
}
