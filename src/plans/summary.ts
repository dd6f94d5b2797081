import type { Plan } from '../model/plan.js';

export interface PlanSummary {
  apps: number;
  replicas: number;
  domain: string;
}

export function planSummary(plan: Plan): PlanSummary {
  return { apps: plan.apps.length, replicas: plan.apps.reduce((n, a) => n + a.replicas, 0), domain: plan.domain };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `plan check`'s line for a valid plan. */
export function formatSummary(file: string, s: PlanSummary): string {
  return `${file}: ok, ${plural(s.apps, 'app')}, ${plural(s.replicas, 'replica')}, domain ${s.domain}`;
}
