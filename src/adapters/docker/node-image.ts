import { EnvError } from '../../errors.js';
import { repoName, type ImageRef } from '../../model/image-ref.js';
import { progressLine } from '../../model/progress-events.js';
import type { NodeEngine } from './engine.js';

/**
 * Makes sure the node has the image of exactly this digest: pulls it by digest when it is
 * missing, and tags it so that `docker images` on the node reads well. Returns true if it pulled.
 */
export async function ensureImage(
  engine: NodeEngine, ref: ImageRef & { digest: string }, progress: (line: string) => void, auth: Record<string, string> = {},
): Promise<boolean> {
  const byDigest = `${repoName(ref)}@${ref.digest}`;
  if (await engine.inspectImage(byDigest)) return false;
  const seen = new Map<string, string>();
  try {
    await engine.pullImage(repoName(ref), ref.digest, { serveraddress: ref.registry, ...auth }, (e) => {
      const line = progressLine(e, seen);
      if (line !== null) progress(`${engine.node}: ${line}`);
    });
  } catch (err) {
    if (err instanceof EnvError) throw err;
    throw new EnvError(`${engine.node}: pull of ${byDigest} failed: ${(err as Error).message}`);
  }
  if (ref.tag !== null) await engine.tagImage(byDigest, repoName(ref), ref.tag);
  return true;
}
