import type { Command } from 'commander';
import type Docker from 'dockerode';
import { loadConfig, type Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { localEngine } from '../adapters/docker.js';
import { followProgress, ProgressError } from '../adapters/docker/progress.js';
import { RegistryClient } from '../adapters/registry.js';
import { formatRef, RefError, repoName, resolveImage, type ImageRef } from '../model/image-ref.js';
import { progressLine } from '../model/progress.js';

export interface InstallImageOptions {
  /** NAME[:TAG]; without TAG, the newest local tag of NAME */
  name: string;
  config?: Config;
  progress?: (line: string) => void;
}

export interface InstalledImage {
  ref: string;
  image: ImageRef;
  digest: string;
}

/** The most recently created local tag of `repo` (`registry/path`), if any. */
export function newestLocalTag(images: readonly Pick<Docker.ImageInfo, 'RepoTags' | 'Created'>[], repo: string): string | null {
  let best: { tag: string; created: number } | null = null;
  for (const img of images) {
    for (const rt of img.RepoTags ?? []) {
      if (!rt.startsWith(`${repo}:`)) continue;
      if (best === null || img.Created > best.created) best = { tag: rt.slice(repo.length + 1), created: img.Created };
    }
  }
  return best?.tag ?? null;
}

function parseName(name: string, config: Config): ImageRef {
  try {
    const ref = resolveImage(name, config.registry);
    if (ref.registry === config.registry && ref.digest === null) return ref;
  } catch (err) {
    if (err instanceof RefError) throw new UserError(err.message);
    throw err;
  }
  throw new UserError(`"${name}": give NAME[:TAG] of an image built with create-image`);
}

async function withTag(docker: Docker, ref: ImageRef): Promise<ImageRef> {
  if (ref.tag !== null) return ref;
  const images = await docker.listImages({ filters: { reference: [repoName(ref)] } });
  const tag = newestLocalTag(images, repoName(ref));
  if (tag === null) throw new UserError(`no local image ${repoName(ref)}; build it with create-image`);
  return { ...ref, tag };
}

export async function installImage(opts: InstallImageOptions): Promise<InstalledImage> {
  const config = opts.config ?? loadConfig();
  const progress = opts.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const docker = localEngine(config);
  const image = await withTag(docker, parseName(opts.name, config));
  const ref = formatRef(image);
  try {
    await docker.getImage(ref).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) throw new UserError(`no local image ${ref}; build it with create-image`);
    throw new EnvError(`manager dockerd: ${(err as Error).message}`);
  }
  let digest: string | null = null;
  const seen = new Map<string, string>();
  try {
    const stream = await docker.getImage(repoName(image)).push({ tag: image.tag!, authconfig: { serveraddress: image.registry } });
    await followProgress(stream, (e) => {
      digest = e.aux?.Digest ?? digest;
      const line = progressLine(e, seen);
      if (line !== null) progress(line);
    });
  } catch (err) {
    const why = err instanceof ProgressError ? err.message : (err as Error).message;
    throw new EnvError(`push of ${ref} failed: ${why}`);
  }
  if (digest === null) throw new EnvError(`push of ${ref} reported no digest`);
  const inRegistry = await new RegistryClient(image.registry).digest(image.repository, image.tag!);
  if (inRegistry !== digest) {
    throw new EnvError(`${ref}: the registry resolves the tag to ${inRegistry ?? 'nothing'}, not to the pushed ${digest}`);
  }
  return { ref, image, digest };
}

export function registerInstallImage(program: Command): void {
  program
    .command('install-image')
    .description('push an image built with create-image to the private registry and check it there')
    .argument('<name>', 'NAME[:TAG]; without TAG, the newest local tag of NAME')
    .action(async (name: string) => {
      const installed = await installImage({ name });
      console.log(`${installed.ref} ${installed.digest}`);
    });
}
