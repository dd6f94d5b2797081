import type { Config } from '../config.js';
import { pullEndpoint } from '../adapters/registry-access.js';
import { RegistryClient } from '../adapters/registry.js';
import { mapLimit } from '../deploy/limit.js';
import { decideRetention, holderText, type Hold, type TagVerdict } from '../model/retention.js';
import { formatBytes } from '../model/sizes.js';
import { tableOf } from '../model/table.js';
import { currentHolds } from './holds.js';
import { pushKey, readPushes } from './push-log.js';

export interface RegistryTag {
  tag: string;
  digest: string | null;
  /** bytes of the image's config and compressed layers (layers shared with other tags counted in each) */
  size?: number | null;
  /** what keeps this tag from `images prune`: `deployed PLAN/APP`, `PLAN/APP revision -N (REV)`, `shares digest with TAG`; [] = nothing (prune deletes it) */
  heldBy?: string[];
  /** images prune would delete it */
  prunable?: boolean;
  /** install-image's record of this tag at this digest, when it pushed it */
  pushed?: { time: string; user: string };
}

export interface RegistryRepo {
  repository: string;
  tags: RegistryTag[];
}

const PARALLEL = 8;

type ListConfig = Pick<Config, 'registry'> & Partial<Pick<Config, 'stateDir' | 'timeouts' | 'registryAccess' | 'images'>>;

/** Every repository of the private registry (or those `only` names) with its tags, the digest and size each resolves to, and what holds it. */
export async function listRegistryImages(config: ListConfig, only?: (repository: string) => boolean): Promise<RegistryRepo[]> {
  const registry = new RegistryClient(config.registry, pullEndpoint(config), config.timeouts?.registryMs);
  const pushes = config.stateDir ? readPushes(config.stateDir) : new Map();
  const repos = (await registry.catalog()).filter((r) => !only || only(r)).sort();
  const listed = await mapLimit(repos, PARALLEL, async (repository) => {
    const tags = (await registry.tags(repository)).sort();
    const manifests = await mapLimit(tags, PARALLEL, (tag) => registry.manifest(repository, tag));
    return {
      repository,
      tags: tags.map((tag, i): RegistryTag => {
        const m = manifests[i];
        const digest = m ? m.digest || null : null;
        const p = digest === null ? undefined : pushes.get(pushKey(repository, tag, digest));
        return { tag, digest, size: m?.size ?? null, ...(p ? { pushed: { time: p.time, user: p.user } } : {}) };
      }),
    };
  });
  return config.stateDir ? withHolders(listed, currentHolds({ registry: config.registry, stateDir: config.stateDir, images: config.images })) : listed;
}

function verdictText(v: TagVerdict): string[] {
  if (!v.keep) return [];
  if (v.why === 'held') return v.holders.map(holderText);
  if (v.why === 'shares-digest') return [`shares digest with ${v.with}`];
  if (v.why === 'unmanaged') return ['never deployed (left alone)'];
  return ['manifest missing'];
}

export function withHolders(repos: readonly RegistryRepo[], holds: readonly Hold[]): RegistryRepo[] {
  const decided = decideRetention(repos, holds);
  return repos.map((r, i) => ({
    ...r,
    tags: r.tags.map((t, j) => {
      const v = decided[i]!.tags[j]!.verdict;
      return { ...t, heldBy: verdictText(v), prunable: !v.keep };
    }),
  }));
}

export function formatImages(repos: readonly RegistryRepo[], registry: string): string {
  const rows = repos.flatMap((r) => r.tags.map((t) => ({ repo: `${registry}/${r.repository}`, ...t })));
  const pushed = (t: RegistryTag) => (t.pushed ? `${t.pushed.time.slice(0, 16).replace('T', ' ')} ${t.pushed.user}` : '');
  const held = (t: RegistryTag) => (t.heldBy === undefined ? '' : t.heldBy.length ? t.heldBy.join(', ') : '(nothing: prune deletes it)');
  return tableOf(['REPOSITORY', 'TAG', 'DIGEST', 'SIZE', 'PUSHED', 'HELD BY'], rows, (r) => [
    r.repo, r.tag, r.digest ?? '(missing)', r.size == null ? '-' : formatBytes(r.size), pushed(r), held(r),
  ]);
}
