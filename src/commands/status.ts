import type { Command } from 'commander';
import { CommandFailed } from '../errors.js';
import type { AppStatus } from '../deploy/observe.js';
import { formatTable } from '../model/table.js';

export function formatStatus(rows: readonly AppStatus[]): string {
  if (rows.length === 0) return 'no plan deployed yet (cloudmatrix deploy-plan PLAN)';
  const table = [['PLAN', 'APP', 'DESIRED', 'RUNNING', 'HEALTHY', 'ORPHANS', 'NODES', 'REVISION', 'HOSTS']];
  for (const r of rows) {
    table.push([r.plan, r.app, String(r.desired), String(r.running), String(r.healthy), String(r.orphans), r.nodes.join(',') || '-', r.revisions.join(',') || '-', r.worker ? '(worker: not routed)' : r.hosts.join(',')]);
  }
  const orphans = rows.filter((r) => r.orphans > 0).map((r) => `${r.plan}/${r.app}: ${r.containers.filter((c) => !c.knownGood).map((c) => `${c.node}/${c.name}`).join(', ')}`);
  const note = orphans.length ? `\norphans (never passed a health check under a deploy; never routed; the next deploy of the plan removes them):\n  ${orphans.join('\n  ')}` : '';
  return formatTable(table) + note;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('per app: desired vs running and healthy replicas, nodes, revision')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const [{ loadConfig }, { appStatus, observe }] = await Promise.all([import('../config.js'), import('../deploy/observe.js')]);
      const { plans, cluster } = await observe(loadConfig());
      const rows = await appStatus(plans, cluster.containers);
      console.log(opts.json ? JSON.stringify({ apps: rows, unreachable: cluster.unreachable }, null, 2) : formatStatus(rows));
      for (const u of cluster.unreachable) console.error(`cloudmatrix: warning: ${u.node} is unreachable: ${u.message}`);
      if (rows.some((r) => r.healthy < r.desired) || cluster.unreachable.length) throw new CommandFailed();
    });
}
