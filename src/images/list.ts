import type { Config } from '../config.js';
import { pullEndpoint } from '../adapters/registry-access.js';
import { RegistryClient } from '../adapters/registry.js';
import { mapLimit } from '../deploy/limit.js';
import { tableOf } from '../model/table.js';
import { pushKey, readPushes } from './push-log.js';

export interface RegistryTag {
  tag: string;
  digest: string | null;
  /** install-image's record of this tag at this digest, when it pushed it */
  pushed?: { time: string; user: string };
}

export interface RegistryRepo {
  repository: string;
  tags: RegistryTag[];
}

const PARALLEL = 8;

/** Every repository of the private registry with its tags and the digest each resolves to. */
export async function listRegistryImages(config: Pick<Config, 'registry'> & Partial<Pick<Config, 'stateDir' | 'timeouts'>>): Promise<RegistryRepo[]> {
  const registry = new RegistryClient(config.registry, pullEndpoint(config), config.timeouts?.registryMs);
  const pushes = config.stateDir ? readPushes(config.stateDir) : new Map();
  const repos = (await registry.catalog()).sort();
  return mapLimit(repos, PARALLEL, async (repository) => {
    const tags = (await registry.tags(repository)).sort();
    const digests = await mapLimit(tags, PARALLEL, (tag) => registry.digest(repository, tag));
    return {
      repository,
      tags: tags.map((tag, i) => {
        const digest = digests[i]!;
        const p = digest === null ? undefined : pushes.get(pushKey(repository, tag, digest));
        return { tag, digest, ...(p ? { pushed: { time: p.time, user: p.user } } : {}) };
      }),
    };
  });
}

export function formatImages(repos: readonly RegistryRepo[], registry: string): string {
  const rows = repos.flatMap((r) => r.tags.map((t) => ({ repo: `${registry}/${r.repository}`, ...t })));
  const pushed = (t: RegistryTag) => (t.pushed ? `${t.pushed.time.slice(0, 16).replace('T', ' ')} ${t.pushed.user}` : '');
  return tableOf(['REPOSITORY', 'TAG', 'DIGEST', 'PUSHED'], rows, (r) => [r.repo, r.tag, r.digest ?? '(missing)', pushed(r)]);
}
