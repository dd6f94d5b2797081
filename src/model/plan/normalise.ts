import { DEFAULT_BACKUP_KEEP, DEFAULT_START_PERIOD, DEFAULT_TIMEOUTS, durationMs } from './fields.js';
import { parseMemory } from '../sizes.js';
import { normaliseImage } from './image.js';
import type { RawApp } from './schema.js';
import type { AppSpec, TimeoutsSpec } from './types.js';

/**
 * A worker: `port: none`, or no port key at all with a command or entrypoint (an app without
 * either still gets the default port 8080, as every plan before workers did).
 */
export function isWorker(raw: RawApp, portWritten: boolean): boolean {
  // A job (schedule) publishes nothing either.
  return raw.port === 'none' || (!portWritten && (raw.command !== undefined || raw.entrypoint !== undefined || raw.schedule !== undefined));
}

/** An app as the schema passed it, with the defaults that depend on its name and the domain. */
export function normaliseApp(name: string, raw: RawApp, domain: string, portWritten = true): AppSpec {
  const worker = isWorker(raw, portWritten);
  const { startPeriod, command: healthCommand, ...health } = raw.health;
  const app: AppSpec = {
    name,
    image: normaliseImage(raw.image),
    port: worker || raw.port === 'none' ? 0 : raw.port,
    replicas: typeof raw.replicas === 'number' ? raw.replicas : raw.replicas.min,
    hosts: (raw.hosts ?? (raw.expose === 'tcp' || worker ? [] : [`${name}.${domain}`])).map((h) => h.toLowerCase()),
    paths: raw.paths,
    health: {
      ...health,
      intervalMs: durationMs(raw.health.interval),
      timeoutMs: durationMs(raw.health.timeout),
    },
    director: raw.director,
    env: raw.env,
    maxPerNode: raw.maxPerNode,
    timeouts: timeoutsSpec(raw.timeouts),
  };
  if (raw.director === 'hash') app.hashBy = raw.hashBy ?? 'client';
  if (raw.nodes !== undefined) app.nodes = raw.nodes;
  if (raw.hostPort !== undefined) app.hostPort = raw.hostPort;
  if (raw.maxConnections !== undefined) app.maxConnections = raw.maxConnections;
  if (raw.tls !== 'off') {
    app.tls = raw.tls;
    app.https = raw.https;
  }
  if (raw.secrets.length > 0) app.secrets = raw.secrets;
  if (raw.command !== undefined) app.command = raw.command;
  if (raw.entrypoint !== undefined) app.entrypoint = raw.entrypoint;
  if (raw.resources !== undefined && (raw.resources.memory !== undefined || raw.resources.cpus !== undefined)) {
    app.resources = {};
    if (raw.resources.memory !== undefined) app.resources.memory = parseMemory(raw.resources.memory) ?? undefined;
    if (raw.resources.cpus !== undefined) app.resources.cpus = raw.resources.cpus;
  }
  if (worker) {
    app.worker = true;
    app.health.startPeriod = startPeriod ?? DEFAULT_START_PERIOD;
    app.health.startPeriodMs = durationMs(app.health.startPeriod);
    if (healthCommand !== undefined) app.health.command = healthCommand;
  } else {
    // kept for checkApps to refuse them on an app with a port
    if (startPeriod !== undefined) app.health.startPeriod = startPeriod;
    if (healthCommand !== undefined) app.health.command = healthCommand;
  }
  if (raw.expose === 'tcp') app.expose = 'tcp';
  if (Object.keys(raw.volumes).length > 0) {
    app.volumes = raw.volumes;
    app.backupKeep = raw.backup?.keep ?? DEFAULT_BACKUP_KEEP;
  }
  if (raw.schedule !== undefined) {
    app.schedule = raw.schedule.trim();
    app.concurrency = raw.concurrency ?? 'forbid';
  } else if (raw.concurrency !== undefined) app.concurrency = raw.concurrency;
  if (typeof raw.replicas !== 'number') app.replicaRange = { min: raw.replicas.min, max: raw.replicas.max };
  if (raw.autoscale !== undefined) {
    const a = raw.autoscale;
    app.autoscale = { ...a, windowMs: durationMs(a.window), scaleDownDelayMs: durationMs(a.scaleDownDelay) };
  }
  return app;
}

export function timeoutsSpec(t: Pick<TimeoutsSpec, 'connect' | 'firstByte' | 'betweenBytes'> = DEFAULT_TIMEOUTS): TimeoutsSpec {
  return { ...t, connectMs: durationMs(t.connect), firstByteMs: durationMs(t.firstByte), betweenBytesMs: durationMs(t.betweenBytes) };
}

export function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
