import { Router } from 'express';
import { z } from 'zod';
import type { CloudEvent } from '../model/events.js';
import { filterEvents, matchesEvent } from '../model/event-view.js';
import type { ApiDeps } from './deps.js';
import { parseOr400 } from './validate.js';

const HEARTBEAT_MS = 15_000;

const eventsQuery = z.object({
  limit: z.string().regex(/^[0-9]{1,5}$/).optional(),
  type: z.string().regex(/^[a-z_]+\.([a-z_]+|\*)$/).optional(),
  plan: z.string().max(63).optional(),
  app: z.string().max(63).optional(),
});

const frame = (e: CloudEvent) => `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

/**
 * GET /api/events: the event log, oldest first (the newest `limit`, default 100), as JSON; with
 * `Accept: text/event-stream`, server-sent events instead: those, then each new one as it is
 * logged (one `event: <type>` frame each, the event as data, its id as the SSE id; a reconnect
 * with Last-Event-ID gets what came after that one) until the client goes.
 */
export function eventRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/events', (req, res) => {
    const source = deps.events;
    if (!source) return void res.status(404).json({ error: 'events are not available here' });
    const q = parseOr400(eventsQuery, req.query, res);
    if (!q) return;
    const filter = { type: q.type, plan: q.plan, app: q.app };
    const all = source.read();
    if (!req.accepts(['json', 'text/event-stream']) || req.accepts(['json', 'text/event-stream']) === 'json') {
      return void res.json({ events: filterEvents(all, { ...filter, limit: Number(q.limit ?? 100) }) });
    }
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    const seen = new Set<string>();
    const send = (e: CloudEvent) => {
      if (seen.has(e.id) || !matchesEvent(e, filter)) return;
      seen.add(e.id);
      res.write(frame(e));
    };
    const stop = source.follow(send);
    const lastId = req.get('last-event-id');
    const after = lastId ? all.findIndex((e) => e.id === lastId) : -1;
    const past = after >= 0 ? all.slice(after + 1).filter((e) => matchesEvent(e, filter)) : filterEvents(all, { ...filter, limit: Number(q.limit ?? 100) });
    for (const e of past) send(e);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    res.on('close', () => {
      clearInterval(heartbeat);
      stop();
    });
  });
  return r;
}
