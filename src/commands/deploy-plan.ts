import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { UserError } from '../errors.js';
import { deployPlan, type DeployReport } from '../deploy/deploy.js';
import { durationMs } from '../model/plan.js';
import { formatActions } from '../model/diff.js';

export interface DeployFlags {
  dryRun?: boolean;
  json?: boolean;
  parallel?: string;
  healthTimeout?: string;
  drain?: string;
}

export function parseDuration(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,7}(ms|s|m)$/.test(text)) throw new UserError(`${flag}: expected a duration like 500ms, 30s or 2m, got ${JSON.stringify(text)}`);
  return durationMs(text);
}

export function parseParallel(text: string | undefined): number {
  if (text === undefined) return 8;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < 1 || n > 64) throw new UserError(`--parallel: expected a whole number from 1 to 64, got ${JSON.stringify(text)}`);
  return n;
}

export function summary(r: DeployReport): string {
  if (r.dryRun) return `${formatActions(r.actions)}\n(dry run: nothing was changed)`;
  const failed = r.apps.filter((a) => a.result === 'failed');
  const ok = r.apps.filter((a) => a.result === 'ok');
  if (r.result === 'unchanged') return `${r.plan}: no changes (${r.durationMs} ms)`;
  const lines = [`${r.plan}: ${r.result}: ${ok.length} app(s) deployed, ${failed.length} failed, deploy ${r.id} in ${(r.durationMs / 1000).toFixed(1)} s`];
  for (const f of failed) lines.push(`  ${f.app}: ${f.error}`);
  return lines.join('\n');
}

/** Runs a deploy as the CLI does: progress lines, then a summary or JSON; exit 1 if an app failed. */
export async function runDeploy(planFile: string, flags: DeployFlags, extra: Partial<Parameters<typeof deployPlan>[1]> = {}): Promise<DeployReport> {
  const out = flags.json ? (l: string) => console.error(l) : (l: string) => console.log(l);
  const report = await deployPlan(loadConfig(), {
    planFile,
    dryRun: flags.dryRun,
    parallel: parseParallel(flags.parallel),
    healthTimeoutMs: parseDuration('--health-timeout', flags.healthTimeout, 60_000),
    drainMs: parseDuration('--drain', flags.drain, 1000),
    log: out,
    ...extra,
  });
  console.log(flags.json ? JSON.stringify(report, null, 2) : summary(report));
  if (report.result === 'failed' || report.result === 'partial') process.exitCode = 1;
  return report;
}

export function registerDeployPlan(program: Command): void {
  program
    .command('deploy-plan')
    .description('make the cluster match the plan: start, health-check, switch Varnish, stop the old; automatic rollback per app')
    .argument('<plan>', 'plan file (YAML, JSON or legacy .plan)')
    .option('--dry-run', 'print the actions and change nothing')
    .option('--json', 'print the report as JSON (progress goes to stderr)')
    .option('--parallel <n>', 'apps deployed at once', '8')
    .option('--health-timeout <duration>', 'how long a new container may take to turn healthy', '60s')
    .option('--drain <duration>', 'wait between the switch and stopping old containers', '1s')
    .action(async (plan: string, flags: DeployFlags) => {
      await runDeploy(plan, flags);
    });
}
