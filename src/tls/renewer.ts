import { join } from 'node:path';
import type { Config } from '../config.js';
import { liveLockHolder } from '../adapters/store/lock.js';
import { ensureCertificates } from './certificates.js';
import { emitEvent } from '../events/emit.js';
import { abortableSleep } from '../adapters/abortable-sleep.js';

const CHECK_EVERY_MS = 60_000;

/**
 * The certificate pass of `watch` and `serve --watch`: once a minute, every tls host of the
 * deployed plans gets a certificate when it has none (a new host), when two thirds of its life
 * are over, or when it no longer chains to the ACME root. Hosts that failed wait (5 min,
 * doubling, at most 6 h) before the next try; their old certificate keeps serving. Runs only
 * when the config has `tls`, never while a deploy holds the lock (the deploy does its own hosts).
 */
export async function runCertificateRenewal(config: Config, opts: { log: (line: string) => void; signal: AbortSignal; everyMs?: number }): Promise<void> {
  if (!config.tls) return;
  const lockFile = join(config.stateDir, 'deploy.lock');
  const every = opts.everyMs ?? CHECK_EVERY_MS;
  while (!opts.signal.aborted) {
    if (!liveLockHolder(lockFile)) {
      try {
        const outcomes = await ensureCertificates(config, { backoff: true, log: opts.log });
        for (const o of outcomes.filter((x) => x.action === 'failed')) {
          emitEvent(config, { type: 'certificate.renewal_failed', plan: o.plan, app: o.app, host: o.host, message: `certificate of ${o.host} not renewed: ${o.error ?? 'failed'}` }, opts.log);
        }
      } catch (err) {
        opts.log(`certificate pass failed: ${(err as Error).message}`);
      }
    }
    await abortableSleep(every, opts.signal);
  }
}
