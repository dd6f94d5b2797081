import type { Config } from '../config.js';
import { RegistryClient } from '../adapters/registry.js';
import { mapLimit } from '../deploy/limit.js';
import { tableOf } from '../model/table.js';

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
export async function listRegistryImages(config: Pick<Config, 'registry'>): Promise<RegistryRepo[]> {
  const registry = new RegistryClient(config.registry);
  const repos = (await registry.catalog()).sort();
  return mapLimit(repos, PARALLEL, async (repository) => {
    const tags = (await registry.tags(repository)).sort();
    const digests = await mapLimit(tags, PARALLEL, (tag) => registry.digest(repository, tag));
    return { repository, tags: tags.map((tag, i) => ({ tag, digest: digests[i]! })) };
  });
}

export function formatImages(repos: readonly RegistryRepo[], registry: string): string {
  const rows = repos.flatMap((r) => r.tags.map((t) => ({ repo: `${registry}/${r.repository}`, ...t })));
  return tableOf(['REPOSITORY', 'TAG', 'DIGEST'], rows, (r) => [r.repo, r.tag, r.digest ?? '(missing)']);
}
