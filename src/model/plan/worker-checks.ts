import type { AppSpec, PathSegment } from './types.js';

type Report = (path: PathSegment[], message: string) => void;

/** health keys that only an HTTP check uses */
const HTTP_HEALTH = ['path', 'threshold', 'window'] as const;

/**
 * Workers (apps without a port) are never routed: routing and HTTP health settings are errors on
 * them, and the worker health settings are errors on apps with a port. `healthWritten`: the keys
 * of the app's health map as the file wrote them.
 */
export function checkWorker(app: AppSpec, written: { hosts: boolean; health?: readonly string[] }, bad: Report): void {
  const at = (...rest: PathSegment[]): PathSegment[] => ['apps', app.name, ...rest];
  if (!app.worker) {
    if (app.health.startPeriod !== undefined) bad(at('health', 'startPeriod'), 'only for workers (apps without a port); an app with a port is healthy when its health.path answers');
    if (app.health.command !== undefined) bad(at('health', 'command'), 'only for workers (apps without a port); an app with a port is healthy when its health.path answers');
    return;
  }
  const never = 'a worker (an app without a port) is never routed';
  if (written.hosts) bad(at('hosts'), `${never}: it has no hosts (give it a port to route it)`);
  if (app.paths.length) bad(at('paths'), `${never}: it has no paths (give it a port to route it)`);
  if (app.hostPort !== undefined) bad(at('hostPort'), 'a worker (an app without a port) publishes no port');
  if (app.maxConnections !== undefined) bad(at('maxConnections'), `${never}: maxConnections does not apply`);
  if (app.tls !== undefined) bad(at('tls'), `${never}: tls does not apply`);
  if (app.autoscale) bad(at('autoscale'), 'a worker has no request rate to follow; give replicas a count (or set it with cloudmatrix scale)');
  for (const key of HTTP_HEALTH) {
    if (written.health?.includes(key)) bad(at('health', key), 'a worker has no HTTP health check: it is healthy after health.startPeriod without a restart, or when health.command exits 0');
  }
}
