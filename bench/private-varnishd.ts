import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVarnish, type Varnish } from '../src/adapters/varnish.js';

export const freePort = async (): Promise<number> => {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
};

export interface PrivateVarnishd {
  varnish: Varnish;
  pid: number;
  httpPort: number;
  admin: string;
  secret: string;
  dir: string;
  stop: () => Promise<void>;
}

/**
 * A varnishd of the benches' own on loopback (its own -n dir, secret and ports, a boot VCL that
 * routes nowhere), answering its CLI; `stop` ends it and removes its dir.
 */
export async function startPrivateVarnishd(opts: { varnishd?: string; args?: string[]; precheck?: boolean; timeoutMs?: number } = {}): Promise<PrivateVarnishd> {
  const varnishd = opts.varnishd ?? 'varnishd';
  const dir = mkdtempSync(join(tmpdir(), 'cmx-bench-varnishd-'));
  chmodSync(dir, 0o755);
  const secret = join(dir, 'secret');
  writeFileSync(secret, randomBytes(24).toString('hex'), { mode: 0o600 });
  writeFileSync(join(dir, 'boot.vcl'), 'vcl 4.0;\nbackend default { .host = "127.0.0.1"; .port = "9"; }\n', { mode: 0o644 });
  const httpPort = await freePort();
  const admin = `127.0.0.1:${await freePort()}`;
  const args = [...(opts.args ?? []), '-F', '-a', `127.0.0.1:${httpPort}`, '-T', admin, '-S', secret, '-n', join(dir, 'work'), '-f', join(dir, 'boot.vcl'), '-s', 'malloc,64m'];
  const child: ChildProcess = spawn(varnishd, args, { stdio: 'ignore' });
  const varnish = createVarnish({ admin, secretFile: secret, varnishd, precheck: opts.precheck, timeoutMs: opts.timeoutMs ?? 600_000 });
  const stop = async () => {
    varnish.close();
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    try {
      await varnish.vclList();
      return { varnish, pid: child.pid!, httpPort, admin, secret, dir, stop };
    } catch {
      varnish.close();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  throw new Error(`${varnishd} did not start`);
}
