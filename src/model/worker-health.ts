/** What one look at a starting worker's container saw (docker inspect). */
export interface WorkerLook {
  gone: boolean;
  running: boolean;
  restarting: boolean;
  restartCount: number;
  exitCode?: number;
}

export type WorkerVerdict = { kind: 'healthy' } | { kind: 'wait' } | { kind: 'failed'; reason: string };

export interface WorkerHealthRule {
  startPeriodMs: number;
  /** with health.command: its last exit code (null: still running at its timeout; undefined: not run yet) */
  command?: { exitCode: number | null | undefined };
}

/**
 * A worker has no port to ask: it is healthy once it has run for startPeriod without a restart
 * (Docker's RestartCount unchanged since its start), or, with health.command, when that exits 0.
 * An exit, a restart or a removal fails it at once, whatever the rule.
 */
export function workerVerdict(firstRestartCount: number, look: WorkerLook, elapsedMs: number, rule: WorkerHealthRule): WorkerVerdict {
  if (look.gone) return { kind: 'failed', reason: 'container was removed' };
  if (look.restartCount > firstRestartCount) {
    const n = look.restartCount - firstRestartCount;
    return { kind: 'failed', reason: `container restarted ${n === 1 ? 'once' : `${n} times`} (it exits: a worker must keep running)` };
  }
  if (!look.running || look.restarting) {
    return { kind: 'failed', reason: `container exited${look.exitCode === undefined ? '' : ` with status ${look.exitCode}`} (a worker must keep running)` };
  }
  if (rule.command) return rule.command.exitCode === 0 ? { kind: 'healthy' } : { kind: 'wait' };
  return elapsedMs >= rule.startPeriodMs ? { kind: 'healthy' } : { kind: 'wait' };
}
