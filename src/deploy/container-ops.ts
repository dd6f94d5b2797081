import type Docker from 'dockerode';
import type { ContainerCreateOptions } from 'dockerode';

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/** Docker's multiplexed log stream (8-byte frame headers) as plain text. */
export function demuxLogs(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2 || buf[i] === 0) && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return i === 0 ? buf.toString('utf8') : Buffer.concat(out).toString('utf8');
}

/** Creates and starts a container; returns its id and the host port Docker published. */
export async function startContainer(docker: Docker, spec: ContainerCreateOptions, port: number): Promise<{ id: string; hostPort: number }> {
  const container = await docker.createContainer(spec);
  try {
    await container.start();
    const info = await container.inspect();
    const binding = info.NetworkSettings.Ports?.[`${port}/tcp`]?.[0];
    if (!info.State.Running || info.State.Restarting) throw new Error(`container exited with status ${info.State.ExitCode}`);
    if (!binding?.HostPort) throw new Error(`port ${port}/tcp was not published`);
    return { id: container.id, hostPort: Number(binding.HostPort) };
  } catch (err) {
    (err as { containerId?: string }).containerId = container.id;
    throw err;
  }
}

/** Stops (waiting up to `graceSeconds`) and, unless told to keep it, removes a container. */
export async function stopContainer(docker: Docker, id: string, opts: { remove: boolean; graceSeconds?: number }): Promise<void> {
  const c = docker.getContainer(id);
  try {
    await c.stop({ t: opts.graceSeconds ?? 10 });
  } catch (err) {
    if (statusOf(err) !== 304 && statusOf(err) !== 404) throw err;
  }
  if (opts.remove) await removeContainer(docker, id);
}

export async function removeContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true });
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}

/** The last lines a container wrote, for error messages; never throws. */
export async function lastLogLines(docker: Docker, id: string, lines = 10): Promise<string> {
  try {
    const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))).trim();
  } catch {
    return '';
  }
}

/** Whether the container still runs, and its exit code if not; never throws. */
export async function containerState(docker: Docker, id: string): Promise<{ running: boolean; exitCode?: number }> {
  try {
    const s = (await docker.getContainer(id).inspect()).State;
    return { running: s.Running && !s.Restarting, exitCode: s.ExitCode };
  } catch {
    return { running: false };
  }
}
