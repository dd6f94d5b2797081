import type { ContainerCreateOptions } from 'dockerode';
import { containerSpec, LABELS } from './container-spec.js';
import type { AppSpec } from './plan.js';

/** Labels of a job's containers: not cloudmatrix.app/plan, so that no deploy, watch or ps counts them as replicas. */
export const JOB_LABELS = { job: 'cloudmatrix.job', run: 'cloudmatrix.job.run' } as const;

/** `<plan>-<app>-run-<time>`: sorts by time, a valid container name. */
export function jobContainerName(plan: string, app: string, runId: string): string {
  return `${plan}-${app}-run-${runId}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** A run id from its start: `20260102T030405Z-ab12` (sortable). */
export function jobRunId(at: Date, suffix: string): string {
  return `${at.toISOString().replace(/[-:]/g, '').replace(/\.[0-9]+Z$/, 'Z')}-${suffix}`;
}

/**
 * The create options of one run: the app's image (by digest), command, entrypoint, env and limits,
 * labelled as a job's run, never restarted (it runs to completion once).
 */
export function jobContainerSpec(i: { plan: string; app: AppSpec; runId: string; image: string; hostIp: string; env: Record<string, string> }): ContainerCreateOptions {
  const { app } = i;
  const spec = containerSpec({
    name: jobContainerName(i.plan, app.name, i.runId), app: app.name, plan: i.plan, revision: i.runId, image: i.image,
    containerPort: null, hostIp: i.hostIp, env: i.env,
    ...(app.command ? { cmd: app.command } : {}), ...(app.entrypoint ? { entrypoint: app.entrypoint } : {}), ...(app.resources ? { resources: app.resources } : {}),
  });
  const labels = { ...spec.Labels };
  for (const k of [LABELS.app, LABELS.plan, LABELS.revision, LABELS.port]) delete labels[k];
  return { ...spec, Labels: { ...labels, [JOB_LABELS.job]: `${i.plan}/${app.name}`, [JOB_LABELS.run]: i.runId }, HostConfig: { ...spec.HostConfig, RestartPolicy: { Name: 'no' } } };
}

/** Finished runs' containers to remove so that the newest `keep` stay (names sort by time). */
export function runsToRemove(containers: readonly { name: string; running: boolean }[], keep: number): string[] {
  const done = containers.filter((c) => !c.running).map((c) => c.name).sort();
  return done.slice(0, Math.max(0, done.length - keep));
}
