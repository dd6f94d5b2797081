import { spawn } from 'node:child_process';
import { EnvError } from '../errors.js';
import { parseBackendRequests } from '../model/request-counters.js';

export interface CounterSource {
  /** `VBE.<vcl>.<backend>.req` -> value, read now */
  read(): Promise<Map<string, number>>;
}

/**
 * Varnish's backend request counters through `varnishstat -j -f 'VBE.*.req'` (shared memory of
 * the instance `-n name`; no admin secret needed). The process is killed when it misses the deadline.
 */
export function varnishstatCounters(opts: { name?: string; varnishstat?: string; timeoutMs?: number }): CounterSource {
  const cmd = opts.varnishstat ?? 'varnishstat';
  const args = ['-j', '-f', 'VBE.*.req', ...(opts.name ? ['-n', opts.name] : [])];
  const timeoutMs = opts.timeoutMs ?? 5000;
  return {
    read: () =>
      new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        let late = false;
        const timer = setTimeout(() => {
          late = true;
          child.kill('SIGKILL');
        }, timeoutMs);
        child.stdout.on('data', (d: Buffer) => {
          if (out.length < 16 << 20) out += d.toString('utf8');
        });
        child.stderr.on('data', (d: Buffer) => {
          if (err.length < 4096) err += d.toString('utf8');
        });
        child.on('error', (e: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(new EnvError(e.code === 'ENOENT' ? `${cmd}: not installed (autoscale reads Varnish's counters with it)` : `${cmd}: ${e.message}`));
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          if (late) return reject(new EnvError(`${cmd} ${args.join(' ')}: no answer within ${timeoutMs} ms`));
          if (code !== 0) return reject(new EnvError(`${cmd} ${args.join(' ')}: exit ${code}: ${err.trim().split('\n')[0] ?? ''}`));
          try {
            resolve(parseBackendRequests(out));
          } catch (e) {
            reject(new EnvError(`${cmd}: unexpected output: ${(e as Error).message}`));
          }
        });
      }),
  };
}
