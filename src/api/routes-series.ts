import { Router } from 'express';
import { principalOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { can } from '../model/users/permissions.js';

/** The dashboard's charts: per app, requests and 5xx per second and healthy replicas over the last hour, and the deploys. */
export function seriesRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/series', async (_req, res) => {
    if (!deps.series) return void res.status(404).json({ error: 'no series: this server does not sample traffic (cloudmatrix serve does)' });
    const who = principalOf(res);
    res.json(await deps.series((plan, app) => can(who, 'read', app, plan)));
  });
  return r;
}
