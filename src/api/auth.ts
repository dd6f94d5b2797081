import type { RequestHandler, Response } from 'express';
import { allowedByRule, routeRule, type Principal } from '../model/users/permissions.js';
import type { Authenticator } from '../users/authenticate.js';

/** The signed-in user of a request that passed `authenticate`. */
export const principalOf = (res: Response): Principal => res.locals.principal as Principal;

/**
 * Bearer-token check: the built-in admin of api.tokenFile or a user's token (users/authenticate).
 * A missing or refused token gets 401 and no detail; the token never reaches a log.
 */
export function authenticate(auth: Authenticator): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer ([^\s]{1,512})$/i.exec(header.trim());
    const who = m ? await auth.principal(m[1]!) : null;
    if (!who) return void res.set('WWW-Authenticate', 'Bearer').status(401).json({ error: 'unauthorized' });
    res.locals.principal = who;
    next();
  };
}

/** Every route by its rule (model/users/permissions.routeRule): unknown routes need an admin. */
export function authorize(): RequestHandler {
  return (req, res, next) => {
    const who = principalOf(res);
    const rule = routeRule(req.method, req.path);
    if (allowedByRule(who, rule)) return next();
    const what = 'app' in rule ? `${rule.need} app ${JSON.stringify(rule.app.slice(0, 63))}` : `${req.method} ${req.path.slice(0, 100)}`;
    res.status(403).json({ error: `forbidden: user ${who.name} (${who.role}) may not ${what}` });
  };
}
