import type { Config } from '../config.js';
import { PlanStore } from '../adapters/store/plans.js';
import { PlanInvalid, type CheckedPlan } from '../deploy/preflight.js';
import type { Plan } from '../model/plan.js';
import { ensureCertificates, type CertOutcome } from './certificates.js';
import { checkPlanTls } from './plan-check.js';

/** Before anything changes: the plan's tls settings can be served here (exit 2 naming the field otherwise). */
export function checkTlsOfPlan(config: Config, checked: CheckedPlan): void {
  const errors = checkPlanTls(config, checked.plan, checked.source);
  if (errors.length) throw new PlanInvalid(errors);
}

/**
 * After the plan's apps are routed: each host of its tls apps gets its certificate (missing,
 * due, or a manual pair that changed), and certificates of hosts no deployed plan has any more
 * are dropped. A failed issuance never fails the deploy: the old certificate keeps serving, the
 * outcome and a log line say so, and `certs` and /metrics show it until a later attempt works.
 */
export async function certificatesAfterDeploy(config: Config, plan: Plan, log: (line: string) => void): Promise<CertOutcome[]> {
  const hosts = plan.apps.filter((a) => a.tls).flatMap((a) => a.hosts);
  const stateDir = config.stateDir;
  if (!config.tls) return [];
  try {
    return await ensureCertificates(config, { plans: () => new PlanStore(stateDir).list(), only: hosts, prune: true, log });
  } catch (err) {
    // The lock or the store, not an issuance: still not the deploy's failure.
    log(`warning: certificates not checked: ${(err as Error).message}`);
    return hosts.map((host) => ({ host, app: '', plan: '', source: 'acme' as const, action: 'failed' as const, error: (err as Error).message }));
  }
}
