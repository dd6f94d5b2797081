import { readFileSync, writeFileSync, mkdtempSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Config } from '../../../src/config.js';
import { configPath } from '../../../src/config.js';
import { cli } from '../helpers/exec.js';

const stopped = new Set<number>();

function resumeAll(): void {
  for (const pid of stopped) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  }
  stopped.clear();
}
// Whatever happens to the test process, nothing it stopped stays stopped.
process.once('exit', resumeAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    resumeAll();
    process.exit(1);
  });
}

export function pidOf(pidFile: string): number {
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${pidFile}: no pid`);
  return pid;
}

/** SIGSTOPs the process, runs `fn`, and SIGCONTs it again, also when `fn` fails. */
export async function whileStopped<T>(pid: number, fn: () => Promise<T>): Promise<T> {
  process.kill(pid, 'SIGSTOP');
  stopped.add(pid);
  try {
    return await fn();
  } finally {
    process.kill(pid, 'SIGCONT');
    stopped.delete(pid);
  }
}

/** A copy of the lab's config with short deadlines, so that a hung daemon is given up on in seconds. */
export function fastConfig(dir: string, timeouts: NonNullable<Config['timeouts']>): string {
  const config = JSON.parse(readFileSync(configPath(), 'utf8')) as Config;
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ...config, timeouts }, null, 2));
  return file;
}

/** A FROM-scratch busybox image that serves /www after `delaySeconds` (0: at once), pushed to the registry. */
export async function busyboxImage(name: string, tag: string, delaySeconds = 0): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), `cmx-${name}-`));
  mkdirSync(join(ctx, 'www'));
  copyFileSync('/bin/busybox', join(ctx, 'busybox'));
  writeFileSync(join(ctx, 'www', 'index.html'), `${name} ${tag}\n`);
  const serve = `sleep ${delaySeconds}; exec /bin/busybox httpd -f -p 8080 -h /www`;
  writeFileSync(join(ctx, 'Dockerfile'), `FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nCMD ["/bin/busybox", "sh", "-c", ${JSON.stringify(serve)}]\n`);
  const built = await cli(['create-image', ctx, `${name}:${tag}`]);
  if (built.code !== 0) throw new Error(`create-image ${name}:${tag}: ${built.stderr}`);
  const pushed = await cli(['install-image', `${name}:${tag}`]);
  if (pushed.code !== 0) throw new Error(`install-image ${name}:${tag}: ${pushed.stderr}`);
}

export interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** The CLI as a background process (deploy-plan, watch); its output is kept. Ended by `end` or the caller. */
export function start(args: string[], env: Record<string, string> = {}): Running {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['bin/cloudmatrix.js', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - t0 })),
  );
  return { child, output: () => out, exited };
}

/** Polls the output until `pattern` shows up, at most `maxMs`. */
export async function waitForOutput(r: Running, pattern: RegExp, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    if (pattern.test(r.output())) return true;
    if (r.child.exitCode !== null || r.child.signalCode !== null) return pattern.test(r.output());
    await new Promise((res) => setTimeout(res, 100));
  }
  return false;
}

/** Ends a background CLI process (SIGKILL) and waits for it. */
export async function end(r: Running): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await r.exited;
}
