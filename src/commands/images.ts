import type { Command } from 'commander';
import type { PruneReport } from '../images/prune.js';
import { formatBytes } from '../model/sizes.js';

export function formatPrune(r: PruneReport): string {
  const verb = r.dryRun ? 'would delete' : 'deleted';
  const bytes = r.registry.reduce((n, e) => n + (e.size ?? 0), 0);
  const lines = [`registry: ${verb} ${r.registry.length} image(s) (${formatBytes(bytes)} before layer sharing), keeping the deployed ones and the last ${r.keep} revision(s) of each app`];
  if (r.gc) lines.push(`registry: garbage collection deleted ${r.gc.blobsDeleted} blob(s)`);
  for (const n of r.nodes) {
    if (n.error) lines.push(`${n.node}: not pruned: ${n.error}`);
    else lines.push(`${n.node}: ${r.dryRun ? 'would remove' : 'removed'} ${n.removed.length} image(s), ${formatBytes(n.removed.reduce((s, i) => s + i.size, 0))}`);
  }
  if (r.dryRun) lines.push('(dry run: nothing was changed)');
  return lines.join('\n');
}

export function registerImages(program: Command): void {
  const images = program
    .command('images')
    .description('repositories, tags, digests and sizes in the private registry, and what holds each tag')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const [{ loadConfig }, { formatImages, listRegistryImages }] = await Promise.all([import('../config.js'), import('../images/list.js')]);
      const config = loadConfig();
      const repos = await listRegistryImages(config);
      console.log(opts.json ? JSON.stringify(repos, null, 2) : formatImages(repos, config.registry));
    });
  images
    .command('prune')
    .description("delete the registry's images that no deployed plan and none of the last images.keep revisions of an app use, collect the registry's garbage, and drop unused images on the nodes")
    .argument('[repository...]', 'only these repositories (web, cloud/web); default: all')
    .option('--dry-run', 'say what would go and change nothing')
    .option('--no-nodes', "leave the nodes' images alone")
    .option('--json', 'print the report as JSON (progress goes to stderr)')
    .action(async (repositories: string[], opts: { dryRun?: boolean; nodes?: boolean; json?: boolean }, cmd: Command) => {
      // `images --json` is the parent's option too: commander gives it to the parent wherever it stands.
      const json = opts.json || (cmd.parent?.opts() as { json?: boolean } | undefined)?.json;
      const [{ loadConfig }, { pruneImages }, { resolveImageArg }] = await Promise.all([import('../config.js'), import('../images/prune.js'), import('../model/image-ref.js')]);
      const config = loadConfig();
      for (const r of repositories) resolveImageArg(r, config.registry);
      const log = json ? (l: string) => console.error(l) : (l: string) => console.log(l);
      const report = await pruneImages(config, { dryRun: !!opts.dryRun, repositories: repositories.length ? repositories : undefined, nodes: opts.nodes !== false, log });
      console.log(json ? JSON.stringify(report, null, 2) : formatPrune(report));
    });
}
