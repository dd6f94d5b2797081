import { readFileSync } from 'node:fs';
import { EnvError, UserError } from '../errors.js';
import { UserStore, type StoredKey, type StoredUser } from '../adapters/store/users.js';
import type { StoreWarn } from '../adapters/store/atomic.js';
import { badUserName, parseAppList, parseRole } from '../model/users/names.js';
import type { Role } from '../model/users/permissions.js';
import { FINGERPRINT, parsePublicKey, type PublicKey } from '../model/users/ssh-key.js';
import { newToken } from './tokens.js';

export interface UserRow {
  name: string;
  role: Role;
  apps: string[];
  keys: { fingerprint: string; type: string; comment: string; addedAt: string }[];
  createdAt: string;
  lastUsedAt: string | null;
}

export interface AddUserInput {
  name: string;
  role?: string;
  /** `a,b,c` as given to --apps */
  apps?: string;
  /** files given to --ssh-key */
  keyFiles?: string[];
}

function checkName(name: string): void {
  const bad = badUserName(name);
  if (bad) throw new UserError(`NAME ${bad}`);
}

function readKeyFile(flag: string, file: string): PublicKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const parsed = parsePublicKey(text);
  if ('error' in parsed) throw new UserError(`${flag} ${file}: ${parsed.error}`);
  return parsed.key;
}

/** A key may belong to one user only: sshd would run the first user's command for it. */
function checkKeyFree(users: readonly StoredUser[], key: PublicKey, flag: string): void {
  const owner = users.find((u) => u.keys.some((k) => k.fingerprint === key.fingerprint));
  if (owner) throw new UserError(`${flag}: key ${key.fingerprint} belongs to user ${owner.name} already`);
}

function userOf(users: readonly StoredUser[], name: string): StoredUser {
  checkName(name);
  const u = users.find((x) => x.name === name);
  if (!u) throw new UserError(`NAME: no user ${name} (cloudmatrix user list)`);
  return u;
}

/** Adds a user; returns the API token, which is shown this once and stored only hashed. */
export async function addUser(stateDir: string, input: AddUserInput, warn?: StoreWarn): Promise<{ token: string; user: UserRow }> {
  checkName(input.name);
  const role = parseRole(input.role ?? 'deployer');
  if (!role) throw new UserError(`--role: expected admin, deployer or viewer, got ${JSON.stringify((input.role ?? '').slice(0, 40))}`);
  let apps: string[] = [];
  if (input.apps !== undefined) {
    const parsed = parseAppList(input.apps);
    if ('error' in parsed) throw new UserError(`--apps: ${parsed.error}`);
    if (role === 'admin') throw new UserError('--apps: an admin may touch every app; give --apps to deployers and viewers');
    apps = parsed.apps;
  }
  const keys = (input.keyFiles ?? []).map((f) => readKeyFile('--ssh-key', f));
  const fps = keys.map((k) => k.fingerprint);
  const twice = fps.find((f, i) => fps.indexOf(f) !== i);
  if (twice) throw new UserError(`--ssh-key: key ${twice} is given twice`);
  const { token, stored } = await newToken();
  const now = new Date().toISOString();
  const user = new UserStore(stateDir, warn).update((users) => {
    if (users.some((u) => u.name === input.name)) throw new UserError(`NAME: user ${input.name} exists already (user token ${input.name} gives a new token)`);
    for (const k of keys) checkKeyFree(users, k, '--ssh-key');
    const u: StoredUser = { name: input.name, role, apps, token: stored, keys: keys.map((k) => ({ ...k, addedAt: now })), createdAt: now };
    users.push(u);
    return { write: true, result: u };
  });
  return { token, user: row(user) };
}

/** Changes a user's role and/or apps; their token and keys stay. */
export function setUser(stateDir: string, name: string, input: { role?: string; apps?: string }, warn?: StoreWarn): UserRow {
  checkName(name);
  if (input.role === undefined && input.apps === undefined) throw new UserError('give --role and/or --apps');
  const role = input.role === undefined ? undefined : parseRole(input.role);
  if (role === null) throw new UserError(`--role: expected admin, deployer or viewer, got ${JSON.stringify((input.role ?? '').slice(0, 40))}`);
  let apps: string[] | undefined;
  if (input.apps !== undefined) {
    const parsed = input.apps === '' ? { apps: [] } : parseAppList(input.apps);
    if ('error' in parsed) throw new UserError(`--apps: ${parsed.error}`);
    apps = parsed.apps;
  }
  return new UserStore(stateDir, warn).update((users) => {
    const u = userOf(users, name);
    const nextRole = role ?? u.role;
    if (nextRole === 'admin' && apps?.length) throw new UserError('--apps: an admin may touch every app; give --apps to deployers and viewers');
    u.role = nextRole;
    u.apps = nextRole === 'admin' ? [] : (apps ?? u.apps);
    return { write: true, result: row(u) };
  });
}

function row(u: StoredUser): UserRow {
  return {
    name: u.name, role: u.role, apps: u.apps, createdAt: u.createdAt, lastUsedAt: u.lastUsedAt ?? null,
    keys: u.keys.map((k) => ({ fingerprint: k.fingerprint, type: k.type, comment: k.comment, addedAt: k.addedAt })),
  };
}

export function listUsers(stateDir: string, warn?: StoreWarn): UserRow[] {
  return new UserStore(stateDir, warn).list().map(row);
}

/** A new token for the user; the old one stops working with this write. */
export async function rotateToken(stateDir: string, name: string, warn?: StoreWarn): Promise<string> {
  checkName(name);
  const { token, stored } = await newToken();
  new UserStore(stateDir, warn).update((users) => {
    userOf(users, name).token = stored;
    return { write: true, result: undefined };
  });
  return token;
}

export function addKey(stateDir: string, name: string, file: string, warn?: StoreWarn): string {
  checkName(name);
  const key = readKeyFile('FILE', file);
  return new UserStore(stateDir, warn).update((users) => {
    const u = userOf(users, name);
    checkKeyFree(users, key, 'FILE');
    const k: StoredKey = { ...key, addedAt: new Date().toISOString() };
    u.keys.push(k);
    return { write: true, result: key.fingerprint };
  });
}

/** Removes a key given by its fingerprint (`SHA256:...`) or by its .pub file. */
export function removeKey(stateDir: string, name: string, fileOrFingerprint: string, warn?: StoreWarn): string {
  checkName(name);
  const fp = FINGERPRINT.test(fileOrFingerprint) ? fileOrFingerprint : readKeyFile('FILE', fileOrFingerprint).fingerprint;
  return new UserStore(stateDir, warn).update((users) => {
    const u = userOf(users, name);
    const i = u.keys.findIndex((k) => k.fingerprint === fp);
    if (i < 0) throw new UserError(`FILE|FINGERPRINT: user ${name} has no key ${fp}`);
    u.keys.splice(i, 1);
    return { write: true, result: fp };
  });
}

export function removeUser(stateDir: string, name: string, warn?: StoreWarn): void {
  checkName(name);
  new UserStore(stateDir, warn).update((users) => {
    users.splice(users.indexOf(userOf(users, name)), 1);
    return { write: true, result: undefined };
  });
}

const USE_RESOLUTION_MS = 60_000;

/** Notes a use of the user's token or keys, at most once a minute (it is a write under the lock). */
export function markUsed(store: UserStore, name: string, now = new Date()): void {
  const seen = store.get(name)?.lastUsedAt;
  if (seen && now.getTime() - Date.parse(seen) < USE_RESOLUTION_MS) return;
  try {
    store.update((users) => {
      const u = users.find((x) => x.name === name);
      if (!u) return { write: false, result: undefined };
      u.lastUsedAt = now.toISOString();
      return { write: true, result: undefined };
    });
  } catch (err) {
    throw new EnvError(`cannot note the last use of user ${name}: ${(err as Error).message}`);
  }
}
