import { emitEvent, type EventConfig } from './emit.js';

/** For the job scheduler: a run that ended badly (non-zero exit, or it could not start: exitCode null). */
export function jobFailed(config: EventConfig, run: { plan: string; app: string; node?: string; exitCode: number | null; why?: string; user?: string }): void {
  const how = run.exitCode === null ? `did not run${run.why ? `: ${run.why}` : ''}` : `exited ${run.exitCode}${run.why ? ` (${run.why})` : ''}`;
  emitEvent(config, {
    type: 'job.failed', plan: run.plan, app: run.app, user: run.user ?? 'scheduler',
    ...(run.node ? { node: run.node } : {}),
    message: `job ${run.plan}/${run.app} ${how}${run.node ? ` on ${run.node}` : ''}`,
  });
}
