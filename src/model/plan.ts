import { parseLegacyPlan } from './plan/legacy.js';
import { parseYamlPlan } from './plan/parse-yaml.js';
import type { ParsedPlan } from './plan/types.js';

export type { AppSpec, AutoscaleSpec, Director, HashBy, HealthSpec, ParsedPlan, PathSegment, Plan, PlanError, PlanSource } from './plan/types.js';
export { formatPlanError, pathString } from './plan/types.js';
export { checkPlanNodes } from './plan/nodes-check.js';
export { checkPlanCapacity } from './plan/capacity-check.js';
export { planJsonSchema } from './plan/schema.js';
export { durationMs } from './plan/fields.js';

/** The legacy format by extension (.plan), else by look: a first line of bare words, no `key:`. */
export function isLegacyPlan(text: string, file: string): boolean {
  if (/\.plan$/i.test(file)) return true;
  if (/\.(ya?ml|json)$/i.test(file)) return false;
  const first = text.split('\n').map((l) => l.replace(/#.*/, '').trim()).find((l) => l !== '');
  return first !== undefined && !first.includes(':') && first.split(/\s+/).length === 4;
}

/** Parses a plan (YAML, JSON or legacy) and collects every error; plan is null when there are any. */
export function parsePlan(text: string, file: string): ParsedPlan {
  return isLegacyPlan(text, file) ? parseLegacyPlan(text, file) : parseYamlPlan(text, file);
}
