import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** What the store keeps of a token: its id (to find the record) and a salted scrypt hash. */
export interface TokenHash {
  id: string;
  salt: string;
  hash: string;
  N: number;
  r: number;
  p: number;
  createdAt: string;
}

// 16 MiB and about 40 ms a check: the tokens are random (256 bits), scrypt guards a stolen file.
export const SCRYPT = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LEN = 32;
/** `cmx_<16 hex>.<43 base64url>`: the id selects the one record whose hash is checked. */
export const TOKEN = /^cmx_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

function derive(secret: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r + (1 << 20) };
  return new Promise((resolve, reject) => scrypt(secret, salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** A new token (shown once) and what is stored of it. */
export async function newToken(now = new Date()): Promise<{ token: string; stored: TokenHash }> {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16);
  const hash = await derive(secret, salt, SCRYPT);
  return {
    token: `cmx_${id}.${secret}`,
    stored: { id, salt: salt.toString('base64'), hash: hash.toString('base64'), ...SCRYPT, createdAt: now.toISOString() },
  };
}

/** The id a token names, or null when it is not of the form; says nothing else about it. */
export function tokenId(token: string): string | null {
  return TOKEN.exec(token)?.[1] ?? null;
}

/** Whether `token` is the one `stored` was made from; the comparison takes the same time whatever differs. */
export async function verifyToken(token: string, stored: TokenHash): Promise<boolean> {
  const m = TOKEN.exec(token);
  const expected = Buffer.from(stored.hash, 'base64');
  // A malformed token is still hashed, so that it costs what a wrong one does.
  const got = await derive(m ? m[2]! : token, Buffer.from(stored.salt, 'base64'), stored);
  return got.length === expected.length && timingSafeEqual(got, expected) && !!m && m[1] === stored.id;
}
