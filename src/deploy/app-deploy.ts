import type { NodeEngines } from '../adapters/docker.js';
import { ensureImage } from '../adapters/docker/node-image.js';
import type { NodeRef } from '../adapters/nodes.js';
import { waitHealthy } from '../adapters/http-health.js';
import { backendOf, routable } from '../model/routes.js';
import type { CloudContainer } from '../model/cloud-container.js';
import { containerSpec } from '../model/container-spec.js';
import { repoName } from '../model/image-ref.js';
import type { AppSpec } from '../model/plan.js';
import type { RouteBackend } from '../model/routing.js';
import type { Action, StartAction, StopAction } from '../model/types.js';
import { containerState, lastLogLines, removeContainer, startContainer, stopContainer } from './container-ops.js';
import type { ResolvedImage } from './preflight.js';

export interface AppDeployContext {
  planName: string;
  engines: NodeEngines;
  nodes: ReadonlyMap<string, NodeRef>;
  /** containers as listed before the deploy */
  containers: readonly CloudContainer[];
  images: ReadonlyMap<string, ResolvedImage>;
  /** routes the app to exactly these backends (all other apps unchanged) and reloads Varnish */
  switchTo(app: string, backends: RouteBackend[]): Promise<void>;
  progress(app: string, node: string, message: string): void;
  healthDeadlineMs: number;
  drainMs: number;
  signal: AbortSignal;
}

export interface AppOutcome {
  app: string;
  result: 'ok' | 'failed' | 'unchanged';
  started: number;
  stopped: number;
  error?: string;
}

interface Started {
  action: StartAction;
  id: string;
  backend: RouteBackend;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class AppFailure extends Error {}

async function startOne(ctx: AppDeployContext, app: AppSpec, a: StartAction, created: string[], signal: AbortSignal): Promise<Started> {
  const node = ctx.nodes.get(a.node)!;
  const docker = ctx.engines.get(node);
  const image = ctx.images.get(app.image)!;
  if (await ensureImage(docker, a.node, image.ref, () => undefined)) {
    ctx.progress(a.app, a.node, `pulled ${repoName(image.ref)}@${image.digest.slice(7, 19)}`);
  }
  if (signal.aborted) throw new AppFailure('interrupted');
  const spec = containerSpec({
    name: a.name, app: a.app, plan: ctx.planName, revision: a.revision, image: `${repoName(image.ref)}@${image.digest}`,
    containerPort: a.port, hostPort: a.hostPort ?? undefined, hostIp: node.ip, env: app.env,
  });
  let started;
  try {
    started = await startContainer(docker, spec, a.port);
  } catch (err) {
    const id = (err as { containerId?: string }).containerId;
    if (id) created.push(id);
    throw new AppFailure(`${a.node}: could not start ${a.name}: ${(err as Error).message}${id ? await logTail(docker, id) : ''}`);
  }
  created.push(started.id);
  ctx.progress(a.app, a.node, `started ${a.name} on ${node.ip}:${started.hostPort}`);
  const target = { address: node.ip, port: started.hostPort, path: app.health.path };
  const checks = { timeoutMs: app.health.timeoutMs, intervalMs: Math.min(500, app.health.intervalMs), deadlineMs: ctx.healthDeadlineMs, signal };
  const watching = new AbortController();
  try {
    await Promise.race([waitHealthy(target, checks), exitWatch(docker, started.id, watching.signal)]);
  } catch (err) {
    if (signal.aborted && !ctx.signal.aborted) throw new AppFailure('cancelled: another replica failed');
    throw new AppFailure(`${a.node}: ${a.name} did not turn healthy: ${(err as Error).message}${await logTail(docker, started.id)}`);
  } finally {
    watching.abort();
  }
  ctx.progress(a.app, a.node, `healthy ${a.name}`);
  return { action: a, id: started.id, backend: { container: a.name, node: a.node, address: node.ip, port: started.hostPort } };
}

async function logTail(docker: ReturnType<NodeEngines['get']>, id: string): Promise<string> {
  const logs = await lastLogLines(docker, id);
  return logs ? `; last log lines: ${logs.split('\n').slice(-5).join(' | ')}` : '';
}

/** Rejects as soon as the container stops running (polled until `stop`), so a crash fails fast. */
async function exitWatch(docker: ReturnType<NodeEngines['get']>, id: string, stop: AbortSignal): Promise<never> {
  while (!stop.aborted) {
    await sleep(1000);
    if (stop.aborted) break;
    const s = await containerState(docker, id);
    if (!s.running && !stop.aborted) throw new Error(`container exited${s.exitCode === undefined ? '' : ` with status ${s.exitCode}`}`);
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
  const old = ctx.containers.filter((c) => c.plan === ctx.planName && c.app === name && routable(c));
  const kept = old.filter((c) => !stopping.has(c.id)).map(backendOf);
  const engineOf = (node: string) => ctx.engines.get(ctx.nodes.get(node)!);
  const created: string[] = [];
  let started: Started[] = [];
  try {
    if (preStops.length) {
      const pre = new Set(preStops.map((s) => s.containerId));
      await ctx.switchTo(name, old.filter((c) => !pre.has(c.id)).map(backendOf));
      for (const s of preStops) {
        await stopContainer(engineOf(s.node), s.containerId, { remove: false, graceSeconds: 5 });
        ctx.progress(name, s.node, `stopped ${s.name} to free its host port`);
      }
    }
    if (app && starts.length) started = await startAll(ctx, app, starts, created);
    if (ctx.signal.aborted) throw new AppFailure('interrupted');
    // An app gone from the plan is unrouted by the switch too (the new plan no longer names it).
    await ctx.switchTo(name, [...kept, ...started.map((s) => s.backend)]);
  } catch (err) {
    await cleanupCreated(ctx, starts, created);
    for (const s of preStops) await engineOf(s.node).getContainer(s.containerId).start().catch(() => undefined);
    if (preStops.length) await ctx.switchTo(name, old.map(backendOf)).catch(() => undefined);
    const message = err instanceof AppFailure ? err.message : `${(err as Error).message}`;
    return { app: name, result: 'failed', started: 0, stopped: 0, error: message };
  }
  if (postStops.length && ctx.drainMs > 0) await sleep(ctx.drainMs);
  const failures: string[] = [];
  await Promise.all(
    [...preStops, ...postStops].map(async (s) => {
      try {
        await stopContainer(engineOf(s.node), s.containerId, { remove: true, graceSeconds: 10 });
        ctx.progress(name, s.node, `removed ${s.name} (${s.reason})`);
      } catch (err) {
        failures.push(`${s.node}: could not remove ${s.name}: ${(err as Error).message}`);
      }
    }),
  );
  return { app: name, result: 'ok', started: started.length, stopped: stops.length - failures.length, ...(failures.length ? { error: failures.join('; ') } : {}) };
}

/** Starts every replica; the first failure cancels the others' waits, and all settle before it is thrown. */
async function startAll(ctx: AppDeployContext, app: AppSpec, starts: StartAction[], created: string[]): Promise<Started[]> {
  const cancel = new AbortController();
  const onAbort = () => cancel.abort();
  ctx.signal.addEventListener('abort', onAbort);
  try {
    const settled = await Promise.allSettled(
      starts.map((a) => startOne(ctx, app, a, created, cancel.signal).catch((err) => {
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

/** Removes, by name on each node, whatever this deploy created for the app (ids may be partial). */
async function cleanupCreated(ctx: AppDeployContext, starts: StartAction[], created: string[]): Promise<void> {
  if (created.length === 0) return;
  await Promise.all(
    starts.map(async (a) => {
      const docker = ctx.engines.get(ctx.nodes.get(a.node)!);
      const list = await docker.listContainers({ all: true, filters: { name: [`^/${a.name}$`] } }).catch(() => []);
      await Promise.all(list.filter((c) => created.includes(c.Id)).map((c) => removeContainer(docker, c.Id).catch(() => undefined)));
    }),
  );
}
