import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { collectContext, contextHash, packContext } from '../adapters/build-context.js';
import { localEngine } from '../adapters/docker.js';
import { followProgress, ProgressError } from '../adapters/docker/progress.js';
import { formatRef, RefError, resolveImage, type ImageRef } from '../model/image-ref.js';
import { buildStep } from '../model/progress.js';

export interface CreateImageOptions {
  appDir: string;
  /** NAME[:TAG]; TAG defaults to the content hash of the build context */
  name: string;
  config?: Config;
  /** build output, line by line (default: stderr) */
  progress?: (text: string) => void;
}

export interface CreatedImage {
  ref: string;
  image: ImageRef;
  contextHash: string;
  imageId: string;
}

const PREPARE_TIMEOUT_MS = 120_000;

function imageName(name: string, config: Config): ImageRef {
  let ref: ImageRef;
  try {
    ref = resolveImage(name, config.registry);
  } catch (err) {
    throw new UserError(err instanceof RefError ? err.message : String(err));
  }
  if (ref.registry !== config.registry || ref.digest !== null) {
    throw new UserError(`"${name}": give NAME[:TAG]; images are tagged for the private registry ${config.registry}`);
  }
  return ref;
}

function checkAppDir(appDir: string): void {
  if (!existsSync(appDir) || !statSync(appDir).isDirectory()) throw new UserError(`${appDir}: no such directory`);
  if (!existsSync(join(appDir, 'Dockerfile'))) throw new UserError(`${appDir}: no Dockerfile`);
}

/** An app's own preparation of its build context (e.g. copying in a binary), when it has one. */
function runPrepare(appDir: string, progress: (t: string) => void): Promise<void> {
  if (!existsSync(join(appDir, 'prepare.sh'))) return Promise.resolve();
  progress(`running ${join(appDir, 'prepare.sh')}\n`);
  return new Promise((done, fail) => {
    execFile('sh', ['prepare.sh'], { cwd: appDir, timeout: PREPARE_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (stdout) progress(stdout);
      if (!err) return done();
      const why = stderr.trim().split('\n').pop() || err.message;
      fail(new EnvError(`${appDir}/prepare.sh failed: ${why}`));
    });
  });
}

export async function createImage(opts: CreateImageOptions): Promise<CreatedImage> {
  const config = opts.config ?? loadConfig();
  const progress = opts.progress ?? ((t: string) => process.stderr.write(t));
  const appDir = resolve(opts.appDir);
  const image = imageName(opts.name, config);
  checkAppDir(appDir);
  await runPrepare(appDir, progress);
  const entries = await collectContext(appDir);
  const hash = contextHash(entries);
  const tagged: ImageRef = { ...image, tag: image.tag ?? hash };
  const ref = formatRef(tagged);
  const docker = localEngine(config);
  let step = '(before the first step)';
  try {
    const stream = await docker.buildImage(packContext(appDir, entries), { t: ref, rm: true, forcerm: true });
    await followProgress(stream, (e) => {
      if (e.stream === undefined) return;
      step = buildStep(e.stream) ?? step;
      progress(e.stream);
    });
  } catch (err) {
    if (err instanceof ProgressError) throw new EnvError(`build of ${ref} failed at ${step}: ${err.message}`);
    throw new EnvError(`build of ${ref} failed: ${(err as Error).message}`);
  }
  const info = await docker.getImage(ref).inspect();
  return { ref, image: tagged, contextHash: hash, imageId: info.Id };
}

export function registerCreateImage(program: Command): void {
  program
    .command('create-image')
    .description("build APP_DIR's Dockerfile on the manager and tag it <registry>/cloud/NAME:TAG")
    .argument('<app-dir>', 'directory with a Dockerfile (and optionally prepare.sh, .dockerignore)')
    .argument('<name>', 'NAME[:TAG]; TAG defaults to a content hash of the build context')
    .action(async (appDir: string, name: string) => {
      const created = await createImage({ appDir, name });
      console.log(created.ref);
    });
}
