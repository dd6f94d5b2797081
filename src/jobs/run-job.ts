import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { EnvError, messageOf } from '../errors.js';
import { NodeEngines, type NodeEngine } from '../adapters/docker.js';
import { ensureImage } from '../adapters/docker/node-image.js';
import { listNodes } from '../adapters/nodes.js';
import { pullAuthFor } from '../adapters/registry-access.js';
import { History } from '../adapters/store/history.js';
import { JobStore, LOG_LINES, type JobRun } from '../adapters/store/jobs.js';
import { addCapacity } from '../deploy/capacity.js';
import { reachableRefs, readCluster, toRunning, type Cluster } from '../deploy/cluster.js';
import { resolveImages } from '../deploy/preflight.js';
import { repoName } from '../model/image-ref.js';
import { jobNode } from '../model/job-node.js';
import { JOB_LABELS, jobContainerSpec, jobRunId, runsToRemove } from '../model/job-spec.js';
import type { AppSpec } from '../model/plan.js';
import type { NamedPlan } from '../model/routes.js';
import { redact } from '../model/secrets.js';
import { deploySecrets } from '../secrets/secrets.js';
import { jobFailed } from '../events/job.js';

/** Finished runs' containers kept per job (for their logs); older ones are removed. */
export const KEEP_CONTAINERS = 5;

export interface RunJobOptions {
  trigger: JobRun['trigger'];
  scheduledFor?: Date;
  log?: (line: string) => void;
  /** how often the run's container is looked at until it exits */
  pollMs?: number;
  signal?: AbortSignal;
  /** the id given to the run (the scheduler records it before starting) */
  id?: string;
  /** who asked (a manual run), for the job.failed event; default the scheduler */
  user?: string;
  /** concurrency forbid: a run of the job still going on a node (a manager restarted meanwhile) makes this one skipped */
  forbidOverlap?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One run of a job: a node chosen by placement (cordons respected), the image the app was last
 * deployed with, one container run to completion; exit status, duration and the last log lines
 * (secret values taken out) recorded. Never throws for the job's own failure: that is the run's
 * state; a failure to start it is recorded as failed with the reason.
 */
export async function runJob(config: Config, owner: NamedPlan, app: AppSpec, opts: RunJobOptions): Promise<JobRun> {
  const log = opts.log ?? (() => undefined);
  const warn = (m: string) => log(`warning: ${m}`);
  const store = new JobStore(config.stateDir, warn);
  const started = new Date();
  const run: JobRun = {
    id: opts.id ?? jobRunId(started, randomBytes(2).toString('hex')), plan: owner.name, app: app.name, trigger: opts.trigger,
    ...(opts.scheduledFor ? { scheduledFor: opts.scheduledFor.toISOString() } : {}), state: 'running', startedAt: started.toISOString(), pid: process.pid,
  };
  store.put(run);
  const engines = new NodeEngines(config);
  let secrets: string[] = [];
  try {
    const cluster = await readCluster(await listNodes(config), engines);
    if (opts.forbidOverlap) {
      const going = await runningOn(cluster, engines, `${owner.name}/${app.name}`);
      if (going) throw new Skipped(`a run of it is still going on ${going} (concurrency: forbid)`);
    }
    if (app.resources) await addCapacity(cluster.nodes, cluster.refs, engines, warn);
    const chosen = jobNode(app, cluster.nodes, cluster.containers.map((c) => toRunning(c)));
    if (chosen.node === null) throw new EnvError(`no node for ${owner.name}/${app.name}: ${chosen.why}`);
    const node = cluster.refs.get(chosen.node)!;
    const engine = engines.get(node);
    const digest = new History(config.stateDir, warn).revisions(owner.name, app.name)[0]?.digest;
    const source = { file: owner.plan.file, locate: () => ({ line: 1, col: 1 }) };
    const image = (await resolveImages(config, { ...owner.plan, apps: [app] }, source, digest ? new Map([[app.image, digest]]) : new Map())).get(app.image)!;
    await ensureImage(engine, image.ref, () => undefined, pullAuthFor(config, config.registry));
    const s = deploySecrets(config.stateDir, [app], warn, owner.name);
    if (s.missing.length) throw new EnvError(`secret ${s.missing[0]!.name} is not set`);
    secrets = s.values;
    const spec = jobContainerSpec({ plan: owner.name, app, runId: run.id, image: `${repoName(image.ref)}@${image.digest}`, hostIp: node.ip, env: { ...app.env, ...s.envOf(app.name) } });
    const id = await engine.createContainer(spec);
    Object.assign(run, { node: node.name, container: spec.name });
    store.put(run);
    log(`${owner.name}/${app.name}: run ${run.id} on ${node.name}`);
    await engine.startContainer(id);
    const exitCode = await waitExit(engine, id, opts.pollMs ?? 500, opts.signal);
    const lines = redact(await engine.logs(id, LOG_LINES).catch(() => ''), secrets).split('\n').filter((l) => l !== '');
    Object.assign(run, { state: exitCode === 0 ? 'succeeded' : 'failed', exitCode, logs: lines });
    await removeOldRuns(reachableRefs(cluster).map((r) => engines.get(r)), `${owner.name}/${app.name}`, warn);
  } catch (err) {
    Object.assign(run, { state: err instanceof Skipped ? 'skipped' : 'failed', reason: redact(messageOf(err), secrets) });
  } finally {
    engines.closeAll();
  }
  const finished = new Date();
  Object.assign(run, { finishedAt: finished.toISOString(), durationMs: finished.getTime() - started.getTime() });
  store.put(run);
  if (run.state === 'failed') {
    try {
      jobFailed(config, { plan: run.plan, app: run.app, ...(run.node ? { node: run.node } : {}), exitCode: run.exitCode ?? null, ...(run.reason ? { why: run.reason } : {}), user: opts.user ?? 'scheduler' });
    } catch (err) {
      warn(`the job.failed event was not recorded: ${messageOf(err)}`);
    }
  }
  log(`${owner.name}/${app.name}: run ${run.id} ${run.state}${run.exitCode !== undefined ? ` (exit ${run.exitCode})` : ''}${run.reason ? `: ${run.reason}` : ''} in ${run.durationMs} ms`);
  return run;
}

class Skipped extends Error {}

/** The node where a container of the job runs now, or null (nodes that do not answer are not asked). */
async function runningOn(cluster: Cluster, engines: NodeEngines, job: string): Promise<string | null> {
  const lists = await Promise.all(reachableRefs(cluster).map(async (r) => ({
    node: r.name, list: await engines.get(r).listContainers({ filters: { label: [`${JOB_LABELS.job}=${job}`], status: ['running'] } }).catch(() => []),
  })));
  return lists.find((l) => l.list.length > 0)?.node ?? null;
}

/** Polls the container until it exits; its exit code. A stop asked meanwhile (signal) stops it. */
async function waitExit(engine: NodeEngine, id: string, everyMs: number, signal?: AbortSignal): Promise<number> {
  for (let failures = 0; ;) {
    if (signal?.aborted) {
      await engine.stopContainer(id, 10).catch(() => undefined);
      throw new EnvError('stopped: the manager is shutting down');
    }
    let info;
    try {
      info = await engine.inspectContainer(id);
      failures = 0;
    } catch (err) {
      if (++failures >= 5) throw err;
      await sleep(everyMs);
      continue;
    }
    if (!info) throw new EnvError('its container was removed while it ran');
    if (!info.State.Running && !info.State.Restarting && info.State.Status !== 'created') return info.State.ExitCode;
    await sleep(everyMs);
  }
}

/** Keeps the newest KEEP_CONTAINERS finished containers of the job over the nodes that answer; never fails the run. */
async function removeOldRuns(engines: readonly NodeEngine[], job: string, warn: (m: string) => void): Promise<void> {
  try {
    const lists = await Promise.all(engines.map(async (engine) => (await engine.listContainers({ all: true, filters: { label: [`${JOB_LABELS.job}=${job}`] } })).map((c) => ({
      engine, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), running: c.State === 'running' || c.State === 'created' || c.State === 'restarting',
    }))));
    const rows = lists.flat();
    for (const name of runsToRemove(rows, KEEP_CONTAINERS)) await rows.find((r) => r.name === name)!.engine.removeContainer(name);
  } catch (err) {
    warn(`old runs of ${job} not removed: ${messageOf(err)}`);
  }
}
