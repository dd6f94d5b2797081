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

/** `--apps a,b`: the names, or the first problem. Empty items are not allowed; duplicates collapse. */
export function parseAppList(text: string): { apps: string[] } | { error: string } {
  const items = text.split(',').map((s) => s.trim());
  if (text.length > 4096) return { error: 'the list is longer than 4096 characters' };
  const bad = items.find((a) => !APP_NAME.test(a));
  if (bad !== undefined) return { error: `${JSON.stringify(bad.slice(0, 70))}: ${MESSAGES.appName}` };
  return { apps: [...new Set(items)].sort() };
}
