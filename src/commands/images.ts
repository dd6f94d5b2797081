import type { Command } from 'commander';

export function registerImages(program: Command): void {
  program
    .command('images')
    .description('repositories, tags and digests in the private registry')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const [{ loadConfig }, { formatImages, listRegistryImages }] = await Promise.all([import('../config.js'), import('../images/list.js')]);
      const config = loadConfig();
      const repos = await listRegistryImages(config);
      console.log(opts.json ? JSON.stringify(repos, null, 2) : formatImages(repos, config.registry));
    });
}
