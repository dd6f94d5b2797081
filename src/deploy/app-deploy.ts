import { setMaxListeners } from 'node:events';
import { DeadlineError, type NodeEngine } from '../adapters/docker.js';
import { ensureImage } from '../adapters/docker/node-image.js';
import type { NodeRef } from '../adapters/nodes.js';
import { waitHealthy } from '../adapters/http-health.js';
import { waitTcpHealthy } from '../adapters/tcp-health.js';
import { backendOf, routable } from '../model/routes.js';
import type { CloudContainer } from '../model/cloud-container.js';
import { containerSpec } from '../model/container-spec.js';
import { repoName } from '../model/image-ref.js';
import type { AppSpec } from '../model/plan.js';
import type { RouteBackend } from '../model/routing.js';
import type { Action, StartAction, StopAction } from '../model/types.js';
import { containerState, lastLogLines, startContainer, stopContainer } from './container-ops.js';
import { waitWorkerHealthy } from './worker-health.js';
import type { ResolvedImage } from './preflight.js';

export interface AppDeployContext {
  planName: string;
  engineOf(node: string): NodeEngine;
  nodes: ReadonlyMap<string, NodeRef>;
  /** containers as listed before the deploy */
  containers: readonly CloudContainer[];
  /** whether a container passed its health check under a deploy (orphans did not) */
  isKnownGood(id: string): boolean;
  /** records that a new container passed its health check, before any traffic is switched to it */
  markKnownGood(c: { id: string; app: string; node: string; name: string; revision: string }): void;
  images: ReadonlyMap<string, ResolvedImage>;
  /** the registry's pull credentials, sent with each pull (X-Registry-Auth); {} for an open registry */
  pullAuth: Record<string, string>;
  /** routes the app to exactly these backends (all other apps unchanged) and reloads Varnish */
  switchTo(app: string, backends: RouteBackend[]): Promise<void>;
  /** the app's new containers are started, not yet healthy: the switch to these backends may be got ready (best effort) */
  prepareSwitch?(app: string, backends: RouteBackend[]): void;
  progress(app: string, node: string, message: string): void;
  /** env vars from the secret store for the app's containers (only ever given to Docker's create) */
  secretEnv?(app: string): Record<string, string>;
  /** takes secret values out of a text that goes into a message (a container's last log lines) */
  redact?(text: string): string;
  healthDeadlineMs: number;
  drainMs: number;
  /** how often a starting container is checked for an early exit */
  exitPollMs?: number;
  signal: AbortSignal;
  /** apps with volumes: their mounts, the backup before a replacement, a restore's or a move's data */
  stateful?: StatefulHooks;
}

/** What a deploy does around the containers of an app with volumes (deploy/stateful.ts). */
export interface StatefulHooks {
  /** the volume mounts of a new container of `app` on `node`, the volumes created (labelled) */
  mounts(app: AppSpec, node: string): Promise<{ source: string; target: string }[]>;
  /** before a replacement changes anything: a backup of the running container's volumes; throws to stop the app's deploy */
  beforeReplace(app: AppSpec, old: { containerId: string; node: string; name: string }): Promise<void>;
  /** after the old container stopped, before the new one starts (a move backs up here, nothing writes any more) */
  afterStop?(app: AppSpec, old: { containerId: string; node: string; name: string }): Promise<void>;
  /** fills a new container's volumes before it first starts (restore, move) */
  seed?(app: AppSpec, node: string, containerId: string): Promise<void>;
}

export interface AppOutcome {
  app: string;
  result: 'ok' | 'failed' | 'unchanged';
  started: number;
  stopped: number;
  error?: string;
  /** stop-first (an app with volumes): from the old container's stop to the new one's health, ms */
  gapMs?: number;
}

interface Started {
  action: StartAction;
  id: string;
  /** null for a worker: never routed */
  backend: RouteBackend | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class AppFailure extends Error {}

async function startOne(
  ctx: AppDeployContext, app: AppSpec, a: StartAction, created: Map<string, string>, signal: AbortSignal, onStarted: (b: RouteBackend) => void,
): Promise<Started> {
  const node = ctx.nodes.get(a.node)!;
  const engine = ctx.engineOf(a.node);
  const image = ctx.images.get(app.image)!;
  try {
    if (await ensureImage(engine, image.ref, () => undefined, ctx.pullAuth)) {
      ctx.progress(a.app, a.node, `pulled ${repoName(image.ref)}@${image.digest.slice(7, 19)}`);
    }
  } catch (err) {
    throw new AppFailure(`${a.node}: cannot get the image: ${(err as Error).message}`);
  }
  if (signal.aborted) throw new AppFailure('interrupted');
  const spec = containerSpec({
    name: a.name, app: a.app, plan: ctx.planName, revision: a.revision, image: `${repoName(image.ref)}@${image.digest}`,
    containerPort: app.worker ? null : a.port, hostPort: a.hostPort ?? undefined, hostIp: node.ip, env: { ...app.env, ...ctx.secretEnv?.(app.name) },
    ...(app.command ? { cmd: app.command } : {}), ...(app.entrypoint ? { entrypoint: app.entrypoint } : {}), ...(app.resources ? { resources: app.resources } : {}),
  });
  let started;
  try {
    if (app.volumes && ctx.stateful) spec.HostConfig = { ...spec.HostConfig, Mounts: (await ctx.stateful.mounts(app, a.node)).map((m) => ({ Type: 'volume', Source: m.source, Target: m.target })) };
    // Called on the hooks object: StatefulDeploy's seed is a method that reads its own fields.
    const hooks = ctx.stateful;
    started = await startContainer(engine, spec, app.worker ? null : a.port, hooks?.seed ? (id) => hooks.seed!(app, a.node, id) : undefined);
  } catch (err) {
    const id = (err as { containerId?: string }).containerId;
    if (id) created.set(id, a.node);
    throw new AppFailure(`${a.node}: could not start ${a.name}: ${(err as Error).message}${id ? await logTail(ctx, engine, id) : ''}`);
  }
  created.set(started.id, a.node);
  if (app.worker || started.hostPort === null) return startWorker(ctx, app, a, started.id, signal);
  ctx.progress(a.app, a.node, `started ${a.name} on ${node.ip}:${started.hostPort}`);
  const backend = { container: a.name, node: a.node, address: node.ip, port: started.hostPort };
  onStarted(backend);
  const target = { address: node.ip, port: started.hostPort, path: app.health.path };
  const checks = { timeoutMs: app.health.timeoutMs, intervalMs: Math.min(500, app.health.intervalMs), deadlineMs: ctx.healthDeadlineMs, signal };
  const watching = new AbortController();
  try {
    const healthy = app.expose === 'tcp' ? waitTcpHealthy(target, checks) : waitHealthy(target, checks);
    await Promise.race([healthy, exitWatch(engine, started.id, watching.signal, ctx.exitPollMs ?? 1000)]);
  } catch (err) {
    if (signal.aborted && !ctx.signal.aborted) throw new AppFailure('cancelled: another replica failed');
    if (err instanceof DeadlineError) throw new AppFailure(`${a.node}: ${a.name}: ${err.message}`);
    throw new AppFailure(`${a.node}: ${a.name} did not turn healthy: ${(err as Error).message}${await logTail(ctx, engine, started.id)}`);
  } finally {
    watching.abort();
  }
  ctx.markKnownGood({ id: started.id, app: a.app, node: a.node, name: a.name, revision: a.revision });
  ctx.progress(a.app, a.node, `healthy ${a.name}`);
  return { action: a, id: started.id, backend };
}

/** A worker: healthy by staying up (or by its health.command), never routed. */
async function startWorker(ctx: AppDeployContext, app: AppSpec, a: StartAction, id: string, signal: AbortSignal): Promise<Started> {
  const engine = ctx.engineOf(a.node);
  ctx.progress(a.app, a.node, `started ${a.name} (worker)`);
  try {
    await waitWorkerHealthy(engine, id, app.health, ctx.healthDeadlineMs, signal);
  } catch (err) {
    if (signal.aborted && !ctx.signal.aborted) throw new AppFailure('cancelled: another replica failed');
    if (err instanceof DeadlineError) throw new AppFailure(`${a.node}: ${a.name}: ${err.message}`);
    throw new AppFailure(`${a.node}: ${a.name} did not turn healthy: ${(err as Error).message}${await logTail(ctx, engine, id)}`);
  }
  ctx.markKnownGood({ id, app: a.app, node: a.node, name: a.name, revision: a.revision });
  ctx.progress(a.app, a.node, `healthy ${a.name}`);
  return { action: a, id, backend: null };
}

async function logTail(ctx: AppDeployContext, engine: NodeEngine, id: string): Promise<string> {
  const raw = await lastLogLines(engine, id);
  const logs = ctx.redact ? ctx.redact(raw) : raw;
  return logs ? `; last log lines: ${logs.split('\n').slice(-5).join(' | ')}` : '';
}

/**
 * Rejects as soon as the container stops running (polled until `stop`), so a crash fails fast.
 * A failed inspect is no exit: three in a row are (the node is not answering), and a missed
 * deadline is at once.
 */
async function exitWatch(engine: NodeEngine, id: string, stop: AbortSignal, everyMs: number): Promise<never> {
  let failures = 0;
  while (!stop.aborted) {
    await sleep(everyMs);
    if (stop.aborted) break;
    let s;
    try {
      s = await containerState(engine, id);
      failures = 0;
    } catch (err) {
      if (err instanceof DeadlineError || ++failures >= 3) throw err;
      continue;
    }
    if (!s.running && !stop.aborted) {
      throw new Error(s.gone ? 'container was removed' : `container exited${s.exitCode === undefined ? '' : ` with status ${s.exitCode}`}`);
    }
  }
  return new Promise<never>(() => undefined);
}

/**
 * One app's change, the safe way: (stop what must make room for a fixed host port), start the
 * new containers, wait until each is healthy, switch Varnish to the new set, drain, stop the old.
 * Any failure before the switch removes the new containers and restores the old ones.
 */
export async function deployApp(ctx: AppDeployContext, app: AppSpec | undefined, name: string, actions: Action[]): Promise<AppOutcome> {
  const starts = actions.filter((a): a is StartAction => a.kind === 'start');
  const stops = actions.filter((a): a is StopAction => a.kind === 'stop');
  if (starts.length === 0 && stops.length === 0) return { app: name, result: 'unchanged', started: 0, stopped: 0 };
  const firstStart = actions.findIndex((a) => a.kind === 'start');
  const preStops = firstStart < 0 ? [] : stops.filter((s) => actions.indexOf(s) < firstStart);
  const postStops = stops.filter((s) => !preStops.includes(s));
  const stopping = new Set(stops.map((s) => s.containerId));
  const old = ctx.containers.filter((c) => c.plan === ctx.planName && c.app === name && routable(c) && ctx.isKnownGood(c.id));
  const kept = old.filter((c) => !stopping.has(c.id)).map(backendOf);
  const created = new Map<string, string>();
  let started: Started[] = [];
  const stateful = app?.volumes ? ctx.stateful : undefined;
  let stoppedAt = 0;
  let gapMs: number | undefined;
  try {
    // The backup comes before anything changes: when it cannot be written, the old container keeps serving.
    if (stateful) for (const s of preStops) await stateful.beforeReplace(app!, s);
  } catch (err) {
    return { app: name, result: 'failed', started: 0, stopped: 0, error: `not replaced, nothing changed: ${(err as Error).message}` };
  }
  try {
    if (preStops.length) {
      const pre = new Set(preStops.map((s) => s.containerId));
      await ctx.switchTo(name, old.filter((c) => !pre.has(c.id)).map(backendOf));
      stoppedAt = Date.now();
      for (const s of preStops) {
        await stopContainer(ctx.engineOf(s.node), s.containerId, { remove: false, graceSeconds: 5 });
        ctx.progress(name, s.node, stateful ? `stopped ${s.name} first (one writer per volume)` : `stopped ${s.name} to free its host port`);
      }
      if (stateful?.afterStop) for (const s of preStops) await stateful.afterStop(app!, s);
    }
    // Once every new container runs (before they are healthy), the switch's VCL can compile.
    const prepare = app && !app.worker && ctx.prepareSwitch ? (b: RouteBackend[]) => ctx.prepareSwitch!(name, [...kept, ...b]) : undefined;
    if (app && starts.length) started = await startAll(ctx, app, starts, created, prepare);
    if (stateful && stoppedAt) {
      gapMs = Date.now() - stoppedAt;
      ctx.progress(name, started[0]?.action.node ?? preStops[0]!.node, `stop-first gap ${gapMs} ms (old container stopping -> new one healthy)`);
    }
    if (ctx.signal.aborted) throw new AppFailure('interrupted');
    // An app gone from the plan is unrouted by the switch too (the new plan no longer names it).
    // A worker is never routed: nothing to switch.
    if (!app?.worker) await ctx.switchTo(name, [...kept, ...started.flatMap((s) => (s.backend ? [s.backend] : []))]);
  } catch (err) {
    const problems = [err instanceof AppFailure ? err.message : (err as Error).message];
    problems.push(...(await cleanupCreated(ctx, created)));
    problems.push(...(await restorePreStopped(ctx, name, preStops, old)));
    return { app: name, result: 'failed', started: 0, stopped: 0, error: problems.join('; ') };
  }
  if (postStops.length && ctx.drainMs > 0) await sleep(ctx.drainMs);
  const failures: string[] = [];
  await Promise.all(
    [...preStops, ...postStops].map(async (s) => {
      try {
        await stopContainer(ctx.engineOf(s.node), s.containerId, { remove: true, graceSeconds: 10 });
        ctx.progress(name, s.node, `removed ${s.name} (${s.reason})`);
      } catch (err) {
        failures.push(`${s.node}: could not remove ${s.name}: ${(err as Error).message}`);
      }
    }),
  );
  return {
    app: name, result: 'ok', started: started.length, stopped: stops.length - failures.length,
    ...(failures.length ? { error: failures.join('; ') } : {}), ...(gapMs !== undefined ? { gapMs } : {}),
  };
}

/** Starts every replica; the first failure cancels the others' waits, and all settle before it is thrown. */
async function startAll(
  ctx: AppDeployContext, app: AppSpec, starts: StartAction[], created: Map<string, string>, allStarted?: (backends: RouteBackend[]) => void,
): Promise<Started[]> {
  const running: RouteBackend[] = [];
  const onStarted = (b: RouteBackend) => {
    running.push(b);
    if (running.length === starts.length) allStarted?.(running);
  };
  const cancel = new AbortController();
  setMaxListeners(0, cancel.signal);
  const onAbort = () => cancel.abort();
  ctx.signal.addEventListener('abort', onAbort);
  try {
    const settled = await Promise.allSettled(
      starts.map((a) => startOne(ctx, app, a, created, cancel.signal, onStarted).catch((err) => {
        cancel.abort();
        throw err;
      })),
    );
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as Error);
    const first = failures.find((e) => !e.message.startsWith('cancelled')) ?? failures[0];
    if (first) throw first;
    return settled.map((s) => (s as PromiseFulfilledResult<Started>).value);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

/** Removes what this deploy created for the app; what cannot be removed now is said (an orphan, never routed, that the next deploy removes). */
async function cleanupCreated(ctx: AppDeployContext, created: ReadonlyMap<string, string>): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    [...created].map(async ([id, node]) => {
      try {
        await ctx.engineOf(node).removeContainer(id);
      } catch (err) {
        problems.push(`${node}: new container ${id.slice(0, 12)} not removed (the next deploy removes it): ${(err as Error).message}`);
      }
    }),
  );
  return problems;
}

/** Starts again what was stopped to free a fixed host port, and routes the old set again. */
async function restorePreStopped(ctx: AppDeployContext, app: string, preStops: StopAction[], old: readonly CloudContainer[]): Promise<string[]> {
  const problems: string[] = [];
  for (const s of preStops) {
    try {
      await ctx.engineOf(s.node).startContainer(s.containerId);
      ctx.progress(app, s.node, `started ${s.name} again`);
    } catch (err) {
      problems.push(`${s.node}: could not start the old ${s.name} again: ${(err as Error).message}`);
    }
  }
  if (preStops.length) {
    try {
      await ctx.switchTo(app, old.map(backendOf));
    } catch (err) {
      problems.push(`could not route the old containers again: ${(err as Error).message}`);
    }
  }
  return problems;
}
