import type { Config } from '../config.js';
import { NodeEngines, type NodeEngine } from '../adapters/docker.js';
import { statusOf } from '../adapters/docker/engine.js';
import type { ExecAttach, TerminalSize } from '../adapters/docker/exec.js';
import { knownGoodOf } from '../deploy/known-good.js';
import { EnvError, UserError } from '../errors.js';
import type { CloudContainer } from '../model/cloud-container.js';
import { findReplicas, recordedNodes, type AppTarget } from '../logs/replicas.js';

export type { TerminalSize } from '../adapters/docker/exec.js';

export interface ExecRequest {
  target: AppTarget;
  node?: string;
  cmd: string[];
  tty: boolean;
  /** attach the command's stdin */
  stdin: boolean;
  size?: TerminalSize;
}

export interface ExecSession {
  /** the replica it runs in */
  container: CloudContainer;
  attach: ExecAttach;
  resize(size: TerminalSize): Promise<void>;
  /** once the attached connection ended: the command's exit status */
  exitCode(): Promise<number>;
  close(): void;
}

/**
 * The replica to run in: a running known-good one (the first by node and name), else any
 * running one; on --node, one on that node.
 */
export function pickReplica(containers: readonly CloudContainer[], isGood: (id: string) => boolean): CloudContainer | null {
  const running = containers.filter((c) => c.state === 'running');
  return running.find((c) => isGood(c.id)) ?? running[0] ?? null;
}

const EXIT_POLLS = 40;
const EXIT_POLL_MS = 50;

/** Docker sets the exit status when it sees the process exit, which may come a moment after the connection closed. */
async function exitStatus(engine: NodeEngine, execId: string, where: string): Promise<number> {
  for (let i = 0; i < EXIT_POLLS; i++) {
    const s = await engine.inspectExec(execId);
    if (!s.running && s.exitCode !== null) return s.exitCode;
    await new Promise((r) => setTimeout(r, EXIT_POLL_MS));
  }
  throw new EnvError(`${where}: the connection ended but Docker still says the command runs (no exit status within ${(EXIT_POLLS * EXIT_POLL_MS) / 1000} s)`);
}

/** Window size right after the start: Docker refuses it until the process runs, so a few bounded tries (as the docker CLI does). */
async function initialResize(engine: NodeEngine, execId: string, size: TerminalSize): Promise<void> {
  for (let i = 0; i < 10; i++) {
    try {
      return await engine.resizeExec(execId, size);
    } catch {
      await new Promise((r) => setTimeout(r, 10 * (i + 1)));
    }
  }
}

/** Starts the command in one replica of the app, attached; every Docker call but the attached connection within its deadline. */
export async function startExec(config: Config, req: ExecRequest): Promise<ExecSession> {
  if (req.cmd.length === 0) throw new UserError('CMD: expected a command after --, e.g. cloudmatrix exec APP -- sh');
  const engines = new NodeEngines(config);
  try {
    // One replica is enough: ask first only the nodes the manager records a known-good one on,
    // so that a node that does not answer elsewhere (a dead one, a stale lease) costs nothing.
    const recorded = req.node === undefined ? recordedNodes(config.stateDir, req.target) : new Set<string>();
    const pick = async (among?: ReadonlySet<string>) => {
      const found = await findReplicas(config, engines, req.target, req.node, among);
      return { replicas: found, c: pickReplica(found.containers, knownGoodOf(config.stateDir, found.containers).isGood) };
    };
    let found = recorded.size > 0 ? await pick(recorded) : null;
    if (!found?.c) found = await pick();
    const { replicas, c } = found;
    if (!c) {
      const where = req.node ? ` on ${req.node}` : '';
      const down = replicas.errors.map((e) => `${e.node}: ${e.message}`).join('; ');
      if (req.node && replicas.errors.length === 0) throw new UserError(`${req.target.app} has no running replica on ${req.node}`);
      throw new EnvError(`${req.target.app} has no running replica${where}${down ? ` (not answering: ${down})` : ''}`);
    }
    const node = replicas.nodes.find((n) => n.name === c.node)!;
    const engine = engines.get(node);
    const where = `${c.node}/${c.name}`;
    let execId: string;
    try {
      execId = await engine.createExec(c.id, { cmd: req.cmd, tty: req.tty, stdin: req.stdin, size: req.size });
    } catch (err) {
      if (statusOf(err) === 409 || statusOf(err) === 404) throw new EnvError(`${where}: it stopped (Docker: ${(err as Error).message.trim()})`);
      throw err;
    }
    const attach = await engine.startExec(execId, { tty: req.tty, stdin: req.stdin });
    if (req.tty && req.size) await initialResize(engine, execId, req.size);
    return {
      container: c,
      attach,
      resize: (size) => engine.resizeExec(execId, size),
      async exitCode() {
        try {
          await attach.done;
        } catch (err) {
          // The connection broke; the command may have ended anyway.
          const s = await engine.inspectExec(execId).catch(() => null);
          if (s && !s.running && s.exitCode !== null) return s.exitCode;
          throw new EnvError(`${where}: the connection to the command broke: ${(err as Error).message}`);
        }
        return exitStatus(engine, execId, where);
      },
      close() {
        attach.close();
        engines.closeAll();
      },
    };
  } catch (err) {
    engines.closeAll();
    throw err;
  }
}
