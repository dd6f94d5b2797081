import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Bearer-token check. Both sides are hashed first so that the comparison takes the same time
 * whatever the length or content of what the client sent.
 */
export function requireToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
    if (m && timingSafeEqual(digest(m[1]!), expected)) return next();
    res.set('WWW-Authenticate', 'Bearer').status(401).json({ error: 'unauthorized' });
  };
}
