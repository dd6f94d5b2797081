import { DEFAULT_TIMEOUTS, durationMs } from './fields.js';
import { normaliseImage } from './image.js';
import type { RawApp } from './schema.js';
import type { AppSpec, TimeoutsSpec } from './types.js';

/** An app as the schema passed it, with the defaults that depend on its name and the domain. */
export function normaliseApp(name: string, raw: RawApp, domain: string): AppSpec {
  const app: AppSpec = {
    name,
    image: normaliseImage(raw.image),
    port: raw.port,
    replicas: typeof raw.replicas === 'number' ? raw.replicas : raw.replicas.min,
    hosts: (raw.hosts ?? [`${name}.${domain}`]).map((h) => h.toLowerCase()),
    paths: raw.paths,
    health: {
      ...raw.health,
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
