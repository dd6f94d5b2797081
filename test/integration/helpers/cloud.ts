import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../../src/config.js';
import { NodeEngines } from '../../../src/adapters/docker.js';
import { listNodes } from '../../../src/adapters/nodes.js';
import { LABELS } from '../../../src/model/container-spec.js';
import { ps } from '../../../src/deploy/cluster.js';
import { undeploy } from '../../../src/deploy/undeploy.js';

/** Removes every container of these apps (by the cloudmatrix.app label) on every node. */
export async function removeApps(config: Config, apps: readonly string[]): Promise<number> {
  const engines = new NodeEngines(config);
  let removed = 0;
  try {
    for (const node of await listNodes(config)) {
      const docker = engines.get(node);
      const list = await docker.listContainers({ all: true, filters: { label: [LABELS.app] } });
      for (const c of list.filter((c) => apps.includes(c.Labels[LABELS.app] ?? ''))) {
        await docker.removeContainer(c.Id);
        removed++;
      }
    }
  } finally {
    engines.closeAll();
  }
  return removed;
}

/** GET with a few bounded retries while a fresh container starts listening. */
export async function httpGet(url: string, attempts = 20): Promise<{ status: number; body: string }> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      last = err;
      await sleep(100);
    }
  }
  throw new Error(`GET ${url}: no answer after ${attempts} tries: ${(last as Error).message}`);
}

/**
 * A drain moves every plan's replicas off a node: a test that drains needs the nodes to itself.
 * Plans left on the lab (the demo's, after `npm run demo`) other than `keep` are taken out of
 * service first, their volumes kept; zz-last takes the whole lab down later anyway.
 */
export async function undeployOtherPlans(config: Config, keep: readonly string[], who: string): Promise<string[]> {
  const { containers } = await ps(config);
  const others = [...new Set(containers.map((c) => c.plan).filter((p) => !keep.includes(p) && p !== 'manual'))].sort();
  for (const p of others) {
    console.log(`# ${who}: undeploying plan ${p} first (a drain test needs the nodes to itself)`);
    await undeploy(config, p, () => undefined, { deleteVolumes: false });
  }
  return others;
}
