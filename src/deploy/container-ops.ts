import type { ContainerCreateOptions } from 'dockerode';
import type { NodeEngine } from '../adapters/docker.js';

/** Creates and starts a container; returns its id and the host port Docker published (null for a worker: port null). */
export async function startContainer(
  engine: NodeEngine, spec: ContainerCreateOptions, port: number | null, beforeStart?: (id: string) => Promise<void>,
): Promise<{ id: string; hostPort: number | null }> {
  const id = await engine.createContainer(spec);
  try {
    // e.g. a restore or a move filling the new container's volumes before it runs
    await beforeStart?.(id);
    await engine.startContainer(id);
    const info = await engine.inspectContainer(id);
    if (!info) throw new Error('container vanished right after its start');
    if (!info.State.Running || info.State.Restarting) throw new Error(`container exited with status ${info.State.ExitCode}`);
    if (port === null) return { id, hostPort: null };
    const binding = info.NetworkSettings.Ports?.[`${port}/tcp`]?.[0];
    if (!binding?.HostPort) throw new Error(`port ${port}/tcp was not published`);
    return { id, hostPort: Number(binding.HostPort) };
  } catch (err) {
    (err as { containerId?: string }).containerId = id;
    throw err;
  }
}

/** Stops (waiting up to `graceSeconds`) and, unless told to keep it, removes a container. */
export async function stopContainer(engine: NodeEngine, id: string, opts: { remove: boolean; graceSeconds?: number }): Promise<void> {
  await engine.stopContainer(id, opts.graceSeconds ?? 10);
  if (opts.remove) await engine.removeContainer(id);
}

/** The last lines a container wrote, for error messages; never throws. */
export async function lastLogLines(engine: NodeEngine, id: string, lines = 10): Promise<string> {
  try {
    return (await engine.logs(id, lines)).trim();
  } catch {
    return '';
  }
}

export type ContainerState = { running: true } | { running: false; exitCode?: number; gone?: boolean };

/**
 * Whether the container still runs, and its exit code if not. A failed inspect (a slow node,
 * an SSH blip) is not an exit: it throws, and the caller decides.
 */
export async function containerState(engine: NodeEngine, id: string): Promise<ContainerState> {
  const info = await engine.inspectContainer(id);
  if (!info) return { running: false, gone: true };
  const s = info.State;
  return s.Running && !s.Restarting ? { running: true } : { running: false, exitCode: s.ExitCode };
}
