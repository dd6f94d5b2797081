import { spawn } from 'node:child_process';
import { packagePath } from '../paths.js';
import { EnvError, UserError } from '../errors.js';

export const SCRIPTS_DIR = packagePath('scripts/');

/** Runs one of the lab's bash scripts with its settings in the environment, output streamed. */
export function runLabScript(script: string, env: Record<string, string>, quiet = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPTS_DIR + script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!quiet) process.stderr.write(chunk);
    });
    child.on('error', (err) => reject(new EnvError(`cannot run ${script}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const last = stderr.trim().split('\n').pop() ?? '';
      const message = last.replace(/^lab: /, '') || `${script} exited with status ${code}`;
      reject(code === 2 ? new UserError(message) : new EnvError(message));
    });
  });
}
