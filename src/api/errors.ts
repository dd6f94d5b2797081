import type { ErrorRequestHandler, Response } from 'express';
import { EnvError, Forbidden, UserError } from '../errors.js';
import { PlanInvalid } from '../deploy/preflight.js';
import type { Log } from './deps.js';

/** The answer an error gets: not the caller's to do 403, bad input 400 (plan errors 422), the environment 503, else 500. */
export function errorBody(err: unknown): { status: number; body: Record<string, unknown> } {
  if (err instanceof Forbidden) return { status: 403, body: { error: err.message } };
  if (err instanceof PlanInvalid) return { status: 422, body: { ok: false, errors: err.errors } };
  if (err instanceof UserError) return { status: 400, body: { error: err.message } };
  if (err instanceof EnvError) return { status: 503, body: { error: err.message } };
  return { status: 500, body: { error: 'internal error' } };
}

export function sendError(res: Response, err: unknown): void {
  const { status, body } = errorBody(err);
  res.status(status).json(body);
}

/** The last handler: body-parser errors by their type, then errorBody; stacks only to the log. */
export function errorHandler(log: Log): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') return void res.status(413).json({ error: 'request body too large' });
    if (type === 'entity.parse.failed') return void res.status(400).json({ error: 'request body is not valid JSON' });
    if (type !== undefined && typeof (err as { status?: number }).status === 'number') {
      return void res.status((err as { status: number }).status).json({ error: 'bad request body' });
    }
    const { status } = errorBody(err);
    if (status === 500) log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    sendError(res, err);
  };
}
