import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EnvError } from '../../errors.js';
import { readJson, writeAtomic, type StoreWarn } from './atomic.js';

const KEY_BYTES = 32;

interface SealedSecret {
  v: 1;
  setAt: string;
  iv: string;
  tag: string;
  data: string;
}

type SealedFile = Record<string, SealedSecret>;

export interface SecretEntry {
  name: string;
  setAt: string;
}

export const secretKeyPath = (stateDir: string): string => join(stateDir, 'secrets.key');
export const secretStorePath = (stateDir: string): string => join(stateDir, 'secrets.json');

/**
 * The store's key (AES-256), from its own file (mode 0600, base64 of 32 random bytes); made on
 * first use with O_EXCL, so that two processes never make two keys.
 */
export function ensureSecretKey(stateDir: string): Buffer {
  const path = secretKeyPath(stateDir);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new EnvError(`${path}: cannot create the secret key: ${(err as Error).message}`);
    }
  }
  return readSecretKey(path);
}

function readSecretKey(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EnvError(`${path}: cannot read the secret key: ${(err as Error).message}`);
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new EnvError(`${path}: not a secret key (expected base64 of ${KEY_BYTES} bytes)`);
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return key;
}

/**
 * Secrets, encrypted at rest: `<stateDir>/secrets.json` (mode 0600) maps each name to its value
 * sealed with AES-256-GCM (a fresh IV per write, the name as associated data, so a value cannot
 * be moved to another name). Names and times are plain; values only in memory, only when asked.
 */
export class SecretStore {
  readonly key: Buffer;

  constructor(private readonly stateDir: string, private readonly warn?: StoreWarn) {
    this.key = ensureSecretKey(stateDir);
  }

  get path(): string {
    return secretStorePath(this.stateDir);
  }

  private read(): SealedFile {
    const raw = readJson<unknown>(this.path, {}, this.warn);
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as SealedFile) : {};
  }

  private write(all: SealedFile): void {
    writeAtomic(this.path, `${JSON.stringify(all, null, 2)}\n`, 0o600);
  }

  list(): SecretEntry[] {
    return Object.entries(this.read())
      .map(([name, s]) => ({ name, setAt: s.setAt }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  has(name: string): boolean {
    return Object.hasOwn(this.read(), name);
  }

  set(name: string, value: string, now = new Date()): void {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`cloudmatrix-secret:${name}`));
    const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const all = this.read();
    all[name] = { v: 1, setAt: now.toISOString(), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    this.write(all);
  }

  /** false when there was no such secret */
  remove(name: string): boolean {
    const all = this.read();
    if (!Object.hasOwn(all, name)) return false;
    delete all[name];
    this.write(all);
    return true;
  }

  /** The values of these names (each must be set); a value that does not decrypt is an EnvError naming only the secret. */
  values(names: Iterable<string>): Map<string, string> {
    const all = this.read();
    const out = new Map<string, string>();
    for (const name of names) {
      const s = all[name];
      if (!s) continue;
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(s.iv, 'base64'));
        decipher.setAAD(Buffer.from(`cloudmatrix-secret:${name}`));
        decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
        out.set(name, Buffer.concat([decipher.update(Buffer.from(s.data, 'base64')), decipher.final()]).toString('utf8'));
      } catch {
        throw new EnvError(`secret ${name} in ${this.path} does not decrypt with ${secretKeyPath(this.stateDir)} (another key, or a damaged file): set it again`);
      }
    }
    return out;
  }
}
