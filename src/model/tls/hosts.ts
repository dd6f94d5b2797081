import type { NamedPlan } from '../routes.js';

/** A host that must have a certificate, and where it comes from. */
export interface TlsHost {
  host: string;
  app: string;
  plan: string;
  source: 'acme' | 'manual';
  /** manual: the files as the plan names them, and the plan file they are relative to */
  manual?: { cert: string; key: string; planFile: string };
}

/** Every host of every `tls` app of the plans, in plan, app and host order. */
export function tlsHosts(plans: readonly NamedPlan[]): TlsHost[] {
  const out: TlsHost[] = [];
  for (const { name, plan } of plans) {
    for (const app of plan.apps) {
      const tls = app.tls;
      if (!tls) continue;
      for (const host of app.hosts) {
        out.push(tls === 'acme'
          ? { host, app: app.name, plan: name, source: 'acme' }
          : { host, app: app.name, plan: name, source: 'manual', manual: { ...tls, planFile: plan.file } });
      }
    }
  }
  return out;
}

/** Backoff after a failed issuance, for the automatic passes (watch): 5 min, doubling, at most 6 h. */
export function retryAfterMs(failures: number): number {
  return Math.min(6 * 3_600_000, 5 * 60_000 * 2 ** Math.max(0, failures - 1));
}
