import { formatPlanError } from '../model/plan.js';
import { loadPlanFile } from './load.js';
import { formatSummary, planSummary } from './summary.js';

/** What `plan check` prints: on stdout for a valid plan (or JSON), on stderr one line per error. */
export async function checkPlanFile(file: string, json: boolean): Promise<{ ok: boolean; out: string; err: string }> {
  const { plan, errors } = await loadPlanFile(file);
  if (json) {
    const result = plan ? { file, ok: true, summary: planSummary(plan), plan } : { file, ok: false, errors };
    return { ok: plan !== null, out: JSON.stringify(result, null, 2), err: '' };
  }
  if (plan) return { ok: true, out: formatSummary(file, planSummary(plan)), err: '' };
  return { ok: false, out: '', err: errors.map(formatPlanError).join('\n') };
}
