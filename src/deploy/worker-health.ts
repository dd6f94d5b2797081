import type { NodeEngine } from '../adapters/docker.js';
import type { HealthSpec } from '../model/plan.js';
import { workerVerdict, type WorkerLook } from '../model/worker-health.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function look(engine: NodeEngine, id: string): Promise<WorkerLook> {
  const info = await engine.inspectContainer(id);
  if (!info) return { gone: true, running: false, restarting: false, restartCount: 0 };
  const s = info.State;
  return { gone: false, running: s.Running, restarting: s.Restarting, restartCount: info.RestartCount ?? 0, exitCode: s.ExitCode };
}

/**
 * Waits until a started worker is healthy (workerVerdict): polled until its start period has
 * passed, or its health.command run every interval; throws on an exit, a restart, or the deadline.
 */
export async function waitWorkerHealthy(engine: NodeEngine, id: string, health: HealthSpec, deadlineMs: number, signal: AbortSignal): Promise<void> {
  const t0 = Date.now();
  // a new container starts with RestartCount 0: any restart since counts
  const startPeriodMs = health.startPeriodMs ?? 5000;
  const everyMs = health.command ? Math.min(1000, health.intervalMs) : Math.max(50, Math.min(500, Math.floor(startPeriodMs / 5)));
  let exitCode: number | null | undefined;
  let seen = await look(engine, id);
  for (;;) {
    if (signal.aborted) throw new Error('cancelled');
    if (health.command && seen.running && !seen.restarting) exitCode = await engine.execCheck(id, health.command, health.timeoutMs);
    const v = workerVerdict(0, seen, Date.now() - t0, { startPeriodMs, ...(health.command ? { command: { exitCode } } : {}) });
    if (v.kind === 'healthy') return;
    if (v.kind === 'failed') throw new Error(v.reason);
    if (Date.now() - t0 >= deadlineMs) {
      const why = health.command ? `health.command ${JSON.stringify(health.command)} ${exitCode === undefined ? 'never ran' : exitCode === null ? 'did not finish in time' : `exited ${exitCode}`}` : 'still starting';
      throw new Error(`not healthy within ${deadlineMs / 1000} s: ${why}`);
    }
    await sleep(everyMs);
    seen = await look(engine, id);
  }
}
