import type Docker from 'dockerode';
import { EnvError } from '../../errors.js';
import { repoName, type ImageRef } from '../../model/image-ref.js';
import { progressLine } from '../../model/progress.js';
import { followProgress } from './progress.js';

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/**
 * Makes sure the node has the image of exactly this digest: pulls it by digest when it is
 * missing, and tags it so that `docker images` on the node reads well. Returns true if it pulled.
 */
export async function ensureImage(
  docker: Docker, node: string, ref: ImageRef & { digest: string }, progress: (line: string) => void,
): Promise<boolean> {
  const byDigest = `${repoName(ref)}@${ref.digest}`;
  try {
    await docker.getImage(byDigest).inspect();
    return false;
  } catch (err) {
    if (statusOf(err) !== 404) throw new EnvError(`${node}: ${(err as Error).message}`);
  }
  const seen = new Map<string, string>();
  try {
    const stream = await docker.createImage({ serveraddress: ref.registry }, { fromImage: repoName(ref), tag: ref.digest });
    await followProgress(stream, (e) => {
      const line = progressLine(e, seen);
      if (line !== null) progress(`${node}: ${line}`);
    });
  } catch (err) {
    throw new EnvError(`${node}: pull of ${byDigest} failed: ${(err as Error).message}`);
  }
  if (ref.tag !== null) await docker.getImage(byDigest).tag({ repo: repoName(ref), tag: ref.tag });
  return true;
}
