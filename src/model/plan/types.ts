export type Director = 'round_robin' | 'fallback' | 'random' | 'hash';
export type HashBy = 'client' | 'url';

export interface HealthSpec {
  path: string;
  /** as written, e.g. `2s`; Varnish takes it as it is */
  interval: string;
  timeout: string;
  intervalMs: number;
  timeoutMs: number;
  threshold?: number;
  window?: number;
  /** workers: healthy once running this long without a restart (as written, and in ms); set on workers only */
  startPeriod?: string;
  startPeriodMs?: number;
  /** workers: healthy when this argv exits 0 inside the container */
  command?: string[];
}

/** Container limits, which placement also reserves on the node. */
export interface ResourcesSpec {
  /** bytes */
  memory?: number;
  /** CPUs, fractions allowed */
  cpus?: number;
}

/** How long Varnish waits for one replica, as written and in milliseconds. */
export interface TimeoutsSpec {
  connect: string;
  firstByte: string;
  betweenBytes: string;
  connectMs: number;
  firstByteMs: number;
  betweenBytesMs: number;
}

/** Follow the request rate Varnish sees (replicas is then a range). */
export interface AutoscaleSpec {
  requestsPerSecond: number;
  window: string;
  scaleDownDelay: string;
  windowMs: number;
  scaleDownDelayMs: number;
}

export type TlsSpec = 'acme' | { cert: string; key: string };

/** One app of a plan, every default filled in. */
export interface AppSpec {
  name: string;
  /** normalised reference as in the plan (tag `latest` added when none); resolve with resolveImage */
  image: string;
  port: number;
  /** the count to run; with a range, min until autoscale or `scale` sets another (deploy.ts) */
  replicas: number;
  /** set when the plan gives replicas as {min, max} */
  replicaRange?: { min: number; max: number };
  autoscale?: AutoscaleSpec;
  hosts: string[];
  paths: string[];
  health: HealthSpec;
  director: Director;
  /** set when director is `hash` (default `client`) */
  hashBy?: HashBy;
  env: Record<string, string>;
  /** placement constraint: only these nodes */
  nodes?: string[];
  maxPerNode: number;
  /** fixed host port: at most one container per node */
  hostPort?: number;
  /** set by the parsers; absent means the defaults */
  timeouts?: TimeoutsSpec;
  /** Varnish connections to one replica at most; absent: no limit */
  maxConnections?: number;
  /** HTTPS at the router: off (default), acme, or certificate and key files (as written) */
  tls?: TlsSpec;
  /** with tls: plain HTTP is redirected (default) or allowed */
  https?: 'redirect' | 'allow';
  /** names in the secret store, passed as env vars of the same name at create time; absent: none */
  secrets?: string[];
  /** a TCP service: published port, TCP connect health, never routed by Varnish; absent: http */
  expose?: 'tcp';
  /** named volumes, NAME -> path in the container; absent: none (stateless) */
  volumes?: Record<string, string>;
  /** archives kept per app (plan's backup.keep); set for apps with volumes */
  backupKeep?: number;
  /** argv replacing the image's CMD / ENTRYPOINT; absent: the image's */
  command?: string[];
  entrypoint?: string[];
  /** limits and reservations; absent: none */
  resources?: ResourcesSpec;
  /** no port: never routed, no hosts or paths, health by staying up (port is then 0) */
  worker?: true;
  /** a job: five-field cron (UTC); one container runs to completion at each time, none is kept running */
  schedule?: string;
  /** a job's run still going when the next time comes: forbid (skip the next, default) or allow */
  concurrency?: 'forbid' | 'allow';
}

export interface Plan {
  file: string;
  format: 'yaml' | 'legacy';
  domain: string;
  /** sorted by name */
  apps: AppSpec[];
}

export interface PlanError {
  file: string;
  line: number;
  col: number;
  /** field path, e.g. `apps.web.hosts[0]`; empty for the whole file */
  path: string;
  message: string;
}

export type PathSegment = string | number;

/** Where things are in the plan's text, for error messages after parsing. */
export interface PlanSource {
  file: string;
  locate(path: readonly PathSegment[]): { line: number; col: number };
}

export interface ParsedPlan {
  /** null when there are errors */
  plan: Plan | null;
  errors: PlanError[];
  source: PlanSource;
}

export function pathString(path: readonly PathSegment[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s;
}

export function planError(source: PlanSource, path: readonly PathSegment[], message: string): PlanError {
  const { line, col } = source.locate(path);
  return { file: source.file, line, col, path: pathString(path), message };
}

export function formatPlanError(e: PlanError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}

export function sortErrors(errors: PlanError[]): PlanError[] {
  return errors.sort((a, b) => a.line - b.line || a.col - b.col || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
