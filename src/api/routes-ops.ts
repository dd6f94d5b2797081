import { Router, type Response } from 'express';
import { z } from 'zod';
import { can, seesAll, type Principal } from '../model/users/permissions.js';
import { principalOf } from './auth.js';
import type { ApiDeps, OpsDeps } from './deps.js';
import { errorBody, sendError } from './errors.js';
import type { Jobs } from './jobs.js';
import { parseOr400 } from './validate.js';

const nodeParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected a node name');
const jobParam = z.string().regex(/^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'expected APP or PLAN/APP');
const drainBody = z.object({ moveStateful: z.boolean().optional() }).strict();

const describe = (err: unknown) => {
  const { status } = errorBody(err);
  return { status, message: status === 500 ? 'internal error' : (err as Error).message };
};

/** The job a request names, if the user may `action` it (a 403 or 4xx answered otherwise). */
function jobFor(ops: OpsDeps, who: Principal, ref: string, action: 'read' | 'deploy', res: Response) {
  try {
    const job = ops.job(ref);
    if (!can(who, action, job.app, job.plan)) {
      res.status(403).json({ error: `forbidden: user ${who.name} (${who.role}) may not ${action === 'read' ? 'read' : 'run'} job ${job.plan}/${job.app}` });
      return null;
    }
    return job;
  } catch (err) {
    sendError(res, err);
    return null;
  }
}

/**
 * Node maintenance (admins: a drain moves every app on the node) and scheduled jobs (read: the
 * apps a user may read; run: deployers of the app). A drain and a run are jobs like deploys:
 * 202 with the events URL (/api/deploys/:id/events), the last event the report or the run.
 */
export function opsRoutes(deps: ApiDeps, jobs: Jobs): Router {
  const r = Router();
  const ops = deps.ops;
  if (!ops) return r;
  const conflict = () => {
    const running = jobs.running().find((j) => j.kind !== 'job');
    if (running) return `deploy ${running.id} (${running.kind}) is still running`;
    const h = deps.lockHolder();
    return h ? `another deploy holds the lock: pid ${h.pid} on ${h.host} (${h.command}), started ${h.startedAt}` : null;
  };

  r.post('/nodes/:node/drain', (req, res) => {
    const node = parseOr400(nodeParam, req.params.node, res);
    const body = node === null ? null : parseOr400(drainBody, req.body ?? {}, res);
    if (node === null || !body) return;
    const busy = conflict();
    if (busy) return void res.status(409).json({ error: busy });
    const who = principalOf(res);
    const job = jobs.start('drain', (log) => ops.drain(node, { moveStateful: body.moveStateful === true, log, user: who }), () => undefined, describe, who.name);
    res.status(202).location(`/api/deploys/${job.id}`).json({ id: job.id, events: `/api/deploys/${job.id}/events` });
  });

  r.post('/nodes/:node/undrain', async (req, res) => {
    const node = parseOr400(nodeParam, req.params.node, res);
    if (node === null) return;
    try {
      res.json(await ops.undrain(node));
    } catch (err) {
      sendError(res, err);
    }
  });

  r.get('/jobs', (_req, res) => {
    const who = principalOf(res);
    res.json({ jobs: ops.jobs().filter((j) => seesAll(who) || can(who, 'read', j.app, j.plan)) });
  });

  r.get('/jobs/:app', (req, res) => {
    const ref = parseOr400(jobParam, req.params.app, res);
    if (ref === null) return;
    const job = jobFor(ops, principalOf(res), ref, 'read', res);
    if (job) res.json(job);
  });

  r.post('/jobs/:app/run', (req, res) => {
    const ref = parseOr400(jobParam, req.params.app, res);
    if (ref === null) return;
    const who = principalOf(res);
    const job = jobFor(ops, who, ref, 'deploy', res);
    if (!job) return;
    const started = jobs.start('job', (log) => ops.runJob(`${job.plan}/${job.app}`, log, who), () => undefined, describe, who.name);
    res.status(202).location(`/api/deploys/${started.id}`).json({ id: started.id, events: `/api/deploys/${started.id}/events`, job: `${job.plan}/${job.app}` });
  });
  return r;
}
