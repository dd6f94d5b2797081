import { createHash } from 'node:crypto';
import type { AppSpec } from './plan.js';

/**
 * Content hash of what makes an app's containers interchangeable: image reference and digest,
 * ports, environment and health settings (12 hex). Routing (hosts, paths, director) is left
 * out: changing it re-renders the VCL but restarts no container. An unknown digest hashes as ''.
 * Secrets count by their fingerprints (secretFingerprint: name -> HMAC), never their values.
 */
export function appRevision(app: AppSpec, digest: string | undefined, secrets: ReadonlyMap<string, string> = new Map()): string {
  const env = Object.keys(app.env).sort().map((k) => [k, app.env[k]]);
  const { path, interval, timeout, threshold, window } = app.health;
  const parts: unknown[] = [
    app.image, digest ?? '', app.port, app.hostPort ?? null, env, [path, interval, timeout, threshold ?? null, window ?? null],
  ];
  // Appended only when used, so that the revisions of apps without them stay what they were.
  if (app.secrets?.length) parts.push({ secrets: [...app.secrets].sort().map((n) => [n, secrets.get(n) ?? '']) });
  if (app.expose === 'tcp') parts.push({ expose: 'tcp' });
  if (app.volumes) parts.push({ volumes: Object.keys(app.volumes).sort().map((n) => [n, app.volumes![n]]) });
  if (app.command) parts.push({ command: app.command });
  if (app.entrypoint) parts.push({ entrypoint: app.entrypoint });
  if (app.resources) parts.push({ resources: [app.resources.memory ?? null, app.resources.cpus ?? null] });
  if (app.worker) parts.push({ worker: [app.health.startPeriod ?? null, app.health.command ?? null] });
  const canonical = JSON.stringify(parts);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}
