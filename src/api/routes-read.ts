import { Router } from 'express';
import { z } from 'zod';
import { principalOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { parseOr400 } from './validate.js';
import { visibleApps, visibleHistory, visibleImages, visibleRoutes } from './visible.js';

const historyQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), app: z.string().max(164).optional() });

/** `?app=APP` (in any plan) or `?app=PLAN/APP`: does the record touch it? */
const touches = (want: string) => {
  const slash = want.lastIndexOf('/');
  const plan = slash < 0 ? undefined : want.slice(0, slash);
  const app = want.slice(slash + 1);
  return (d: { plan: string; apps: readonly { app: string }[] }) => (plan === undefined || d.plan === plan) && d.apps.some((a) => a.app === app);
};

/** The read-only JSON routes: what runs, where, and what happened. */
export function readRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/info', (_req, res) => void res.json(deps.info));
  r.get('/me', (_req, res) => {
    const { name, role, apps } = principalOf(res);
    res.json({ name, role, apps: role === 'admin' ? null : apps });
  });
  r.get('/nodes', async (_req, res) => void res.json({ nodes: await deps.nodes() }));
  r.get('/images', async (_req, res) => void res.json({ images: visibleImages(principalOf(res), await deps.images()) }));
  r.get('/apps', async (_req, res) => void res.json(visibleApps(principalOf(res), await deps.apps())));
  r.get('/routes', async (_req, res) => void res.json({ routes: visibleRoutes(principalOf(res), await deps.routes()) }));
  r.get('/deploys', async (req, res) => {
    const q = parseOr400(historyQuery, req.query, res);
    if (!q) return;
    const all = visibleHistory(principalOf(res), await deps.history()).filter((d) => !q.app || touches(q.app)(d));
    // Newest first; the stored app specs are for rollback, not for display.
    const deploys = all.slice(-q.limit).reverse().map((d) => ({ ...d, apps: d.apps.map(({ spec: _spec, ...a }) => a) }));
    res.json({ deploys });
  });
  return r;
}
