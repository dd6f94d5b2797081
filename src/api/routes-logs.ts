import { Router, type Response } from 'express';
import { z } from 'zod';
import { UnknownApp, parseTarget } from '../logs/replicas.js';
import type { AppLogs } from '../logs/app-logs.js';
import { parseSince, parseTail } from '../model/logs/flags.js';
import type { ApiDeps } from './deps.js';
import { sendError } from './errors.js';
import { parseOr400 } from './validate.js';
import { can, type Principal } from '../model/users/permissions.js';

const HEARTBEAT_MS = 15_000;
/** Without ?tail=, each replica's last lines: enough for a look, not a whole log. */
export const DEFAULT_API_TAIL = 100;

const logsQuery = z.object({
  follow: z.enum(['0', '1', 'true', 'false']).optional(),
  tail: z.string().max(16).optional(),
  since: z.string().max(64).optional(),
  node: z.string().min(1).max(63).optional(),
});

function send(res: Response, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * GET /api/apps/:app/logs — server-sent events, with or without follow: `line` events (JSON
 * {node, container, stream, time, text}, secret values redacted) in time order, `note` events
 * ({message}: a node lost or back, a replica that started), and without follow a last `end`
 * event ({errors}), after which the stream ends. Following, it ends when the client goes.
 */
export function logRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/apps/:app/logs', async (req, res) => {
    if (!deps.logs) return void res.status(404).json({ error: 'logs are not available here' });
    const q = parseOr400(logsQuery, req.query, res);
    if (!q) return;
    const tail = parseTail(q.tail ?? String(DEFAULT_API_TAIL));
    if (!tail.ok) return void res.status(400).json({ error: `tail: ${tail.error}` });
    const since = q.since === undefined ? undefined : parseSince(q.since, Date.now());
    if (since && !since.ok) return void res.status(400).json({ error: `since: ${since.error}` });
    const follow = q.follow === '1' || q.follow === 'true';
    let session: AppLogs;
    try {
      session = await deps.logs({ target: parseTarget(String(req.params.app)), node: q.node, follow, tail: tail.value, since: since?.value });
    } catch (err) {
      if (err instanceof UnknownApp) return void res.status(404).json({ error: err.message });
      return sendError(res, err);
    }
    // `APP` alone passed the route's rule by name; the plan it resolved to decides.
    const who = res.locals.principal as Principal | undefined;
    const { plan, app } = session.replicas.target;
    if (who && !can(who, 'read', app, plan)) {
      session.close();
      return void res.status(403).json({ error: `forbidden: user ${who.name} (${who.role}) may not read app "${plan ? `${plan}/` : ''}${app}"` });
    }
    const stop = new AbortController();
    res.on('close', () => stop.abort());
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    const heartbeat = follow ? setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS) : null;
    try {
      const { errors } = await session.run({ line: (l) => send(res, 'line', l), note: (message) => send(res, 'note', { message }) }, stop.signal);
      if (!stop.signal.aborted) send(res, 'end', { errors });
    } catch (err) {
      deps.log?.(`logs ${req.params.app}: ${(err as Error).stack ?? String(err)}`);
      if (!stop.signal.aborted) send(res, 'error', { message: (err as Error).message });
    } finally {
      if (heartbeat) clearInterval(heartbeat);
      session.close();
      res.end();
    }
  });
  return r;
}
