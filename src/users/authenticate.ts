import { createHash, timingSafeEqual } from 'node:crypto';
import { UserStore } from '../adapters/store/users.js';
import { BUILTIN_ADMIN, type Principal } from '../model/users/permissions.js';
import { newToken, tokenId, verifyToken, type TokenHash } from './tokens.js';
import { markUsed } from './users.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const CACHE_MAX = 512;

/**
 * Who a bearer token is. The `api.tokenFile` token (when there is one) is the built-in admin;
 * else the token's id picks one user and only that user's scrypt hash is checked (one scrypt
 * per request at most, never one per user). A token checked once is remembered by its SHA-256
 * together with the hash it matched: a rotation or removal changes or drops that hash, so the
 * old token fails on the very next request without waiting for anything to expire.
 */
export class Authenticator {
  private readonly builtin: Buffer | null;
  private readonly verified = new Map<string, string>();
  private dummy: Promise<TokenHash> | null = null;

  constructor(private readonly store: UserStore | null, builtinToken: string | null, private readonly log: (l: string) => void = () => undefined) {
    this.builtin = builtinToken ? digest(builtinToken) : null;
  }

  async principal(token: string): Promise<Principal | null> {
    const d = digest(token);
    if (this.builtin && timingSafeEqual(d, this.builtin)) return BUILTIN_ADMIN;
    const id = tokenId(token);
    if (!id || !this.store) return null;
    const user = this.store.byTokenId(id);
    if (!user) {
      // An unknown id costs what a wrong secret does.
      this.dummy ??= newToken().then((t) => t.stored);
      await verifyToken(token, await this.dummy);
      return null;
    }
    const key = d.toString('hex');
    if (this.verified.get(key) !== user.token.hash) {
      if (!(await verifyToken(token, user.token))) return null;
      if (this.verified.size >= CACHE_MAX) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(key, user.token.hash);
    }
    // Read again: a rotation may have landed while scrypt ran.
    const now = this.store.byTokenId(id);
    if (!now || now.token.hash !== user.token.hash) return null;
    try {
      markUsed(this.store, now.name);
    } catch (err) {
      this.log(`warning: ${(err as Error).message}`);
    }
    return { name: now.name, role: now.role, apps: now.apps };
  }
}
