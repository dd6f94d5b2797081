import { APP_NAME, MESSAGES } from '../plan/fields.js';
import { ROLES, type Role } from './permissions.js';

/** A user name: it goes into authorized_keys' forced command and the history, so plain ASCII only. */
export const USER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
export const USER_NAME_MESSAGE = 'a user name is 1-32 of a-z 0-9 _ -, starting with a letter';

/** Why the name is not a user name, or null. */
export function badUserName(name: string): string | null {
  return USER_NAME.test(name) ? null : `${JSON.stringify(name.slice(0, 40))}: ${USER_NAME_MESSAGE}`;
}

export function parseRole(text: string): Role | null {
  return (ROLES as readonly string[]).includes(text) ? (text as Role) : null;
}

/** A plan name as deploy-plan makes it from a file name (model/names.ts planName). */
const PLAN_PART = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** `app` (that app in every plan) or `plan/app` (only that plan's). */
function isAppEntry(item: string): boolean {
  const [a, b, ...rest] = item.split('/');
  if (rest.length > 0) return false;
  return b === undefined ? APP_NAME.test(a!) : PLAN_PART.test(a!) && APP_NAME.test(b);
}

/** `--apps a,staging/b`: the entries, or the first problem. Empty items are not allowed; duplicates collapse. */
export function parseAppList(text: string): { apps: string[] } | { error: string } {
  const items = text.split(',').map((s) => s.trim());
  if (text.length > 4096) return { error: 'the list is longer than 4096 characters' };
  const bad = items.find((a) => !isAppEntry(a));
  if (bad !== undefined) return { error: `${JSON.stringify(bad.slice(0, 70))}: APP or PLAN/APP (${MESSAGES.appName})` };
  return { apps: [...new Set(items)].sort() };
}
