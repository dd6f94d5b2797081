import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Plan, PlanError, PlanSource } from '../model/plan.js';
import { planError } from '../model/plan/types.js';
import { checkManualPair } from '../model/tls/cert-check.js';
import { manualPaths } from './certificates.js';

/**
 * Deploy-time checks of the plan's `tls` settings, before anything changes: the manager must
 * have hitch (config `tls`) and, for `tls: acme`, an ACME directory (config `acme`); a manual
 * pair must be readable, match, cover the app's hosts and be valid now. Errors sit on the field.
 */
export function checkPlanTls(config: Config, plan: Plan, source: PlanSource, now = new Date()): PlanError[] {
  const errors: PlanError[] = [];
  for (const app of plan.apps) {
    const tls = app.tls;
    if (!tls) continue;
    const at = ['apps', app.name, 'tls'];
    if (!config.tls) {
      errors.push(planError(source, at, 'this manager has no `tls` section in its config (hitch): HTTPS is not set up'));
      continue;
    }
    if (tls === 'acme') {
      if (!config.acme) errors.push(planError(source, at, 'this manager has no `acme` section in its config (no ACME directory)'));
      continue;
    }
    const paths = manualPaths({ ...tls, planFile: plan.file });
    const text: Partial<Record<'cert' | 'key', string>> = {};
    for (const field of ['cert', 'key'] as const) {
      try {
        text[field] = readFileSync(paths[field], 'utf8');
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        errors.push(planError(source, [...at, field], `${paths[field]}: ${e.code === 'ENOENT' ? 'no such file' : e.code ?? e.message}`));
      }
    }
    if (text.cert === undefined || text.key === undefined) continue;
    for (const p of checkManualPair(text.cert, text.key, app.hosts, now)) {
      errors.push(planError(source, [...at, p.field], `${paths[p.field]}: ${p.message}`));
    }
  }
  return errors;
}
