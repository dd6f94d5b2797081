import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Config } from '../../config.js';
import { EnvError } from '../../errors.js';
import { packagePath } from '../../paths.js';

// The SSH keeper: like OpenSSH's ControlPersist, one background process per user and SSH setup
// keeps the connections to the nodes open between commands, so a `ps` at 30 nodes does not pay 30
// key exchanges (and 30 sshd forks on the nodes) each time. A command asks it over a unix socket
// in <stateDir>/run/ (mode 0700: the same trust as the SSH key) for a stream to a node's docker
// socket; the keeper checks the host key as a direct connection does, and exits after
// ssh.keepMs without streams. Without a keeper (none yet, it died, CMX_SSH_KEEPER=0) a command
// connects directly, and starts one for the next command.

export const KEEPER_PROTOCOL = 'CMXK1';

/** What a command asks the keeper for: a stream to this socket on this node. */
export interface KeeperRequest {
  node: string;
  ip: string;
  socketPath: string;
}

/** The keeper is not there or did not answer as one: connect directly instead. */
export class KeeperUnavailable extends Error {}

type SshSetup = Pick<Config, 'ssh' | 'stateDir'>;

/** One keeper per SSH setup (user, port, key, known hosts): a command with another config never uses another's connections. */
export function keeperPaths(config: SshSetup): { dir: string; socket: string; pid: string; log: string } {
  const { user, port, keyFile, knownHostsFile } = config.ssh;
  const id = createHash('sha256').update(JSON.stringify([user, port, keyFile, knownHostsFile])).digest('hex').slice(0, 8);
  const dir = join(config.stateDir, 'run');
  return { dir, socket: join(dir, `ssh-keeper-${id}.sock`), pid: join(dir, `ssh-keeper-${id}.pid`), log: join(dir, `ssh-keeper-${id}.log`) };
}

/** Whether commands of this process go through the keeper: the CLI turns it on; ssh.keepMs 0 or CMX_SSH_KEEPER=0 turn it off. */
export function keeperWanted(config: Partial<SshSetup>, env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CMX_SSH_KEEPER === '1' && (config.ssh?.keepMs ?? 1) > 0 && typeof config.stateDir === 'string';
}

/** The one line a keeper answers before the stream: `ok`, or `err <message>`. */
export function parseKeeperAnswer(buf: Buffer): { line: string; rest: Buffer } | null {
  const nl = buf.indexOf(10);
  if (nl < 0) return null;
  return { line: buf.subarray(0, nl).toString('utf8'), rest: buf.subarray(nl + 1) };
}

const HANDSHAKE_MS = 60_000;

/**
 * A stream to `req.socketPath` on the node through the keeper at `socketFile`. KeeperUnavailable
 * when there is no keeper (connect directly); an EnvError with the keeper's message when it could
 * not reach the node (the same message a direct connection gives: unknown host key, refused).
 */
export function openViaKeeper(socketFile: string, req: KeeperRequest): Promise<Duplex> {
  return new Promise<Duplex>((resolve, reject) => {
    const sock = connect(socketFile);
    let buf = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(() => fail(new KeeperUnavailable('no answer from the keeper')), HANDSHAKE_MS);
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    const onError = (err: Error) => fail(new KeeperUnavailable(err.message));
    const onClose = () => fail(new KeeperUnavailable('the keeper closed the stream'));
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const answer = parseKeeperAnswer(buf);
      if (!answer) {
        if (buf.length > 8192) fail(new KeeperUnavailable('not a keeper'));
        return;
      }
      if (answer.line.startsWith('err ')) return fail(new EnvError(answer.line.slice(4)));
      if (answer.line !== 'ok') return fail(new KeeperUnavailable('not a keeper'));
      settled = true;
      clearTimeout(timer);
      sock.off('data', onData).off('error', onError).off('close', onClose);
      // Paused until its reader (http's client) listens, so that no byte is read with nobody to take it.
      sock.pause();
      if (answer.rest.length) sock.unshift(answer.rest);
      const resumeOnRead = (event: string | symbol) => {
        if (event !== 'data') return;
        sock.off('newListener', resumeOnRead);
        process.nextTick(() => sock.resume());
      };
      sock.on('newListener', resumeOnRead);
      resolve(sock);
    };
    sock.on('error', onError).on('close', onClose).on('data', onData);
    sock.once('connect', () => sock.write(`${KEEPER_PROTOCOL} ${JSON.stringify(req)}\n`));
  });
}

let started = false;

/** Starts a keeper for this SSH setup in the background (once per process); the command that starts it does not wait for it. */
export function startKeeper(config: SshSetup): void {
  if (started) return;
  started = true;
  try {
    const child = spawn(process.execPath, [packagePath('bin/cloudmatrix.js'), 'ssh-keeper'], {
      detached: true, stdio: 'ignore', cwd: process.cwd(), env: { ...process.env, CLOUDMATRIX_CONFIG: process.env.CLOUDMATRIX_CONFIG ?? join(config.stateDir, 'config.json') },
    });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no keeper: every command connects directly, as without one
  }
}

/** Ends every keeper of this state dir (lab up/down: the nodes they hold connections to are going). */
export function stopKeepers(stateDir: string): number {
  const dir = join(stateDir, 'run');
  if (!existsSync(dir)) return 0;
  let stopped = 0;
  for (const f of readdirSync(dir).filter((n) => /^ssh-keeper-[0-9a-f]{8}\.pid$/.test(n))) {
    const pid = Number(readFileSync(join(dir, f), 'utf8').trim());
    try {
      // Only one of ours: the pid file may be stale and the number reused.
      if (pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ssh-keeper')) {
        process.kill(pid, 'SIGTERM');
        stopped++;
      }
    } catch {
      // gone already
    }
    rmSync(join(dir, f), { force: true });
    rmSync(join(dir, f.replace(/\.pid$/, '.sock')), { force: true });
  }
  return stopped;
}
