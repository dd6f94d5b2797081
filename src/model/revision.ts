import { createHash } from 'node:crypto';
import type { AppSpec } from './plan.js';

/**
 * Content hash of what makes an app's containers interchangeable: image reference and digest,
 * ports, environment and health settings (12 hex). Routing (hosts, paths, director) is left
 * out: changing it re-renders the VCL but restarts no container. An unknown digest hashes as ''.
 */
export function appRevision(app: AppSpec, digest: string | undefined): string {
  const env = Object.keys(app.env).sort().map((k) => [k, app.env[k]]);
  const { path, interval, timeout, threshold, window } = app.health;
  const canonical = JSON.stringify([
    app.image, digest ?? '', app.port, app.hostPort ?? null, env, [path, interval, timeout, threshold ?? null, window ?? null],
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}
