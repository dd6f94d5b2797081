import type { ImageInfo } from 'dockerode';
import type { Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { localEngine, type NodeEngine } from '../adapters/docker.js';
import { ProgressError } from '../adapters/docker/progress.js';
import { RegistryClient } from '../adapters/registry.js';
import { endpointFor, pushEndpoint, type RegistryEndpoint } from '../adapters/registry-access.js';
import { recordPush } from './push-log.js';
import { formatRef, privateImageArg, repoName, type ImageRef } from '../model/image-ref.js';
import { progressLine } from '../model/progress-events.js';

export interface InstallImageOptions {
  /** NAME[:TAG]; without TAG, the newest local tag of NAME */
  name: string;
  config: Config;
  progress?: (line: string) => void;
}

export interface InstalledImage {
  ref: string;
  image: ImageRef;
  digest: string;
}

/** The most recently created local tag of `repo` (`registry/path`), if any. */
export function newestLocalTag(images: readonly Pick<ImageInfo, 'RepoTags' | 'Created'>[], repo: string): string | null {
  let best: { tag: string; created: number } | null = null;
  for (const img of images) {
    for (const rt of img.RepoTags ?? []) {
      if (!rt.startsWith(`${repo}:`)) continue;
      if (best === null || img.Created > best.created) best = { tag: rt.slice(repo.length + 1), created: img.Created };
    }
  }
  return best?.tag ?? null;
}

async function withTag(engine: NodeEngine, ref: ImageRef): Promise<ImageRef> {
  if (ref.tag !== null) return ref;
  const tag = newestLocalTag(await engine.listImages({ reference: [repoName(ref)] }), repoName(ref));
  if (tag === null) throw new UserError(`no local image ${repoName(ref)}; build it with create-image`);
  return { ...ref, tag };
}

/**
 * Pushes the image through the registry's write face; the digest the push reported. Docker
 * pushes a name to the registry the name carries, so the image is tagged under the write face's
 * address too (same store, so the nodes find it under the read face's name).
 */
async function push(engine: NodeEngine, image: ImageRef & { tag: string }, face: RegistryEndpoint, progress: (line: string) => void): Promise<string> {
  const ref = formatRef(image);
  const via: ImageRef & { tag: string } = { ...image, registry: face.address };
  if (via.registry !== image.registry) await engine.tagImage(ref, repoName(via), via.tag);
  const auth: Record<string, string> = { serveraddress: face.address, ...face.credentials };
  let digest: string | null = null;
  const seen = new Map<string, string>();
  try {
    await engine.pushImage(repoName(via), via.tag, auth, (e) => {
      digest = e.aux?.Digest ?? digest;
      const line = progressLine(e, seen);
      if (line !== null) progress(line);
    });
  } catch (err) {
    if (err instanceof EnvError) throw err;
    const why = err instanceof ProgressError ? err.message : (err as Error).message;
    throw new EnvError(`push of ${ref} failed: ${why}`);
  }
  if (digest === null) throw new EnvError(`push of ${ref} reported no digest`);
  return digest;
}

export async function installImage(opts: InstallImageOptions): Promise<InstalledImage> {
  const { config } = opts;
  const progress = opts.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const engine = localEngine(config);
  const parsed = privateImageArg(opts.name, config.registry, 'an image built with create-image');
  const image = (await withTag(engine, parsed)) as ImageRef & { tag: string };
  const ref = formatRef(image);
  if (!(await engine.inspectImage(ref))) throw new UserError(`no local image ${ref}; build it with create-image`);
  const digest = await push(engine, image, pushEndpoint(config), progress);
  const inRegistry = await new RegistryClient(image.registry, endpointFor(config, image.registry), config.timeouts?.registryMs).digest(image.repository, image.tag);
  if (inRegistry !== digest) {
    throw new EnvError(`${ref}: the registry resolves the tag to ${inRegistry ?? 'nothing'}, not to the pushed ${digest}`);
  }
  recordPush(config.stateDir, { image: image.repository, tag: image.tag, digest });
  return { ref, image, digest };
}
