import type { DeployRecord } from '../adapters/store/history.js';
import type { LockHolder } from '../adapters/store/lock.js';
import type { DeployReport } from '../deploy/deploy.js';
import type { AppLogs, LogRequest } from '../logs/app-logs.js';
import type { AppStatus, RouteRow } from '../deploy/observe.js';
import type { RegistryRepo } from '../images/list.js';
import type { CertRow } from '../tls/list.js';
import type { UserStore } from '../adapters/store/users.js';
import type { Plan } from '../model/plan.js';
import type { Principal } from '../model/users/permissions.js';
import type { DrainReport } from '../nodes/drain.js';
import type { JobRun } from '../adapters/store/jobs.js';
import type { JobView } from '../jobs/list.js';
import type { CloudEvent } from '../model/events.js';
import type { SeriesView } from './series-sampler.js';

/** A node as the API shows it: its lease (or static entry) and whether its dockerd answers. */
export interface NodeView {
  name: string;
  ip: string;
  mac: string | null;
  source: 'lease' | 'static';
  expiresAt: string | null;
  expired: boolean;
  /** null: not asked (expired lease) */
  reachable: boolean | null;
  error?: string;
  /** memory (bytes) and CPUs of a reachable node (docker info), and what cloudmatrix containers there reserve */
  capacity?: { memory: number; cpus: number } | null;
  reserved?: { memory: number; cpus: number };
  /** drained (node drain): nothing new is placed there (always set by nodeViews) */
  cordoned?: boolean;
}

/** Node maintenance and scheduled jobs (routes-ops): the same services as `node drain`, `jobs`, `jobs run`. */
export interface OpsDeps {
  drain(node: string, opts: { moveStateful: boolean; log: Log; user?: Principal }): Promise<DrainReport>;
  undrain(node: string): Promise<{ node: string; lifted: boolean }>;
  jobs(): JobView[];
  /** `APP` or `PLAN/APP`; a UserError when it names no deployed job */
  job(ref: string): JobView;
  runJob(ref: string, log: Log, user?: Principal): Promise<JobRun>;
}

export type Log = (line: string) => void;

/** What the autoscaler keeps under the state dir: its last measured rates and its decisions so far. */
export interface AutoscaleView {
  rates: { sampledAt: string; apps: Record<string, { requestsPerSecond: number; windowMs: number }> } | null;
  decisions: Record<string, { up: number; down: number }>;
}

/** A rollback checked and ready: `run` starts it. */
export interface PreparedRollback {
  description: string;
  /** the app `APP` or `PLAN/APP` resolved to (checked against the user's apps before the job starts) */
  id?: { plan: string; app: string };
  run(log: Log): Promise<DeployReport>;
}

/** Everything the API reads or does; serve wires the real ones, tests pass fakes. */
export interface ApiDeps {
  /** the built-in admin's token (api.tokenFile); null: retired, users only */
  token: string | null;
  /** users and their hashed tokens; absent: the built-in admin only */
  users?: UserStore;
  /** where uploaded plans are written (`<stateDir>/uploads`) */
  uploadsDir: string;
  info: { varnish: string; registry: string; version: string };
  nodes(): Promise<NodeView[]>;
  images(): Promise<RegistryRepo[]>;
  apps(): Promise<{ apps: AppStatus[]; unreachable: { node: string; message: string }[] }>;
  routes(): Promise<RouteRow[]>;
  history(): Promise<DeployRecord[]>;
  /** absent: no autoscale metrics */
  autoscale?(): Promise<AutoscaleView>;
  /** the event log (oldest first) and a follower of what is appended to it (returns its stop); absent: no events route */
  events?: { read(): CloudEvent[]; follow(onEvent: (e: CloudEvent) => void): () => void };
  /** the dashboard's traffic charts, cut to the apps `visible` says; absent: no sampler runs (only serve has one) */
  series?(visible: (plan: string, app: string) => boolean): Promise<SeriesView>;
  /** absent: no certificate metrics (no tls in the config) */
  certs?(): Promise<CertRow[]>;
  /** an app's logs, checked (UnknownApp, unknown node) before anything streams; absent: no logs route */
  logs?(req: LogRequest): Promise<AppLogs>;
  /** the holder of the deploy lock when a live process holds it */
  lockHolder(): LockHolder | null;
  /** `user`: who asked; the deploy refuses (Forbidden), under the lock, a plan that touches an app not theirs */
  deploy(opts: { planFile: string; dryRun: boolean; log: Log; user?: Principal }): Promise<DeployReport>;
  /** the plan deployed under this name, to tell which apps an upload adds, changes or removes */
  deployedPlan?(name: string): Plan | null;
  /** throws a UserError when there is nothing to roll back to */
  prepareRollback(app: string, to: string | undefined, user?: Principal): PreparedRollback;
  /** absent: no node maintenance or job routes */
  ops?: OpsDeps;
  /** server-side log (errors with stacks go here, never to clients) */
  log?: Log;
}
