import { UserError } from '../errors.js';
import { parseEnvAssignments } from '../model/container-spec.js';
import { badCpus, badMemory, parseMemory } from '../model/sizes.js';

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

/** `--command`: a JSON list of strings (`'["/bin/sh", "-c", "echo hi"]'`), or words split at blanks (no quoting, no shell). */
export function parseCommandOption(s: string): string[] {
  let argv: unknown;
  if (s.trimStart().startsWith('[')) {
    try {
      argv = JSON.parse(s);
    } catch {
      argv = null;
    }
  } else {
    argv = s.trim() === '' ? [] : s.trim().split(/\s+/);
  }
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string' && a !== '')) {
    throw new UserError(`--command ${JSON.stringify(s)}: expected words (split at blanks, no shell) or a JSON list of strings like '["/bin/sh", "-c", "echo hi"]'`);
  }
  return argv as string[];
}

export function parseMemoryOption(s: string): number {
  const why = badMemory(/^[0-9]+$/.test(s) ? Number(s) : s);
  if (why) throw new UserError(`--memory "${s}": ${why}`);
  return parseMemory(/^[0-9]+$/.test(s) ? Number(s) : s)!;
}

export function parseCpusOption(s: string): number {
  const n = /^[0-9]{1,4}(\.[0-9]{1,9})?$/.test(s) ? Number(s) : NaN;
  const why = badCpus(n);
  if (why) throw new UserError(`--cpus "${s}": ${why}`);
  return n;
}
