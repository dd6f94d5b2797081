import { UserError } from '../errors.js';
import { parseEnvAssignments } from '../model/container-spec.js';

export function parsePort(s: string, what: string): number {
  const n = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new UserError(`${what} "${s}": expected a port number 1-65535`);
  return n;
}

export function parseEnvOption(items: readonly string[]): Record<string, string> {
  try {
    return parseEnvAssignments(items);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}
