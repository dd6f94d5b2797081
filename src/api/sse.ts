import type { Response } from 'express';
import type { Job, JobEvent } from './jobs.js';

const HEARTBEAT_MS = 15_000;

function frame(e: JobEvent, id: number): string {
  const data = e.type === 'progress' ? e.line : JSON.stringify(e.type === 'done' ? e.report : { message: e.message, status: e.status });
  // A line break inside the data would end the field: each line becomes its own data field.
  return `id: ${id}\nevent: ${e.type}\n${data.split(/\r?\n/).map((l) => `data: ${l}`).join('\n')}\n\n`;
}

/**
 * Streams a job as server-sent events: what happened so far first (from Last-Event-ID on, when
 * the client reconnects), then live events until `done` or `error`, then the stream ends.
 */
export function streamJob(job: Job, res: Response, lastEventId?: string): void {
  res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  const from = lastEventId && /^[0-9]{1,9}$/.test(lastEventId) ? Number(lastEventId) + 1 : 0;
  let next = from;
  const send = (e: JobEvent, id: number): boolean => {
    res.write(frame(e, id));
    return e.type !== 'progress';
  };
  for (; next < job.events.length; next++) {
    if (send(job.events[next]!, next)) return void res.end();
  }
  if (job.state !== 'running') return void res.end();
  // Jobs push an event, then emit it: it is the last one kept.
  const onEvent = (e: JobEvent) => {
    if (send(e, job.events.length - 1)) finish();
  };
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearInterval(heartbeat);
    job.emitter.off('event', onEvent);
    res.end();
  };
  job.emitter.on('event', onEvent);
  res.on('close', finish);
}
