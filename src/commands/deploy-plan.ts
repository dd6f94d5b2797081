import type { Command } from 'commander';
import { CommandFailed } from '../errors.js';
import type { DeployOptions, DeployReport } from '../deploy/deploy.js';
import { parseDuration, parseParallel } from './flags.js';

export interface DeployFlags {
  dryRun?: boolean;
  json?: boolean;
  parallel?: string;
  healthTimeout?: string;
  drain?: string;
}

export function summary(r: DeployReport, formatActions: (a: DeployReport['actions']) => string): string {
  if (r.dryRun) return `${formatActions(r.actions)}\n(dry run: nothing was changed)`;
  const failed = r.apps.filter((a) => a.result === 'failed');
  const ok = r.apps.filter((a) => a.result === 'ok');
  if (r.result === 'unchanged') return `${r.plan}: no changes (${r.durationMs} ms)`;
  const lines = [`${r.plan}: ${r.result}: ${ok.length} app(s) deployed, ${failed.length} failed, deploy ${r.id} in ${(r.durationMs / 1000).toFixed(1)} s`];
  for (const f of failed) lines.push(`  ${f.app}: ${f.error}`);
  for (const o of ok.filter((a) => a.error)) lines.push(`  ${o.app}: warning: ${o.error}`);
  return lines.join('\n');
}

/** Runs a deploy as the CLI does: progress lines, then a summary or JSON; exit 1 if an app failed. */
export async function runDeploy(planFile: string, flags: DeployFlags, extra: Partial<DeployOptions> = {}): Promise<DeployReport> {
  const out = flags.json ? (l: string) => console.error(l) : (l: string) => console.log(l);
  const options = {
    planFile,
    dryRun: flags.dryRun,
    parallel: parseParallel(flags.parallel),
    healthTimeoutMs: parseDuration('--health-timeout', flags.healthTimeout, 60_000),
    drainMs: parseDuration('--drain', flags.drain, 1000),
    log: out,
    ...extra,
  };
  const [{ loadConfig }, { deployPlan }, { formatActions }] = await Promise.all([import('../config.js'), import('../deploy/deploy.js'), import('../model/diff.js')]);
  const report = await deployPlan(loadConfig(), options);
  console.log(flags.json ? JSON.stringify(report, null, 2) : summary(report, formatActions));
  if (report.result === 'failed' || report.result === 'partial') throw new CommandFailed();
  return report;
}

export function registerDeployPlan(program: Command): void {
  program
    .command('deploy-plan')
    .description('make the cluster match the plan: start, health-check, switch Varnish, stop the old; automatic rollback per app')
    .argument('<plan>', 'plan file (YAML, JSON or legacy .plan)')
    .option('--dry-run', 'print the actions and change nothing')
    .option('--json', 'print the report as JSON (progress goes to stderr)')
    .option('--parallel <n>', 'apps deployed at once (container starts are also bounded per node)', '32')
    .option('--health-timeout <duration>', 'how long a new container may take to turn healthy', '60s')
    .option('--drain <duration>', 'wait between the switch and stopping old containers', '1s')
    .action(async (plan: string, flags: DeployFlags) => {
      await runDeploy(plan, flags);
    });
}
