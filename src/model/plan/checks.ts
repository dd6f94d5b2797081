import { HOSTNAME } from './fields.js';
import { checkStateful } from './stateful-checks.js';
import { checkWorker } from './worker-checks.js';
import { checkJob } from './job-checks.js';
import { planError, type AppSpec, type PathSegment, type PlanError, type PlanSource } from './types.js';

/** What the file said explicitly, as opposed to defaults. */
export interface Written {
  hosts: boolean;
  hashBy: boolean;
  maxPerNode: boolean;
  /** backup: given (it needs volumes) */
  backup?: boolean;
  /** the keys of the health map as written */
  health?: string[];
  /** port: given (without it, an app with a command is a worker) */
  port?: boolean;
  replicas?: boolean;
  volumes?: boolean;
}

type Report = (path: PathSegment[], message: string) => void;

function checkApp(app: AppSpec, written: Written, bad: Report): void {
  const at = (...rest: PathSegment[]): PathSegment[] => ['apps', app.name, ...rest];
  if (!written.hosts && !HOSTNAME.test(app.hosts[0])) {
    bad(at(), `the default host ${app.hosts[0]} is not a valid host name; give hosts: explicitly`);
  }
  if (written.hashBy && app.director !== 'hash') bad(at('hashBy'), 'only applies to director hash');
  if (app.hostPort !== undefined && written.maxPerNode && app.maxPerNode > 1) {
    bad(at('maxPerNode'), 'a fixed hostPort allows one container per node; maxPerNode must be 1');
  }
  const h = app.health;
  if (h.intervalMs < 100 || h.intervalMs > 3_600_000) bad(at('health', 'interval'), 'must be from 100ms to 1h');
  if (h.timeoutMs < 1 || h.timeoutMs > 3_600_000) bad(at('health', 'timeout'), 'must be from 1ms to 1h');
  else if (h.timeoutMs > h.intervalMs) bad(at('health', 'timeout'), 'must not exceed health.interval');
  if (h.threshold !== undefined && h.threshold > (h.window ?? 8)) {
    bad(at('health', 'threshold'), `must not exceed health.window (${h.window ?? '8 by default'})`);
  }
  const t = app.timeouts;
  for (const k of ['connect', 'firstByte', 'betweenBytes'] as const) {
    const v = t?.[`${k}Ms`];
    if (v !== undefined && (v < 1 || v > 3_600_000)) bad(at('timeouts', k), 'must be from 1ms to 1h');
  }
  checkReplicaRange(app, at, bad);
  checkWorker(app, written, bad);
  checkJob(app, written, bad);
  checkSecrets(app, at, bad);
  if (app.nodes?.length === 0) bad(at('nodes'), 'an empty list allows no node at all; leave nodes out to allow every node');
  const seen = new Set<string>();
  app.nodes?.forEach((n, i) => {
    if (seen.has(n.toLowerCase())) bad(at('nodes', i), `node ${n} is listed twice`);
    seen.add(n.toLowerCase());
  });
}

function checkSecrets(app: AppSpec, at: (...rest: PathSegment[]) => PathSegment[], bad: Report): void {
  const seen = new Set<string>();
  app.secrets?.forEach((name, i) => {
    if (seen.has(name)) bad(at('secrets', i), `secret ${name} is listed twice`);
    else if (Object.hasOwn(app.env, name)) bad(at('secrets', i), `${name} is also set in env; a variable comes from one of them`);
    seen.add(name);
  });
}

function checkReplicaRange(app: AppSpec, at: (...rest: PathSegment[]) => PathSegment[], bad: Report): void {
  const r = app.replicaRange;
  if (r && r.min > r.max) bad(at('replicas', 'min'), `must not exceed replicas.max (${r.max})`);
  if (app.autoscale && !r) bad(at('autoscale'), 'needs a range of replicas: {min, max}');
  const a = app.autoscale;
  if (a && (a.windowMs < 1000 || a.windowMs > 3_600_000)) bad(at('autoscale', 'window'), 'must be from 1s to 1h');
  if (a && (a.scaleDownDelayMs < 1000 || a.scaleDownDelayMs > 86_400_000)) bad(at('autoscale', 'scaleDownDelay'), 'must be from 1s to 24h');
}

function checkClaims(apps: readonly AppSpec[], written: Map<string, Written>, bad: Report): void {
  const owners = { hosts: new Map<string, string>(), paths: new Map<string, string>() };
  for (const app of apps) {
    for (const field of ['hosts', 'paths'] as const) {
      const what = field === 'hosts' ? 'host' : 'path';
      app[field].forEach((value, i) => {
        const owner = owners[field].get(value);
        const path: PathSegment[] = field === 'hosts' && !written.get(app.name)?.hosts ? ['apps', app.name] : ['apps', app.name, field, i];
        if (owner === app.name) bad(path, `${what} ${value} is listed twice`);
        else if (owner !== undefined) bad(path, `${what} ${value} is already claimed by app ${owner}`);
        else owners[field].set(value, app.name);
      });
    }
  }
}

function overlap(a: AppSpec, b: AppSpec): boolean {
  if (!a.nodes || !b.nodes) return true;
  const names = new Set(a.nodes.map((n) => n.toLowerCase()));
  return b.nodes.some((n) => names.has(n.toLowerCase()));
}

function checkHostPorts(apps: readonly AppSpec[], bad: Report): void {
  apps.forEach((b, j) => {
    const a = apps.slice(0, j).find((x) => x.hostPort !== undefined && x.hostPort === b.hostPort && overlap(x, b));
    if (a) bad(['apps', b.name, 'hostPort'], `host port ${b.hostPort} is also used by app ${a.name} on the same nodes; give them disjoint nodes: lists`);
  });
}

/** Rules across fields and apps that the schema cannot say; apps in file order (the later one is wrong). */
export function checkApps(
  apps: readonly AppSpec[], written: Map<string, Written>, source: PlanSource, opts: { hostPorts: boolean },
): PlanError[] {
  const errors: PlanError[] = [];
  const bad: Report = (path, message) => errors.push(planError(source, path, message));
  for (const app of apps) checkApp(app, written.get(app.name) ?? { hosts: true, hashBy: false, maxPerNode: false }, bad);
  checkClaims(apps, written, bad);
  checkStateful(apps, (name) => ({ hosts: written.get(name)?.hosts ?? true, backup: written.get(name)?.backup ?? false }), bad);
  if (opts.hostPorts) checkHostPorts(apps, bad);
  return errors;
}
