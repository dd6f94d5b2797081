import { packagePath } from '../paths.js';
import express, { type Express } from 'express';
import { Authenticator } from '../users/authenticate.js';
import { authenticate, authorize } from './auth.js';
import type { ApiDeps } from './deps.js';
import { errorHandler } from './errors.js';
import { Jobs } from './jobs.js';
import { createMetrics } from './metrics.js';
import { deployRoutes } from './routes-deploy.js';
import { logRoutes } from './routes-logs.js';
import { readRoutes } from './routes-read.js';
import { opsRoutes } from './routes-ops.js';
import { eventRoutes } from './routes-events.js';
import { seriesRoutes } from './routes-series.js';

export const BODY_LIMIT = '256kb';
// The static files stay in the sources: found the same from src/api/ and from the build in dist/api/.
const publicDir = packagePath('src/api/public/');

export interface AppOptions {
  /** process metrics (only the real server: they are per process) */
  defaultMetrics?: boolean;
  accessLog?: boolean;
}

/**
 * The manager's HTTP API and dashboard. Open: /healthz and the dashboard's static files;
 * everything else wants a bearer token (the built-in admin's or a user's) and is allowed by its
 * route's rule (model/users/permissions: unknown routes need an admin). The jobs (deploys in flight) are in app.locals.jobs,
 * the metrics (ApiMetrics) in app.locals.metrics.
 */
export function createApp(deps: ApiDeps, opts: AppOptions = {}): Express {
  const log = deps.log ?? (() => undefined);
  const jobs = new Jobs();
  const metrics = createMetrics(deps, { defaults: opts.defaultMetrics });
  const app = express();
  app.disable('x-powered-by');
  app.locals.jobs = jobs;
  app.locals.metrics = metrics;
  app.use((req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'" });
    // Path only: a query string is the client's and may carry anything.
    if (opts.accessLog) {
      const t0 = Date.now();
      const path = req.originalUrl.split('?')[0];
      res.on('finish', () => log(`${req.method} ${path} ${res.statusCode} ${Date.now() - t0}ms`));
    }
    next();
  });
  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.use(express.static(publicDir, { index: 'index.html', maxAge: 0 }));
  app.use(authenticate(new Authenticator(deps.users ?? null, deps.token, log)), authorize());
  app.use(express.json({ limit: BODY_LIMIT }));
  app.get('/metrics', async (_req, res) => {
    const text = await metrics.registry.metrics();
    res.type(metrics.registry.contentType).send(text);
  });
  app.use('/api', readRoutes(deps), seriesRoutes(deps), deployRoutes(deps, jobs, metrics), logRoutes(deps), eventRoutes(deps), opsRoutes(deps, jobs));
  app.use((_req, res) => void res.status(404).json({ error: 'not found' }));
  app.use(errorHandler(log));
  return app;
}
