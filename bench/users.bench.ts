import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserStore } from '../src/adapters/store/users.js';
import { Authenticator } from '../src/users/authenticate.js';
import { addUser } from '../src/users/users.js';
import { median, timeRuns, type BenchResult } from './lib.js';

const USERS = 200;

/**
 * What a token costs per API request (#17): the first request of a token runs one scrypt (the id
 * picks the record, whatever the number of users); later ones are a SHA-256 and a look in memory.
 * Baseline: the built-in admin's token (a SHA-256 and a constant-time compare).
 */
export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-bench-users-'));
  try {
    const tokens: string[] = [];
    for (let i = 0; i < USERS; i++) tokens.push((await addUser(dir, { name: `u${i}`, role: 'viewer', apps: 'web' })).token);
    const builtin = 'builtin-admin-token-0123456789abcdef';
    let n = 0;
    // A fresh authenticator each time: nothing remembered, so each check runs scrypt.
    const first = median(await timeRuns(() => new Authenticator(new UserStore(dir), builtin).principal(tokens[n++ % USERS]!), 15, 2));
    const auth = new Authenticator(new UserStore(dir), builtin);
    await auth.principal(tokens[0]!);
    const later = median(await timeRuns(() => auth.principal(tokens[0]!), 2000, 50));
    const base = median(await timeRuns(() => auth.principal(builtin), 2000, 50));
    return [
      { name: `users: first request of a token (${USERS} users, one scrypt)`, value: first, unit: 'ms', goal: 'one scrypt, not one per user (< 200 ms)', ok: first < 200 },
      {
        name: 'users: later requests of that token', value: later * 1000, unit: 'us', baseline: { name: 'api.tokenFile token', value: base * 1000 },
        ratio: later / base, goal: 'well under a millisecond', ok: later < 1,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
