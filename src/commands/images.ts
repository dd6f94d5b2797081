import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { RegistryClient } from '../adapters/registry.js';
import { mapLimit } from '../deploy/limit.js';
import { formatTable } from '../model/table.js';

export interface RegistryTag {
  tag: string;
  digest: string | null;
}

export interface RegistryRepo {
  repository: string;
  tags: RegistryTag[];
}

const PARALLEL = 8;


/** Every repository of the private registry with its tags and the digest each resolves to. */
export async function listRegistryImages(config: Config = loadConfig()): Promise<RegistryRepo[]> {
  const registry = new RegistryClient(config.registry);
  const repos = (await registry.catalog()).sort();
  return mapLimit(repos, PARALLEL, async (repository) => {
    const tags = (await registry.tags(repository)).sort();
    const digests = await mapLimit(tags, PARALLEL, (tag) => registry.digest(repository, tag));
    return { repository, tags: tags.map((tag, i) => ({ tag, digest: digests[i]! })) };
  });
}

export function formatImages(repos: readonly RegistryRepo[], registry: string): string {
  const rows = [['REPOSITORY', 'TAG', 'DIGEST']];
  for (const r of repos) {
    for (const t of r.tags) rows.push([`${registry}/${r.repository}`, t.tag, t.digest ?? '(missing)']);
  }
  return formatTable(rows);
}

export function registerImages(program: Command): void {
  program
    .command('images')
    .description('repositories, tags and digests in the private registry')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const repos = await listRegistryImages(config);
      console.log(opts.json ? JSON.stringify(repos, null, 2) : formatImages(repos, config.registry));
    });
}
