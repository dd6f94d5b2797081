import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EnvError, UserError } from '../errors.js';

const PREPARE_TIMEOUT_MS = 120_000;

export function checkAppDir(appDir: string): void {
  if (!existsSync(appDir) || !statSync(appDir).isDirectory()) throw new UserError(`${appDir}: no such directory`);
  if (!existsSync(join(appDir, 'Dockerfile'))) throw new UserError(`${appDir}: no Dockerfile`);
}

/** An app's own preparation of its build context (e.g. copying in a binary), when it has one. */
export function runPrepare(appDir: string, progress: (t: string) => void): Promise<void> {
  if (!existsSync(join(appDir, 'prepare.sh'))) return Promise.resolve();
  progress(`running ${join(appDir, 'prepare.sh')}\n`);
  return new Promise((done, fail) => {
    execFile('sh', ['prepare.sh'], { cwd: appDir, timeout: PREPARE_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (stdout) progress(stdout);
      if (!err) return done();
      const why = stderr.trim().split('\n').pop() || err.message;
      fail(new EnvError(`${appDir}/prepare.sh failed: ${why}`));
    });
  });
}
