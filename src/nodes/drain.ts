import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { NodeEngines } from '../adapters/docker.js';
import { findNode, listNodes } from '../adapters/nodes.js';
import { CordonStore } from '../adapters/store/cordons.js';
import { PinStore } from '../adapters/store/pins.js';
import { PlanStore } from '../adapters/store/plans.js';
import { moveTarget } from '../backup/service.js';
import { addCapacity } from '../deploy/capacity.js';
import { readCluster, toRunning } from '../deploy/cluster.js';
import { deployPlan, type DeployOptions, type DeployReport } from '../deploy/deploy.js';
import { knownGoodOf } from '../deploy/known-good.js';
import { drainRefusal, planDrain, type DrainPlan } from '../model/drain.js';
import { localActor, type Actor } from '../users/actor.js';
import { redeployOptions } from './redeploy.js';

export interface DrainOptions {
  moveStateful?: boolean;
  log?: (line: string) => void;
  actor?: Actor;
  /** passed to each deploy the drain runs */
  deploy?: Pick<DeployOptions, 'healthTimeoutMs' | 'drainMs' | 'parallel'>;
}

export interface DrainReport {
  node: string;
  /** false: it was cordoned already */
  cordoned: boolean;
  planned: DrainPlan;
  deploys: DeployReport[];
  /** containers of deployed plans still on the node afterwards */
  left: { plan: string; app: string; name: string }[];
  ok: boolean;
}

/** What the drain reads: the deployed plans, every node (with its cordon) and container, and the pins. */
async function look(config: Config, node: string, warn: (m: string) => void) {
  const plans = new PlanStore(config.stateDir).list();
  const engines = new NodeEngines(config);
  try {
    const cluster = await readCluster(await listNodes(config), engines);
    if (plans.some((p) => p.plan.apps.some((a) => a.resources))) await addCapacity(cluster.nodes, cluster.refs, engines, warn);
    const good = knownGoodOf(config.stateDir, cluster.containers, warn);
    const pins = new Map(new PinStore(config.stateDir, warn).list().map((p) => [`${p.plan}/${p.app}`, p.node]));
    const planned = planDrain({ node, plans, nodes: cluster.nodes, containers: cluster.containers.map((c) => toRunning(c, good.isGood)), pins });
    const deployed = new Set(plans.map((p) => p.name));
    const left = cluster.containers.filter((c) => c.node.toLowerCase() === node.toLowerCase() && deployed.has(c.plan)).map((c) => ({ plan: c.plan, app: c.app, name: c.name }));
    return { plans, planned, left };
  } finally {
    engines.closeAll();
  }
}

/**
 * `node drain NODE`: refuses (UserError, nothing changed) when a replica would find no room or an
 * app with volumes is pinned there (unless moveStateful); else cordons the node, moves each
 * pinned app with its data (cloudmatrix move), and redeploys each plan with replicas there, so
 * that placement starts them elsewhere, health-gates, switches Varnish, drains and stops them.
 * A deploy that fails leaves that app where it was (its deploy says why) and the node cordoned.
 */
export async function drainNode(config: Config, name: string, opts: DrainOptions = {}): Promise<DrainReport> {
  const log = opts.log ?? (() => undefined);
  const warn = (m: string) => log(`warning: ${m}`);
  const node = (await findNode(config, name)).name;
  const first = await look(config, node, warn);
  const refusal = drainRefusal(node, first.planned, opts.moveStateful === true);
  if (refusal) throw new UserError(refusal);
  const actor = opts.actor ?? localActor();
  const cordoned = new CordonStore(config.stateDir, warn).add(node, actor.user);
  log(cordoned ? `${node} cordoned: nothing new is placed there` : `${node} was cordoned already`);
  const deploys: DeployReport[] = [];
  for (const s of first.planned.stateful) {
    log(`moving ${s.plan}/${s.app} (volumes) to ${s.target}`);
    const move = await moveTarget(config, `${s.plan}/${s.app}`, s.target!, log);
    deploys.push(await deployPlan(config, { ...move, ...opts.deploy, actor, log }));
  }
  for (const plan of first.planned.plans) {
    const owner = first.plans.find((p) => p.name === plan)!;
    log(`${plan}: moving its replicas off ${node}`);
    deploys.push(await deployPlan(config, { ...redeployOptions(config.stateDir, owner, `drain ${node}: ${plan} redeployed off it`), ...opts.deploy, actor, log }));
  }
  const after = await look(config, node, warn);
  const ok = deploys.every((d) => d.result === 'ok' || d.result === 'unchanged') && after.left.length === 0;
  return { node, cordoned, planned: first.planned, deploys, left: after.left, ok };
}

/** `node undrain NODE`: lifts the cordon; nothing moves back by itself (the next deploy may place there again). */
export async function undrainNode(config: Config, name: string): Promise<{ node: string; lifted: boolean }> {
  const known = await listNodes(config);
  const node = known.find((n) => n.name.toLowerCase() === name.toLowerCase())?.name
    ?? new CordonStore(config.stateDir).list().find((c) => c.node.toLowerCase() === name.toLowerCase())?.node;
  if (!node) throw new UserError(`NODE: unknown node "${name}" (known: ${known.map((n) => n.name).join(', ') || 'none'})`);
  return { node, lifted: new CordonStore(config.stateDir).remove(node) };
}
