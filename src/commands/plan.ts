import type { Command } from 'commander';
import { formatPlanError, type Plan } from '../model/plan.js';
import { loadPlanFile } from './plan-file.js';

export function planSummary(plan: Plan): { apps: number; replicas: number; domain: string } {
  return { apps: plan.apps.length, replicas: plan.apps.reduce((n, a) => n + a.replicas, 0), domain: plan.domain };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function check(file: string, opts: { json?: boolean }): Promise<void> {
  const { plan, errors } = await loadPlanFile(file);
  if (opts.json) {
    const out = plan ? { file, ok: true, summary: planSummary(plan), plan } : { file, ok: false, errors };
    console.log(JSON.stringify(out, null, 2));
  } else if (plan) {
    const s = planSummary(plan);
    console.log(`${file}: ok, ${plural(s.apps, 'app')}, ${plural(s.replicas, 'replica')}, domain ${s.domain}`);
  } else {
    for (const e of errors) console.error(formatPlanError(e));
  }
  if (!plan) process.exitCode = 2;
}

export function registerPlan(program: Command): void {
  const plan = program.command('plan').description('work with plan files');
  plan
    .command('check')
    .description('validate a plan file (YAML, JSON or the legacy .plan format) and print every error')
    .argument('<plan>', 'plan file')
    .option('--json', 'print the result (the normalised plan, or the errors) as JSON')
    .action(check);
}
