import type { Response } from 'express';
import type { z } from 'zod';

/** The parsed value, or a 400 with the first problem on one line (then null). */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, res: Response): z.infer<S> | null {
  if (value === undefined) {
    res.status(400).json({ error: 'expected a JSON body (Content-Type: application/json)' });
    return null;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  res.status(400).json({ error: `${where}${issue.message}`.split('\n')[0] });
  return null;
}
