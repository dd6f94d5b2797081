import type { Command } from 'commander';
import type { DeployRecord } from '../adapters/store/history.js';

export function formatHistory(records: readonly DeployRecord[], app?: string): string {
  if (records.length === 0) return 'no deploys yet';
  const lines: string[] = [];
  for (const r of records) {
    const by = r.user ? `  by ${r.user}${r.via ? ` (${r.via})` : ''}` : '';
    lines.push(`${r.startedAt}  ${r.id}  ${r.kind.padEnd(9)} ${r.plan} (${r.planFile}, plan ${r.planHash})  ${r.result}${by}`);
    if (r.note) lines.push(`    ${r.note}`);
    for (const a of r.apps.filter((x) => !app || x.app === app)) {
      const digest = a.digest ? a.digest.slice(7, 19) : '-';
      lines.push(`    ${a.app.padEnd(20)} rev ${a.revision || '-'}  ${a.image || '-'}@${digest}  ${a.result}${a.error ? `: ${a.error}` : ''}`);
    }
  }
  return lines.join('\n');
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('the deploys, oldest first: time, plan hash, per-app revision and image digest, result, who')
    .argument('[app]', 'only deploys that touched this app (APP in any plan, or PLAN/APP)')
    .option('--json', 'print JSON')
    .action(async (ref: string | undefined, opts: { json?: boolean }) => {
      const [{ loadConfig }, { History }, { parseAppRef }] = await Promise.all([import('../config.js'), import('../adapters/store/history.js'), import('../model/app-ref.js')]);
      const want = ref === undefined ? undefined : parseAppRef(ref);
      const records = new History(loadConfig().stateDir).list(want?.app).filter((r) => !want?.plan || r.plan === want.plan);
      console.log(opts.json ? JSON.stringify(records, null, 2) : formatHistory(records, want?.app));
    });
}
