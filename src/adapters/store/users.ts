import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { authorizedKeys } from '../../model/users/authorized-keys.js';
import type { Role } from '../../model/users/permissions.js';
import type { PublicKey } from '../../model/users/ssh-key.js';
import type { TokenHash } from '../../users/tokens.js';
import { readJson, writeAtomic, type StoreWarn } from './atomic.js';
import { withFileLock } from './lock.js';

export interface StoredKey extends PublicKey {
  addedAt: string;
}

export interface StoredUser {
  name: string;
  role: Role;
  apps: string[];
  token: TokenHash;
  keys: StoredKey[];
  createdAt: string;
  /** the last API request or git push with its token or keys (kept to the minute) */
  lastUsedAt?: string;
}

interface UsersFile {
  version: 1;
  users: StoredUser[];
}

const LOCK_WAIT_SECONDS = 10;

export const usersPath = (stateDir: string): string => join(stateDir, 'users.json');
/** Where the git account's sshd reads its keys (AuthorizedKeysFile in the lab's and the manager's sshd_config). */
export const authorizedKeysPath = (stateDir: string): string => join(stateDir, 'git-ssh', 'authorized_keys');

/**
 * Users: `<stateDir>/users.json` (mode 0600), holding each token only as a salted scrypt hash.
 * Every change is a read-modify-write under a flock on `users.lock`, written atomically, and
 * rewrites the git account's authorized_keys from the keys it now holds.
 */
export class UserStore {
  private cache: { stamp: string; users: StoredUser[] } | null = null;

  constructor(private readonly stateDir: string, private readonly warn?: StoreWarn) {}

  get path(): string {
    return usersPath(this.stateDir);
  }

  private read(): StoredUser[] {
    const f = readJson<Partial<UsersFile> | null>(this.path, null, this.warn);
    return f && Array.isArray(f.users) ? f.users : [];
  }

  /** Every user; re-read only when the file changed (the API asks on every request). */
  list(): StoredUser[] {
    let stamp: string;
    try {
      const s = statSync(this.path);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return [];
    }
    if (this.cache?.stamp !== stamp) this.cache = { stamp, users: this.read() };
    return this.cache.users;
  }

  get(name: string): StoredUser | undefined {
    return this.list().find((u) => u.name === name);
  }

  byTokenId(id: string): StoredUser | undefined {
    return this.list().find((u) => u.token.id === id);
  }

  /**
   * Applies `change` to the users as they are now (under the lock) and writes them when it
   * returns `{ write: true }`; what it returns besides is handed back.
   */
  update<T>(change: (users: StoredUser[]) => { write: boolean; result: T }): T {
    return withFileLock(join(this.stateDir, 'users.lock'), LOCK_WAIT_SECONDS, () => {
      const users = this.read();
      const { write, result } = change(users);
      if (write) {
        const file: UsersFile = { version: 1, users: [...users].sort((a, b) => (a.name < b.name ? -1 : 1)) };
        writeAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
        this.writeAuthorizedKeys(file.users);
        this.cache = null;
      }
      return result;
    });
  }

  /** Rewrites authorized_keys from the store (lab up and provisioning call it, so the file always exists). */
  syncAuthorizedKeys(): void {
    withFileLock(join(this.stateDir, 'users.lock'), LOCK_WAIT_SECONDS, () => this.writeAuthorizedKeys(this.read()));
  }

  private writeAuthorizedKeys(users: readonly StoredUser[]): void {
    const path = authorizedKeysPath(this.stateDir);
    // sshd reads it as the git account: public keys only, readable by all.
    mkdirSync(join(this.stateDir, 'git-ssh'), { recursive: true, mode: 0o755 });
    writeAtomic(path, authorizedKeys(users), 0o644);
  }
}
