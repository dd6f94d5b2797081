import type { Command } from 'commander';
import type { RouteRow } from '../deploy/observe.js';

export function formatRoutes(rows: readonly RouteRow[]): string {
  if (rows.length === 0) return 'no routes (no plan deployed yet)';
  const lines: string[] = [];
  for (const r of rows) {
    const on = [...r.hosts, ...r.paths].join(' ');
    // PLAN/APP where two plans route an app of that name (staging and production)
    const shared = r.plan !== undefined && rows.some((o) => o.app === r.app && o.plan !== r.plan);
    lines.push(`${shared ? `${r.plan}/` : ''}${r.app} (${r.director}): ${on}`);
    if (r.backends.length === 0) lines.push('  (no backends: 503)');
    for (const b of r.backends) {
      const health = b.healthy === null ? 'not loaded' : b.healthy ? 'healthy' : 'SICK';
      lines.push(`  -> ${b.node} ${b.address}:${b.port}  ${health}${b.probe ? ` (${b.probe})` : ''}  ${b.name}`);
    }
  }
  return lines.join('\n');
}

export function registerRoutes(program: Command): void {
  program
    .command('routes')
    .description('hostname/path -> backends, with the health Varnish sees now')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = (await import('../config.js')).loadConfig();
      const { liveRoutes, observe } = await import('../deploy/observe.js');
      const { plans, cluster } = await observe(config);
      const rows = await liveRoutes(config, plans, cluster.containers);
      console.log(opts.json ? JSON.stringify(rows, null, 2) : formatRoutes(rows));
    });
}
