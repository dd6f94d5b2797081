import { resolve } from 'node:path';
import type { Config } from '../config.js';
import { EnvError } from '../errors.js';
import { collectContext, packContext } from '../adapters/context-files.js';
import { localEngine } from '../adapters/docker.js';
import { ProgressError } from '../adapters/docker/progress.js';
import { contextHash } from '../model/build-context.js';
import { formatRef, privateImageArg, type ImageRef } from '../model/image-ref.js';
import { buildStep } from '../model/progress-events.js';
import { checkAppDir, runPrepare } from './prepare.js';

export interface CreateImageOptions {
  appDir: string;
  /** NAME[:TAG]; TAG defaults to the content hash of the build context */
  name: string;
  config: Config;
  /** build output, chunk by chunk (default: stderr) */
  progress?: (text: string) => void;
}

export interface CreatedImage {
  ref: string;
  image: ImageRef;
  contextHash: string;
  imageId: string;
}

/** Builds APP_DIR's Dockerfile on the manager's dockerd, tagged for the private registry. */
export async function createImage(opts: CreateImageOptions): Promise<CreatedImage> {
  const { config } = opts;
  const progress = opts.progress ?? ((t: string) => process.stderr.write(t));
  const appDir = resolve(opts.appDir);
  const image = privateImageArg(opts.name, config.registry, `images are tagged for the private registry ${config.registry}`);
  checkAppDir(appDir);
  await runPrepare(appDir, progress);
  const entries = await collectContext(appDir);
  const hash = contextHash(entries);
  const tagged: ImageRef = { ...image, tag: image.tag ?? hash };
  const ref = formatRef(tagged);
  const engine = localEngine(config);
  let step = '(before the first step)';
  try {
    await engine.buildImage(packContext(appDir, entries), { t: ref, rm: true, forcerm: true }, (e) => {
      if (e.stream === undefined) return;
      step = buildStep(e.stream) ?? step;
      progress(e.stream);
    });
  } catch (err) {
    if (err instanceof ProgressError) throw new EnvError(`build of ${ref} failed at ${step}: ${err.message}`);
    throw new EnvError(`build of ${ref} failed: ${(err as Error).message}`);
  }
  const info = await engine.inspectImage(ref);
  if (!info) throw new EnvError(`build of ${ref} reported success, but the manager's dockerd has no such image`);
  return { ref, image: tagged, contextHash: hash, imageId: info.Id };
}
