import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { parsePlan, type ParsedPlan } from '../model/plan.js';

/** Reads and parses a plan file; a missing file is a UserError, plan errors are in the result. */
export async function loadPlanFile(path: string): Promise<ParsedPlan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: ${code === 'ENOENT' ? 'no such plan file' : (err as Error).message}`);
  }
  return parsePlan(text, path);
}
