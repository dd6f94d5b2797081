import { UserError } from '../errors.js';
import { durationMs } from '../model/plan/fields.js';

/** A duration flag (500ms, 30s, 2m); bad text is a one-line UserError naming the flag. */
export function parseDuration(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,7}(ms|s|m)$/.test(text)) throw new UserError(`${flag}: expected a duration like 500ms, 30s or 2m, got ${JSON.stringify(text)}`);
  return durationMs(text);
}

export function parseParallel(text: string | undefined): number {
  if (text === undefined) return 8;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < 1 || n > 64) throw new UserError(`--parallel: expected a whole number from 1 to 64, got ${JSON.stringify(text)}`);
  return n;
}
