import { UserError } from '../errors.js';
import { formatRef, repoName, type ImageRef } from '../model/image-ref.js';
import type { RegistryClient } from './registry.js';

export interface RegistryImage {
  /** the reference with its tag (when known) and the manifest digest */
  ref: ImageRef;
  digest: string;
  /** EXPOSE'd TCP ports, lowest first */
  exposedPorts: number[];
}

const SHOWN_TAGS = 8;

function tagList(tags: string[]): string {
  const shown = tags.slice(0, SHOWN_TAGS).join(', ');
  return tags.length > SHOWN_TAGS ? `${shown}, ... (${tags.length} in all)` : shown;
}

async function pickTag(registry: RegistryClient, ref: ImageRef): Promise<string> {
  const tags = (await registry.tags(ref.repository)).sort();
  if (tags.length === 1) return tags[0]!;
  if (tags.length === 0) throw new UserError(`${repoName(ref)} is not in the registry ${registry.registry}`);
  throw new UserError(`${repoName(ref)}: give a tag, one of: ${tagList(tags)}`);
}

/**
 * What the registry holds for a reference: its digest and exposed ports. A UserError when it
 * holds nothing under that name, listing the tags it does hold. A reference without tag or
 * digest stands for the repository's only tag.
 */
export async function findRegistryImage(registry: RegistryClient, ref: ImageRef): Promise<RegistryImage> {
  const tag = ref.tag ?? (ref.digest === null ? await pickTag(registry, ref) : null);
  const full: ImageRef = { ...ref, tag };
  const manifest = await registry.manifest(ref.repository, ref.digest ?? tag!);
  if (manifest === null) {
    const tags = (await registry.tags(ref.repository)).sort();
    const hint = tags.length > 0 ? ` (tags: ${tagList(tags)})` : '';
    throw new UserError(`${formatRef(full)} is not in the registry ${registry.registry}${hint}`);
  }
  const config = manifest.configDigest ? await registry.imageConfig(ref.repository, manifest.configDigest) : null;
  const exposedPorts = (config?.exposedPorts ?? [])
    .filter((p) => p.endsWith('/tcp') || !p.includes('/'))
    .map((p) => Number(p.split('/')[0]))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
  return { ref: { ...full, digest: manifest.digest }, digest: manifest.digest, exposedPorts };
}
