import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Router } from 'express';
import { z } from 'zod';
import { planSummary } from '../plans/summary.js';
import { reservedPlanName } from '../model/names.js';
import { isLegacyPlan, parsePlan, type Plan } from '../model/plan.js';
import { appsTouched, can, firstForbidden, seesAll, type Principal } from '../model/users/permissions.js';
import { principalOf } from './auth.js';
import type { ApiDeps, Log } from './deps.js';
import type { DeployReport } from '../deploy/deploy.js';
import { errorBody } from './errors.js';
import type { Job, Jobs } from './jobs.js';
import type { ApiMetrics } from './metrics.js';
import { streamJob } from './sse.js';
import { parseOr400 } from './validate.js';

const planNameField = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected 1-63 of a-z 0-9 _ -, starting with a letter or digit')
  .refine((name) => reservedPlanName(name) === null, { message: 'this plan name is reserved (cloudmatrix labels the containers that run-container starts with it)' });
const checkBody = z.object({ name: planNameField.optional(), plan: z.string().min(1, 'the plan text is empty') }).strict();
const deployBody = z.object({ name: planNameField, plan: z.string().min(1, 'the plan text is empty'), dryRun: z.boolean().optional() }).strict();
const rollbackBody = z.object({ to: z.string().regex(/^[0-9a-f]{1,64}$/, 'expected a revision (hex) or its prefix').optional() }).strict();
const appParam = z.string().regex(/^([a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}\/)?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'expected APP or PLAN/APP (the slash as %2F)');

/** Parses plan text under a file name that says its format: legacy `.plan` by look, else YAML/JSON. */
function checkText(name: string | undefined, text: string) {
  const label = name ?? 'plan';
  const file = `${label}.${isLegacyPlan(text, label) ? 'plan' : 'yaml'}`;
  return { file, parsed: parsePlan(text, file) };
}

/** Why this user may not deploy this plan under this name (the first app not theirs it adds, changes or removes), or null. */
export function planRefusal(deps: ApiDeps, who: Principal, name: string, plan: Plan): string | null {
  if (seesAll(who)) return null;
  const app = firstForbidden(who, appsTouched(deps.deployedPlan?.(name) ?? null, plan), name);
  return app === null ? null : `forbidden: user ${who.name} (${who.role}) may not deploy app "${app}", which plan "${name}" adds, changes or removes`;
}

/** Jobs are seen by who started them, and by admins. */
const sees = (who: Principal, job: Job): boolean => seesAll(who) || job.user === who.name;

/** Plan checks, deploys and rollbacks; the last two run in the background as jobs. */
export function deployRoutes(deps: ApiDeps, jobs: Jobs, metrics: ApiMetrics): Router {
  const r = Router();
  const busy = (real: boolean): string | null => {
    // A scheduled job's run started here takes no deploy slot; a drain does (it deploys).
    const running = jobs.running().find((j) => j.kind !== 'job');
    if (running) return `deploy ${running.id} (${running.kind}) is still running`;
    const h = real ? deps.lockHolder() : null;
    return h ? `another deploy holds the lock: pid ${h.pid} on ${h.host} (${h.command}), started ${h.startedAt}` : null;
  };
  const start = (kind: Job['kind'], work: (log: Log, id: string) => Promise<DeployReport>, user: string) =>
    jobs.start(kind, work, (job, outcome) => metrics.deployEnded(kind, outcome, (Date.now() - Date.parse(job.startedAt)) / 1000), (err) => {
      const { status, body } = errorBody(err);
      return { status, message: status === 500 ? 'internal error' : (err as Error).message };
    }, user);

  r.post('/plans/check', (req, res) => {
    const body = parseOr400(checkBody, req.body, res);
    if (!body) return;
    const { parsed } = checkText(body.name, body.plan);
    if (!parsed.plan) return void res.status(422).json({ ok: false, errors: parsed.errors });
    res.json({ ok: true, summary: { ...planSummary(parsed.plan), format: parsed.plan.format, names: parsed.plan.apps.map((a) => a.name) } });
  });

  r.post('/deploys', async (req, res) => {
    const body = parseOr400(deployBody, req.body, res);
    if (!body) return;
    const { file, parsed } = checkText(body.name, body.plan);
    if (!parsed.plan) return void res.status(422).json({ ok: false, errors: parsed.errors });
    const who = principalOf(res);
    const refused = planRefusal(deps, who, body.name, parsed.plan);
    if (refused) return void res.status(403).json({ error: refused });
    const conflict = busy(!body.dryRun);
    if (conflict) return void res.status(409).json({ error: conflict });
    // The job slot is taken here, synchronously after the check: a second request sees it busy.
    // Each job writes its plan in a folder of its own, so two uploads of one name never mix.
    const job = start('deploy', async (log, id) => {
      const dir = join(deps.uploadsDir, id);
      await mkdir(dir, { recursive: true });
      const planFile = join(dir, file);
      await writeFile(planFile, body.plan, { mode: 0o644 });
      return deps.deploy({ planFile, dryRun: body.dryRun === true, log, user: who });
    }, who.name);
    res.status(202).location(`/api/deploys/${job.id}`).json({ id: job.id, events: `/api/deploys/${job.id}/events` });
  });

  r.post('/apps/:app/rollback', (req, res) => {
    const app = parseOr400(appParam, req.params.app, res);
    const body = app === null ? null : parseOr400(rollbackBody, req.body ?? {}, res);
    if (app === null || !body) return;
    const conflict = busy(true);
    if (conflict) return void res.status(409).json({ error: conflict });
    const who = principalOf(res);
    const prepared = deps.prepareRollback(app, body.to, who);
    // `APP` alone passed the route's rule by name; the plan it resolved to decides.
    if (prepared.id && !can(who, 'deploy', prepared.id.app, prepared.id.plan)) {
      return void res.status(403).json({ error: `forbidden: user ${who.name} (${who.role}) may not deploy app "${prepared.id.plan}/${prepared.id.app}"` });
    }
    const job = start('rollback', (log) => prepared.run(log), who.name);
    res.status(202).location(`/api/deploys/${job.id}`).json({ id: job.id, events: `/api/deploys/${job.id}/events`, rollback: prepared.description });
  });

  r.get('/deploys/:id', (req, res) => {
    const job = jobs.get(req.params.id);
    if (!job || !sees(principalOf(res), job)) return void res.status(404).json({ error: 'no such deploy job' });
    res.json({ id: job.id, kind: job.kind, state: job.state, startedAt: job.startedAt, user: job.user, events: job.events });
  });

  r.get('/deploys/:id/events', (req, res) => {
    const job = jobs.get(req.params.id);
    if (!job || !sees(principalOf(res), job)) return void res.status(404).json({ error: 'no such deploy job' });
    streamJob(job, res, req.get('last-event-id'));
  });
  return r;
}
