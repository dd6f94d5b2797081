import type { Command } from 'commander';
import { UserError } from '../errors.js';

export function registerPlan(program: Command): void {
  const plan = program.command('plan').description('work with plan files');
  plan
    .command('check')
    .description('validate a plan file (YAML, JSON or the legacy .plan format) and print every error')
    .argument('<plan>', 'plan file')
    .option('--json', 'print the result (the normalised plan, or the errors) as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const { checkPlanFile } = await import('../plans/check.js');
      const r = await checkPlanFile(file, opts.json === true);
      if (r.out) console.log(r.out);
      if (r.err) console.error(r.err);
      if (!r.ok) throw new UserError(''); // already printed, one line per error
    });
}
