import { UserError } from '../errors.js';

/** An app is known by the plan that deploys it and its name: two plans may hold apps of the same name. */
export interface AppId {
  plan: string;
  app: string;
}

/** What a user wrote: `PLAN/APP`, or `APP` alone (resolved against what is deployed). */
export interface AppRef {
  plan?: string;
  app: string;
}

const PART = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Parses `PLAN/APP` or `APP`; `what` names the argument or flag in the error. */
export function parseAppRef(text: string, what = 'APP'): AppRef {
  const s = text.trim();
  const parts = s.split('/');
  if (parts.length > 2 || parts.some((p) => !PART.test(p))) {
    throw new UserError(`${what}: "${text}" is not an app (APP or PLAN/APP, letters, digits, "-", "_", ".")`);
  }
  return parts.length === 2 ? { plan: parts[0]!, app: parts[1]! } : { app: parts[0]! };
}

/** `plan/app`: the key under which records of an app are kept. */
export function appKey(id: AppId): string {
  return `${id.plan}/${id.app}`;
}

export function sameApp(a: AppId, b: AppId): boolean {
  return a.plan === b.plan && a.app === b.app;
}

/**
 * The one deployed app a reference means: `PLAN/APP` must exist as written; `APP` alone must be
 * held by exactly one plan, else exit 2 listing the candidates.
 */
export function resolveAppRef(ref: AppRef, deployed: readonly AppId[], what = 'APP'): AppId {
  const shown = ref.plan ? `${ref.plan}/${ref.app}` : ref.app;
  const found = deployed.filter((d) => d.app === ref.app && (!ref.plan || d.plan === ref.plan));
  const unique = [...new Map(found.map((d) => [appKey(d), d])).values()];
  if (unique.length === 1) return unique[0]!;
  if (unique.length === 0) {
    const other = ref.plan ? deployed.filter((d) => d.app === ref.app).map(appKey) : [];
    throw new UserError(
      `${what}: no deployed app "${shown}"` + (other.length ? ` (deployed: ${other.sort().join(', ')})` : ''),
    );
  }
  throw new UserError(
    `${what}: "${shown}" is ambiguous: ${unique.map(appKey).sort().join(', ')}; write PLAN/APP`,
  );
}

/** Every app of these plans as an AppId (what resolveAppRef resolves against). */
export function appIdsOf(plans: readonly { name: string; plan: { apps: readonly { name: string }[] } }[]): AppId[] {
  return plans.flatMap((p) => p.plan.apps.map((a) => ({ plan: p.name, app: a.name })));
}

/** How an app is shown to a user: `APP` when no other plan has one of that name, else `PLAN/APP`. */
export function shownApp(id: AppId, all: readonly AppId[]): string {
  return all.some((d) => d.app === id.app && d.plan !== id.plan) ? appKey(id) : id.app;
}
