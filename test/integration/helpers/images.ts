import assert from 'node:assert/strict';
import { cli } from './exec.js';

/** Builds the example images (images/APP) as APP:1.0 and pushes them into the lab's registry. */
export async function pushExampleImages(...apps: string[]): Promise<void> {
  for (const app of apps) {
    await cli(['create-image', `images/${app}`, `${app}:1.0`]);
    const r = await cli(['install-image', `${app}:1.0`]);
    assert.equal(r.code, 0, r.stderr);
  }
}
