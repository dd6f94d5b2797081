import type { Config } from '../config.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes } from '../adapters/nodes.js';
import { pushEndpoint } from '../adapters/registry-access.js';
import { RegistryClient } from '../adapters/registry.js';
import { resolveImage } from '../model/image-ref.js';
import { decideRetention, nodeImagesToRemove, type Hold } from '../model/retention.js';
import { currentHolds } from './holds.js';
import { listRegistryImages } from './list.js';
import { collectGarbage, type GcResult } from './registry-gc.js';

export interface PruneOptions {
  dryRun: boolean;
  /** only these repositories (`web`, `cloud/web`); absent: every repository */
  repositories?: string[];
  /** prune the nodes' images too (default true) */
  nodes?: boolean;
  log: (line: string) => void;
}

export interface PruneReport {
  dryRun: boolean;
  keep: number;
  registry: { repository: string; digest: string; tags: string[]; size: number | null }[];
  /** null: not run (dry run, nothing deleted, or no registryGc in the config) */
  gc: GcResult | null;
  nodes: { node: string; removed: { id: string; names: string[]; size: number }[]; error?: string }[];
}

/** The held names as node daemons show them: `registry/repo@digest` and `registry/repo:tag`. */
function heldNames(holds: readonly Hold[], registry: string): Set<string> {
  const out = new Set<string>();
  for (const h of holds) {
    if (h.digest) out.add(`${registry}/${h.repository}@${h.digest}`);
    if (h.tag) out.add(`${registry}/${h.repository}:${h.tag}`);
  }
  return out;
}

/**
 * images prune: deletes the registry's manifests nothing holds (model/retention.ts), runs the
 * registry's garbage collection read-only, then drops the nodes' images of the private registry
 * that no container uses and nothing holds. A dry run reads the same and changes nothing.
 */
export async function pruneImages(config: Config, opts: PruneOptions): Promise<PruneReport> {
  const scope = opts.repositories?.map((r) => resolveImage(r, config.registry).repository);
  const inScope = (repository: string) => !scope || scope.includes(repository);
  const holds = currentHolds(config, (m) => opts.log(`warning: ${m}`));
  const repos = await listRegistryImages({ ...config, stateDir: undefined }, inScope);
  const report: PruneReport = { dryRun: opts.dryRun, keep: config.images.keep, registry: [], gc: null, nodes: [] };
  const push = pushEndpoint(config);
  const writer = new RegistryClient(push.address, push, config.timeouts?.registryMs);
  for (const [i, d] of decideRetention(repos, holds).entries()) {
    for (const digest of d.deleteDigests) {
      const tags = repos[i]!.tags.filter((t) => t.digest === digest);
      const entry = { repository: d.repository, digest, tags: tags.map((t) => t.tag), size: tags[0]?.size ?? null };
      opts.log(`${opts.dryRun ? 'would delete' : 'deleting'} ${d.repository}@${digest.slice(0, 19)} (${entry.tags.join(', ')})`);
      if (!opts.dryRun) await writer.deleteManifest(d.repository, digest);
      report.registry.push(entry);
    }
  }
  if (!opts.dryRun && report.registry.length > 0) {
    if (config.registryGc) report.gc = await collectGarbage(config.registryGc, opts.log);
    else opts.log('registry: no registryGc in the config: the blobs stay until its garbage collection runs');
  }
  if (opts.nodes !== false) report.nodes = await pruneNodes(config, heldNames(holds, config.registry), inScope, opts);
  return report;
}

async function pruneNodes(config: Config, held: ReadonlySet<string>, inScope: (repository: string) => boolean, opts: PruneOptions): Promise<PruneReport['nodes']> {
  const engines = new NodeEngines(config);
  try {
    const nodes = await listNodes(config);
    return await Promise.all(nodes.map(async (ref) => {
      const engine = engines.get(ref);
      try {
        const [images, containers] = await Promise.all([engine.listImages(), engine.listContainers({ all: true })]);
        const used = new Set(containers.map((c) => c.ImageID));
        const drop = nodeImagesToRemove(
          images.map((i) => ({ id: i.Id, repoTags: i.RepoTags ?? [], repoDigests: i.RepoDigests ?? [], size: i.Size })),
          used, held, config.registry, inScope,
        );
        const removed: PruneReport['nodes'][number]['removed'] = [];
        for (const img of drop) {
          const names = [...img.repoTags, ...img.repoDigests].filter((n) => !n.startsWith('<none>'));
          opts.log(`${ref.name}: ${opts.dryRun ? 'would remove' : 'removing'} ${names.join(', ')}`);
          if (!opts.dryRun) {
            // By each name: a by-id removal of an image with several names is refused without force.
            let last: string = 'gone';
            for (const n of names) last = await engine.removeImage(n);
            if (last === 'in-use') continue;
          }
          removed.push({ id: img.id, names, size: img.size });
        }
        return { node: ref.name, removed };
      } catch (err) {
        return { node: ref.name, removed: [], error: (err as Error).message };
      }
    }));
  } finally {
    engines.closeAll();
  }
}
