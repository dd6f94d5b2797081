import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Config } from '../config.js';
import { Interrupted, UserError } from '../errors.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes, type NodeRef } from '../adapters/nodes.js';
import { pullAuthFor } from '../adapters/registry-access.js';
import { History, type AppDeployRecord, type DeployRecord, type Promotion } from '../adapters/store/history.js';
import { KnownGoodStore } from '../adapters/store/known-good.js';
import { PlanStore } from '../adapters/store/plans.js';
import { diff } from '../model/diff.js';
import { appRevision } from '../model/revision.js';
import { routeKey, routeKeys, routingTable, untilSwitched, type NamedPlan } from '../model/routes.js';
import type { RouteBackend } from '../model/routing.js';
import type { Action } from '../model/types.js';
import { deployApp, type AppOutcome } from './app-deploy.js';
import { readCluster, toRunning, type Cluster } from './cluster.js';
import { knownGoodOf, persistSeed } from './known-good.js';
import { mapLimit } from './limit.js';
import { SwitchGate } from './switch-gate.js';
import { finishActions, prepare, StatefulDeploy, type StatefulChange } from './stateful.js';
import { dependencyWaves } from '../model/plan/references.js';
import { checkedPlan, PlanInvalid, resolveImages, type CheckedPlan } from './preflight.js';
import { deploySecrets, type DeploySecrets } from '../secrets/secrets.js';
import { planError, sortErrors } from '../model/plan/types.js';
import { redact } from '../model/secrets.js';
import { takeDeployLock } from './deploy-lock.js';
import { addCapacity } from './capacity.js';
import { checkResources } from '../model/plan/resources-check.js';
import { countedPlan, keepCounts, type CountedPlan } from './scale-counts.js';
import { VarnishRouter } from './proxy.js';
import { certificatesAfterDeploy, checkTlsOfPlan } from '../tls/deploy-step.js';
import type { CertOutcome } from '../tls/certificates.js';
import type { Plan, PlanSource } from '../model/plan.js';
import { crossPlanClashes } from '../model/plan/cross-plan.js';
import { localActor, type Actor } from '../users/actor.js';
import { deployEvents } from './deploy-events.js';

/** How long the first app of a wave ready to switch waits for the others still starting (one reload for all). */
const SWITCH_HOLD_MS = 2000;

export interface DeployOptions {
  planFile: string;
  /** given instead of reading planFile (rollback, scale) */
  plan?: CheckedPlan;
  kind?: DeployRecord['kind'];
  /** scale and autoscale: the app's new count (the others keep theirs); `from`: what the autoscaler decided from */
  scale?: { app: string; replicas: number; from?: number };
  /** said in the history record (autoscale: the rate and target) */
  note?: string;
  /** promote: what was carried from which plan (in the history record) */
  promotion?: Promotion;
  /** image -> digest to deploy instead of what the tag resolves to now (scaling never changes an image) */
  pins?: ReadonlyMap<string, string>;
  /** how long to wait for an autoscale or scale that holds the deploy lock (default 5 min; 0: refuse at once) */
  lockWaitMs?: number;
  dryRun?: boolean;
  parallel?: number;
  healthTimeoutMs?: number;
  drainMs?: number;
  templatesDir?: string;
  log?: (line: string) => void;
  /** backup restore, move: the app gets fresh volumes filled from a backup (deploy/stateful.ts) */
  stateful?: StatefulChange;
  /** who does it, for the history; absent: the local user (or the pusher a git shell names) */
  actor?: Actor;
  /** under the lock, before anything changes: throws (Forbidden) when the caller may not deploy `next` over the deployed plan */
  authorize?: (deployed: Plan | null, next: Plan, planName: string) => void;
}

export interface DeployReport {
  id: string;
  plan: string;
  planFile: string;
  dryRun: boolean;
  result: DeployRecord['result'];
  actions: Action[];
  warnings: string[];
  apps: AppOutcome[];
  reloads: number;
  durationMs: number;
  /** per host of the plan's tls apps: what happened to its certificate (never fails the deploy) */
  certificates?: CertOutcome[];
}

/** Other deployed plans may have apps of the same names (environments), never the same host or path. */
function checkAgainstOtherPlans(current: NamedPlan, source: PlanSource, others: readonly NamedPlan[]): void {
  const clashes = crossPlanClashes(current, source, others);
  if (clashes.length) throw new PlanInvalid(sortErrors(clashes));
}

function overallResult(outcomes: AppOutcome[]): DeployRecord['result'] {
  const failed = outcomes.filter((o) => o.result === 'failed').length;
  const ok = outcomes.filter((o) => o.result === 'ok').length;
  if (failed) return ok ? 'partial' : 'failed';
  return ok ? 'ok' : 'unchanged';
}

export async function deployPlan(config: Config, opts: DeployOptions): Promise<DeployReport> {
  const t0 = Date.now();
  // Progress must never break a deploy half way (a pusher or an SSE client that went away).
  const log = (line: string) => {
    try {
      opts.log?.(line);
    } catch {
      /* the listener's problem, not the deploy's */
    }
  };
  const refs = await listNodes(config);
  const checked = opts.plan ?? (await checkedPlan(opts.planFile, refs.map((n) => n.name)));
  // Then the lock: nothing this deploy reads from here on may change under it.
  const kind = opts.kind ?? 'deploy';
  const command = kind === 'deploy' ? `deploy-plan ${opts.planFile}` : kind === 'rollback' ? `rollback ${opts.planFile}` : (opts.note ?? `${kind} ${opts.planFile}`);
  const lock = opts.dryRun ? null : await takeDeployLock(join(config.stateDir, 'deploy.lock'), command, {
    waitMs: opts.lockWaitMs ?? 300_000, log,
    onStale: (h) => log(`taking over a stale deploy lock: pid ${h.pid} on ${h.host} (${h.command}, started ${h.startedAt}) is gone`),
  });
  const events = opts.dryRun ? null : deployEvents(config, checked.name, checked.plan.apps.map((a) => a.name), kind, opts.actor ?? localActor(), opts.note);
  events?.started();
  try {
    // Replica counts that autoscale or scale set are read under the lock, so a deploy never undoes one.
    const counted = countedPlan(config.stateDir, checked, kind === 'restore' || kind === 'move' || kind === 'promote' ? 'deploy' : kind, opts.scale);
    const report = await deployLocked(config, opts, log, t0, refs, counted, !!lock);
    events?.finished(report);
    return report;
  } catch (err) {
    events?.threw(err);
    throw err;
  } finally {
    lock?.release();
  }
}

async function deployLocked(
  config: Config, opts: DeployOptions, log: (line: string) => void, t0: number, refs: NodeRef[], counted: CountedPlan, locked: boolean,
): Promise<DeployReport> {
  const { checked } = counted;
  const { plan, name: planName } = checked;
  const store = new PlanStore(config.stateDir);
  const current: NamedPlan = { name: planName, plan };
  checkAgainstOtherPlans(current, checked.source, store.list());
  opts.authorize?.(store.get(planName), plan, planName);
  checkTlsOfPlan(config, checked);
  const secrets = planSecrets(config, checked, log);
  const images = await resolveImages(config, plan, checked.source, opts.pins);
  const digests = new Map([...images].map(([image, r]) => [image, r.digest]));

  const engines = new NodeEngines(config);
  // Switches skip the separate varnishd -C pass: vcl.inline compiles too, and a VCL that does
  // not compile is never used either way.
  const proxy = new VarnishRouter(config, opts.templatesDir, false);
  const abort = new AbortController();
  // Every app of a large wave listens to it: no leak, so no warning past 10.
  setMaxListeners(0, abort.signal);
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: stopping cleanly (new containers of unfinished apps are removed)`);
    abort.abort();
  };
  if (locked) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    const cluster = await readCluster(refs, engines);
    for (const u of cluster.unreachable) log(`warning: ${u.node} is unreachable: ${u.message}`);
    const warn = (m: string) => log(`warning: ${m}`);
    if (plan.apps.some((a) => a.resources)) await addCapacity(cluster.nodes, cluster.refs, engines, warn);
    const good = knownGoodOf(config.stateDir, cluster.containers, warn);
    const orphans = cluster.containers.filter((c) => c.plan === planName && !good.isGood(c.id));
    if (orphans.length) log(`${orphans.length} container(s) of ${planName} never passed a health check (orphans of an interrupted deploy): never routed, removed after the switch`);
    const stateful = new StatefulDeploy(config.stateDir, planName, (node) => engines.get(cluster.refs.get(node)!), log, opts.stateful);
    // References resolved against what runs, apps with volumes kept on their nodes; each later wave of references diffs again.
    const diffNow = (now: typeof cluster, isGoodNow: (id: string) => boolean) => {
      const prep = prepare(plan, planName, now.nodes, now.containers, isGoodNow, stateful.pins(), opts.stateful?.app);
      const r = diff({ plan: prep.plan, planName, nodes: now.nodes, containers: prep.containers, digests, registry: config.registry, secrets: secrets.fingerprints });
      return { ...r, actions: finishActions(r.actions, prep, now.nodes, now.containers), prep };
    };
    const d = diffNow(cluster, good.isGood);
    for (const n of d.prep.notes) log(`warning: ${n}`);
    for (const [app, why] of d.prep.blocked) log(`warning: app ${app}: ${why}`);
    // Resources that do not fit refuse the plan before anything changes (exit 2, one line per app).
    const unfit = checkResources(plan, checked.source, cluster.nodes, d.shortfalls);
    if (unfit.length) throw new PlanInvalid(sortErrors(unfit));
    for (const w of d.warnings) log(`warning: ${w}`);
    const report: DeployReport = {
      id: `${new Date(t0).toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`,
      plan: planName, planFile: opts.planFile, dryRun: !!opts.dryRun, result: 'unchanged',
      actions: d.actions, warnings: d.warnings, apps: [], reloads: 0, durationMs: 0,
    };
    if (opts.dryRun) return { ...report, durationMs: Date.now() - t0 };

    if (good.seeded) persistSeed(good.store, cluster.containers, good.isGood);
    const isGood = (id: string) => good.store.has(id);
    const plans = store.with(current);
    const overrides = new Map<string, RouteBackend[]>();
    // Apps new to routing join the VCL at their own switch (untilSwitched).
    const routedBefore = routeKeys(routingTable(store.list(), cluster.containers, isGood));
    const switching = (o: ReadonlyMap<string, RouteBackend[]>) => untilSwitched(routingTable(plans, cluster.containers, isGood, o), routedBefore, o);
    // Apps of a wave that turn healthy within a moment of each other share one reload.
    const gate = new SwitchGate(SWITCH_HOLD_MS);
    const byApp = new Map<string, Action[]>();
    for (const a of d.actions) byApp.set(a.app, [...(byApp.get(a.app) ?? []), a]);
    const changed = [...byApp].filter(([, acts]) => acts.some((a) => a.kind !== 'keep'));
    if (changed.length === 0) log('no changes');
    const ctx = {
      planName, nodes: cluster.refs, containers: cluster.containers, images, pullAuth: pullAuthFor(config, config.registry),
      engineOf: (node: string) => engines.get(cluster.refs.get(node)!),
      isKnownGood: isGood,
      // Written before the switch that routes them: one write per switch, not one per container.
      markKnownGood: (c: { id: string; app: string; node: string; name: string; revision: string }) => good.store.add(c.id, { ...c, plan: planName }, false),
      switchTo: async (app: string, backends: RouteBackend[]) => {
        await gate.arrive(app);
        good.store.flush();
        const key = routeKey(planName, app);
        const previous = overrides.get(key);
        overrides.set(key, backends);
        let r;
        try {
          r = await proxy.applyLatest(() => switching(overrides));
        } catch (err) {
          // This app's switch failed: later reloads must not route to containers it removes.
          if (previous) overrides.set(key, previous);
          else overrides.delete(key);
          throw err;
        }
        if (r.changed) log(`[${app}] varnish now routes to ${backends.length} backend(s) (${r.name})`);
      },
      // Its VCL compiles while the new containers turn healthy; the switch then only labels it.
      prepareSwitch: (app: string, backends: RouteBackend[]) => {
        proxy.prepare({ plan: planName, name: app }, () => switching(new Map([...overrides, [routeKey(planName, app), backends]])));
      },
      progress: (app: string, node: string, message: string) => log(`[${app}] ${node}: ${message}`),
      secretEnv: (app: string) => secrets.envOf(app),
      redact: (text: string) => redact(text, secrets.values),
      healthDeadlineMs: opts.healthTimeoutMs ?? 60_000,
      drainMs: opts.drainMs ?? 1000,
      signal: abort.signal,
      stateful,
    };
    // Referenced apps first: a wave's references resolve to where the waves before it left their apps.
    const waves = dependencyWaves(plan.apps);
    const outcomes: AppOutcome[] = [];
    let now = { cluster, diff: d };
    for (let w = 0; w < waves.length && !abort.signal.aborted; w++) {
      if (w > 0 && outcomes.some((o) => o.result !== 'unchanged')) {
        good.store.flush();
        const c = await readCluster(refs, engines);
        // capacity does not change during a deploy: the first read's serves each later wave
        for (const n of c.nodes) n.capacity ??= cluster.nodes.find((x) => x.name === n.name)?.capacity;
        now = { cluster: c, diff: diffNow(c, isGood) };
      }
      const inWave = new Set(waves[w]);
      const acts = new Map<string, Action[]>();
      for (const a of now.diff.actions) acts.set(a.app, [...(acts.get(a.app) ?? []), a]);
      const todo = [...acts].filter(([app, list]) => (inWave.has(app) || (w === 0 && !plan.apps.some((x) => x.name === app))) && list.some((a) => a.kind !== 'keep'));
      const waveCtx = { ...ctx, containers: now.cluster.containers };
      outcomes.push(
        ...(await mapLimit(todo, opts.parallel ?? 32, ([app, list]) => {
          gate.begin(app);
          return deployApp(waveCtx, now.diff.prep.plan.apps.find((a) => a.name === app), app, list).finally(() => gate.end(app));
        })),
      );
      for (const app of waves[w]!) {
        const why = now.diff.prep.blocked.get(app);
        if (why) outcomes.push({ app, result: 'failed', started: 0, stopped: 0, error: why });
      }
    }
    good.store.flush();
    for (const o of outcomes) if (o.result === 'failed') log(`[${o.app}] FAILED: ${o.error}`);
    // When no app changed, the cluster is as read before: no second round of calls to every node.
    const after = outcomes.some((o) => o.result !== 'unchanged') ? await readCluster(refs, engines) : cluster;
    forgetGone(good.store, after);
    for (const p of await stateful.afterDeploy(plan, outcomes, after.containers, isGood)) warn(p);
    proxy.release();
    await proxy.apply(routingTable(plans, after.containers, isGood));
    const result = overallResult(outcomes);
    const planChanged = result !== 'failed' && store.save(planName, plan);
    const certificates = result !== 'failed' ? await certificatesAfterDeploy(config, plan, log) : [];
    try {
      keepCounts(config.stateDir, counted, outcomes);
    } catch (err) {
      warn(`the replica counts are not kept (${(err as Error).message}): the next deploy starts from the plan's`);
    }
    const finished = { ...report, apps: outcomes, result, reloads: proxy.reloads, durationMs: Date.now() - t0, ...(certificates.length ? { certificates } : {}) };
    // A redeploy that changed nothing (no container, no route, the same stored plan) writes no history.
    const nothingChanged = (opts.kind ?? 'deploy') === 'deploy' && result === 'unchanged' && !planChanged && proxy.reloads === 0;
    if (!nothingChanged) {
      try {
        const record = historyRecord(finished, checked, opts.kind ?? 'deploy', images, outcomes, t0, secrets.fingerprints, opts.note, opts.actor ?? localActor());
        new History(config.stateDir, warn).append(opts.promotion ? { ...record, promotion: opts.promotion } : record);
      } catch (err) {
        // The cluster already changed: a full disk must not turn a good deploy into a failed one.
        warn(`the deploy is not in the history (${new History(config.stateDir).path}): ${(err as Error).message}`);
        finished.warnings.push(`not recorded in the history: ${(err as Error).message}`);
      }
    }
    if (abort.signal.aborted) throw new Interrupted('deploy interrupted; unfinished apps keep their previous version');
    return finished;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    engines.closeAll();
    proxy.close();
  }
}

/** The secrets the plan names, all set, or exit 2 naming each one that is not (before anything changes). */
function planSecrets(config: Config, checked: CheckedPlan, log: (line: string) => void): DeploySecrets {
  const secrets = deploySecrets(config.stateDir, checked.plan.apps, (m) => log(`warning: ${m}`), checked.name);
  if (secrets.missing.length) {
    throw new PlanInvalid(secrets.missing.map((m) => planError(checked.source, ['apps', m.app, 'secrets', m.index], `secret ${m.name} is not set (cloudmatrix secret set ${m.name})`)));
  }
  return secrets;
}

/** Drops known-good records of containers that are gone from nodes that answered (never of a node that did not). */
function forgetGone(store: KnownGoodStore, cluster: Cluster): void {
  const listed = new Set(cluster.containers.map((c) => c.id));
  const answered = new Set(cluster.nodes.filter((n) => n.reachable).map((n) => n.name));
  store.remove(store.ids().filter((id) => !listed.has(id) && answered.has(store.get(id)!.node)));
}

function historyRecord(
  r: DeployReport, checked: CheckedPlan, kind: DeployRecord['kind'], images: Awaited<ReturnType<typeof resolveImages>>,
  outcomes: AppOutcome[], t0: number, fingerprints: ReadonlyMap<string, string>, note: string | undefined, actor: Actor,
): DeployRecord {
  const byApp = new Map(outcomes.map((o) => [o.app, o]));
  const apps: AppDeployRecord[] = checked.plan.apps.map((app) => {
    const digest = images.get(app.image)?.digest ?? '';
    const o = byApp.get(app.name);
    return {
      app: app.name, revision: appRevision(app, digest, fingerprints), image: app.image, digest, replicas: app.replicas,
      result: o ? o.result : 'unchanged', ...(o?.error ? { error: o.error } : {}), spec: app,
    };
  });
  for (const o of outcomes) {
    if (!checked.plan.apps.some((a) => a.name === o.app)) {
      apps.push({ app: o.app, revision: '', image: '', digest: '', replicas: 0, result: o.result === 'failed' ? 'failed' : 'removed', spec: null });
    }
  }
  return {
    id: r.id, kind, plan: r.plan, planFile: r.planFile, planHash: checked.hash,
    startedAt: new Date(t0).toISOString(), finishedAt: new Date().toISOString(), result: r.result, apps, ...(note ? { note } : {}), user: actor.user, via: actor.via,
  };
}
