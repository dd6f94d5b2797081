import { execFile } from 'node:child_process';
import type { Config } from '../config.js';
import { EnvError } from '../errors.js';

const STEP_MS = 120_000;
const GC_MS = 30 * 60_000;

function run(argv: readonly string[], ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: ms, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new EnvError(`${argv.join(' ')}: ${(stderr || err.message).trim().split('\n').slice(-3).join(' / ')}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

export interface GcResult {
  /** blobs the collection deleted */
  blobsDeleted: number;
}

/**
 * The registry's garbage collection, with the read-write face read-only while it runs: a push
 * meanwhile is refused (405, retryable) instead of losing blobs the collection did not see
 * referenced yet. The face goes back to read-write even when the collection fails.
 */
export async function collectGarbage(gc: NonNullable<Config['registryGc']>, log: (line: string) => void): Promise<GcResult> {
  log('registry: read-only for the garbage collection');
  await run(gc.readOnly, STEP_MS);
  let out: string;
  try {
    out = await run([...gc.command, 'garbage-collect', gc.configFile], GC_MS);
  } finally {
    log('registry: read-write again');
    await run(gc.readWrite, STEP_MS);
  }
  // distribution 2.8 prints one `blob eligible for deletion: DIGEST` line per blob it deletes.
  return { blobsDeleted: out.split('\n').filter((l) => /^blob eligible for deletion/.test(l)).length };
}
