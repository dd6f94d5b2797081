import type { AppSpec, PathSegment } from './types.js';

type Report = (path: PathSegment[], message: string) => void;

/**
 * A job (schedule) runs its command to completion at each time: it needs a command, and what
 * keeps replicas running or routed does not apply. concurrency only means something on a job.
 */
export function checkJob(app: AppSpec, written: { port?: boolean; replicas?: boolean; volumes?: boolean }, bad: Report): void {
  const at = (...rest: PathSegment[]): PathSegment[] => ['apps', app.name, ...rest];
  if (app.schedule === undefined) {
    if (app.concurrency !== undefined) bad(at('concurrency'), 'only for jobs (apps with a schedule)');
    return;
  }
  if (!app.command && !app.entrypoint) bad(at('schedule'), 'a job needs a command (argv run at each time)');
  if (written.port && !app.worker) bad(at('port'), 'a job publishes no port (leave port out, or port: none)');
  if (written.replicas) bad(at('replicas'), 'a job keeps no replicas running: one container runs at each scheduled time');
  if (written.volumes) bad(at('volumes'), 'a job has no volumes (it runs on whichever node placement picks)');
}
