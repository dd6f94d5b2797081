import { join } from 'node:path';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes } from '../adapters/nodes.js';
import { BackupStore, type BackupRecord } from '../adapters/store/backups.js';
import { PinStore } from '../adapters/store/pins.js';
import { PlanStore } from '../adapters/store/plans.js';
import { deployedApp } from '../plans/deployed-app.js';
import { appIdsOf, parseAppRef, resolveAppRef } from '../model/app-ref.js';
import { readCluster } from '../deploy/cluster.js';
import type { DeployOptions } from '../deploy/deploy.js';
import { takeDeployLock } from '../deploy/deploy-lock.js';
import { knownGoodOf } from '../deploy/known-good.js';
import type { CheckedPlan } from '../deploy/preflight.js';
import type { AppSpec, PlanSource } from '../model/plan.js';
import { backupApp } from './archive.js';

/** The deployed plan that has the app (`APP` or `PLAN/APP`), and the app; the app must have volumes. */
function stateful(config: Config, ref: string): { checked: CheckedPlan; spec: AppSpec } {
  const { owner, spec } = deployedApp(config.stateDir, ref);
  const app = spec.name;
  if (!spec.volumes) throw new UserError(`app "${app}" has no volumes: nothing to back up, restore or move`);
  const source: PlanSource = { file: owner.plan.file, locate: () => ({ line: 1, col: 1 }) };
  return { checked: { file: owner.plan.file, name: owner.name, plan: owner.plan, hash: 'deployed', source }, spec };
}

/** `backup create APP`: the app's volumes, from its running container, under the deploy lock. */
export async function createBackup(config: Config, ref: string, log: (l: string) => void = () => undefined): Promise<BackupRecord> {
  const { checked, spec } = stateful(config, ref);
  const app = spec.name;
  const lock = await takeDeployLock(join(config.stateDir, 'deploy.lock'), `backup create ${app}`, { waitMs: 300_000, log, onStale: () => undefined });
  const engines = new NodeEngines(config);
  try {
    const cluster = await readCluster(await listNodes(config), engines);
    const good = knownGoodOf(config.stateDir, cluster.containers);
    const c = cluster.containers.find((x) => x.plan === checked.name && x.app === app && good.isGood(x.id) && x.state === 'running')
      ?? cluster.containers.find((x) => x.plan === checked.name && x.app === app);
    if (!c) {
      const pin = new PinStore(config.stateDir).get(checked.name, app);
      const where = pin ? ` (pinned to ${pin.node}${cluster.unreachable.some((u) => u.node === pin.node) ? ', which is unreachable' : ''})` : '';
      throw new UserError(`app "${app}" has no container to back up${where}`);
    }
    return await backupApp(new BackupStore(config.stateDir), engines.get(cluster.refs.get(c.node)!), {
      plan: checked.name, app: spec, node: c.node, containerId: c.id, containerName: c.name, reason: 'manual',
    });
  } finally {
    engines.closeAll();
    lock.release();
  }
}

/** `backup list [APP]`: newest first. */
export function listBackups(config: Config, ref?: string): BackupRecord[] {
  const store = new BackupStore(config.stateDir);
  if (!ref) return store.list();
  // Backups outlive their plan: a `PLAN/APP` or an `APP` no deployed plan has still lists them.
  const parsed = parseAppRef(ref);
  const ids = appIdsOf(new PlanStore(config.stateDir).list());
  const owner = ids.some((d) => d.app === parsed.app && (!parsed.plan || d.plan === parsed.plan)) ? resolveAppRef(parsed, ids) : null;
  const all = store.list().filter((r) => r.app === parsed.app && (!parsed.plan || r.plan === parsed.plan));
  return owner ? all.filter((r) => r.plan === owner.plan) : all;
}

/**
 * `backup restore APP [ID]` (default: the newest): the app's container is replaced stop-first by
 * one on fresh volumes filled from the backup (checked against its sha256 first); when it does not
 * turn healthy, the old container comes back on its own volumes.
 */
export async function restoreTarget(config: Config, ref: string, id: string | undefined): Promise<{ record: BackupRecord; deploy: DeployOptions }> {
  const { checked, spec } = stateful(config, ref);
  const app = spec.name;
  const all = new BackupStore(config.stateDir).list(checked.name, app);
  const record = id ? all.find((r) => r.id === id || r.id.startsWith(id)) : all[0];
  if (!record) throw new UserError(id ? `no backup ${id} of "${app}" (cloudmatrix backup list ${app})` : `no backup of "${app}" yet (cloudmatrix backup create ${app})`);
  await new BackupStore(config.stateDir).verify(record).catch((err: Error) => {
    throw new UserError(err.message);
  });
  return { record, deploy: { planFile: checked.file, plan: checked, kind: 'restore', note: `backup restore ${app} ${record.id}`, stateful: { app, from: { backup: record } } } };
}

/**
 * `move APP NODE`: stop the app, back its volumes up, create it on NODE on fresh volumes filled from
 * that backup, switch; the apps that reference it are redeployed with its new address. When its
 * node is lost, the newest backup is what moves.
 */
export async function moveTarget(config: Config, ref: string, node: string, log: (l: string) => void): Promise<DeployOptions> {
  const { checked, spec } = stateful(config, ref);
  const app = spec.name;
  const nodes = await listNodes(config);
  const target = nodes.find((n) => n.name.toLowerCase() === node.toLowerCase());
  if (!target) throw new UserError(`no node "${node}" (known: ${nodes.map((n) => n.name).join(', ')})`);
  if (spec.nodes && !spec.nodes.some((n) => n.toLowerCase() === target.name.toLowerCase())) {
    throw new UserError(`apps.${app}.nodes in ${checked.file} does not allow ${target.name}`);
  }
  const pin = new PinStore(config.stateDir).get(checked.name, app);
  if (pin?.node === target.name) throw new UserError(`app "${app}" is on ${target.name} already`);
  const engines = new NodeEngines(config);
  let from: 'stopped' | { backup: BackupRecord } = 'stopped';
  try {
    const cluster = await readCluster(nodes, engines);
    const oldUp = pin && cluster.nodes.find((n) => n.name === pin.node)?.reachable;
    if (!cluster.nodes.find((n) => n.name === target.name)?.reachable) throw new UserError(`node ${target.name} is unreachable`);
    if (pin && !oldUp) {
      const newest = new BackupStore(config.stateDir).list(checked.name, app)[0];
      if (!newest) throw new UserError(`${pin.node}, where ${app}'s volumes are, is unreachable and there is no backup of ${app}: nothing to move`);
      log(`${pin.node} is unreachable: moving the newest backup, ${newest.id} (${newest.createdAt})`);
      from = { backup: newest };
    }
  } finally {
    engines.closeAll();
  }
  return { planFile: checked.file, plan: checked, kind: 'move', note: `move ${app} ${target.name}`, stateful: { app, node: target.name, from } };
}
