import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the manager HTTP API, dashboard and metrics (bearer token from config api.tokenFile)')
    .option('--listen <host:port>', 'address to listen on (default: config api.listen, 127.0.0.1:8700)')
    .option('--watch [interval]', 'also keep Varnish routing what runs, as `cloudmatrix watch` does (full resync every interval, default 30s)')
    .action(async (opts: { listen?: string; watch?: string | boolean }) => {
      const [{ parseInterval }, { loadConfig }, { serve }, { packagePath }] = await Promise.all([
        import('./watch.js'), import('../config.js'), import('../api/serve.js'), import('../paths.js'),
      ]);
      const { version } = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
      const watchMs = opts.watch === undefined || opts.watch === false ? null : parseInterval(opts.watch === true ? undefined : opts.watch, '--watch');
      await serve(loadConfig(), { listen: opts.listen, watchMs, version });
    });
}
