import { loadConfig, stateDir, type Config } from '../../../src/config.js';
import { labUp } from '../../../src/lab/up-down.js';
import { readManifest, type LabManifest } from '../../../src/lab/manifest.js';
import { labStatus } from '../../../src/lab/status.js';

/**
 * Makes sure the lab is up and healthy (brings it up when not), then returns its config and
 * manifest. Every integration test file calls this first; the lab is shared by all of them,
 * so each test uses its own app and container names and removes what it made.
 */
export async function ensureLab(): Promise<{ config: Config; manifest: LabManifest }> {
  let status = await labStatus(readManifest(stateDir()));
  if (!status.ok) {
    await labUp({ nodes: process.env.CMX_TEST_NODES ?? '3' });
    status = await labStatus(readManifest(stateDir()));
    if (!status.ok) throw new Error(`lab is not healthy after up: ${JSON.stringify(status)}`);
  }
  return { config: loadConfig(), manifest: readManifest(stateDir())! };
}
