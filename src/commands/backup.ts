import type { Command } from 'commander';
import { formatTable } from '../model/table.js';
import type { BackupRecord } from '../adapters/store/backups.js';
import { runDeploy, type DeployFlags } from './deploy-plan.js';

const mib = (b: number) => `${(b / (1 << 20)).toFixed(1)} MiB`;

export function formatBackups(rows: readonly BackupRecord[]): string {
  if (rows.length === 0) return 'no backups (cloudmatrix backup create APP)';
  return formatTable([
    ['APP', 'ID', 'CREATED', 'NODE', 'WHY', 'SIZE', 'TOOK'],
    ...rows.map((r) => [r.app, r.id, r.createdAt, r.node, r.reason, mib(r.volumes.reduce((n, v) => n + v.bytes, 0)), `${r.durationMs} ms`]),
  ]);
}

export function registerBackup(program: Command): void {
  const backup = program.command('backup').description('backups of the volumes of apps with volumes, kept on the manager (<state>/backups)');
  backup
    .command('create')
    .description('stream every volume of the app to the manager now (Docker archive API), then keep the newest backup.keep')
    .argument('<app>', 'app name')
    .option('--json', 'print the backup record as JSON')
    .action(async (app: string, opts: { json?: boolean }) => {
      const [{ loadConfig }, { createBackup }] = await Promise.all([import('../config.js'), import('../backup/service.js')]);
      const r = await createBackup(loadConfig(), app, (l) => console.error(l));
      const bytes = r.volumes.reduce((n, v) => n + v.bytes, 0);
      console.log(opts.json ? JSON.stringify(r, null, 2) : `backup ${r.id} of ${app}: ${r.volumes.map((v) => v.name).join(', ')} (${mib(bytes)}, ${r.durationMs} ms)`);
    });
  backup
    .command('list')
    .description('the backups, newest first')
    .argument('[app]', 'only this app')
    .option('--json', 'print JSON')
    .action(async (app: string | undefined, opts: { json?: boolean }) => {
      const [{ loadConfig }, { listBackups }] = await Promise.all([import('../config.js'), import('../backup/service.js')]);
      const rows = listBackups(loadConfig(), app);
      console.log(opts.json ? JSON.stringify(rows, null, 2) : formatBackups(rows));
    });
  backup
    .command('restore')
    .description('replace the app (stop-first) by a container on fresh volumes filled from the backup; the old one comes back if it fails')
    .argument('<app>', 'app name')
    .argument('[id]', 'backup id (or its prefix); default: the newest')
    .option('--json', 'print the deploy report as JSON')
    .option('--health-timeout <duration>', 'how long the new container may take to turn healthy', '60s')
    .action(async (app: string, id: string | undefined, opts: DeployFlags) => {
      const [{ loadConfig }, { restoreTarget }] = await Promise.all([import('../config.js'), import('../backup/service.js')]);
      const { record, deploy } = await restoreTarget(loadConfig(), app, id);
      if (!opts.json) console.log(`restoring ${app} from backup ${record.id} (${record.createdAt})`);
      await runDeploy(deploy.planFile, opts, deploy);
    });
}

export function registerMove(program: Command): void {
  program
    .command('move')
    .description('move an app with volumes to another node with its data: stop, back up, create there, restore, switch')
    .argument('<app>', 'app name')
    .argument('<node>', 'node name')
    .option('--json', 'print the deploy report as JSON')
    .option('--health-timeout <duration>', 'how long the new container may take to turn healthy', '60s')
    .action(async (app: string, node: string, opts: DeployFlags) => {
      const [{ loadConfig }, { moveTarget }] = await Promise.all([import('../config.js'), import('../backup/service.js')]);
      const deploy = await moveTarget(loadConfig(), app, node, (l) => console.error(l));
      await runDeploy(deploy.planFile, opts, deploy);
    });
}

export function registerVolumes(program: Command): void {
  program
    .command('volumes')
    .description('the volumes of apps with volumes, per node: size, and whether the app mounts it')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const [{ loadConfig }, { listVolumes, formatVolumes }] = await Promise.all([import('../config.js'), import('../deploy/volumes.js')]);
      const r = await listVolumes(loadConfig());
      console.log(opts.json ? JSON.stringify(r, null, 2) : formatVolumes(r.volumes));
      for (const u of r.unreachable) console.error(`cloudmatrix: ${u.node} unreachable: ${u.message}`);
    });
}
