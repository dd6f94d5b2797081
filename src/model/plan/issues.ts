import type { z } from 'zod';
import { hint } from './did-you-mean.js';
import { KNOWN_KEYS } from './schema.js';
import { planError, type PathSegment, type PlanError, type PlanSource } from './types.js';

export function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function knownKeys(path: readonly PathSegment[]): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS.plan;
  if (path.length === 2 && path[0] === 'apps') return KNOWN_KEYS.app;
  if (path.length === 3 && path[0] === 'apps' && path[2] === 'health') return KNOWN_KEYS.health;
  if (path.length === 3 && path[0] === 'apps' && path[2] === 'timeouts') return KNOWN_KEYS.timeouts;
  if (path.length === 3 && path[0] === 'apps' && path[2] === 'replicas') return KNOWN_KEYS.replicas;
  if (path.length === 3 && path[0] === 'apps' && path[2] === 'autoscale') return KNOWN_KEYS.autoscale;
  if (path.length === 3 && path[0] === 'apps' && path[2] === 'tls') return KNOWN_KEYS.tls;
  if (path.length === 3 && path[0] === 'apps' && path[2] === 'resources') return KNOWN_KEYS.resources;
  if (path.length === 3 && path[0] === 'apps' && path[2] === 'backup') return KNOWN_KEYS.backup;
  return [];
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  if (issue.code === 'custom') return issue.message;
  if (issue.input === undefined) return `missing (${issue.message})`;
  return `${issue.message}, got ${show(issue.input)}`;
}

/** One PlanError per zod issue (one per key for unknown keys), placed with source. */
export function issueErrors(issues: readonly z.core.$ZodIssue[], source: PlanSource): PlanError[] {
  const errors: PlanError[] = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push(planError(source, [...path, key], `unknown key${hint(key, knownKeys(path))}`));
      }
      continue;
    }
    errors.push(planError(source, path, messageOf(issue)));
  }
  return errors;
}
