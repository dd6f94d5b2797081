import { createHash } from 'node:crypto';

/** Key types sshd takes for users (OpenSSH 8.2+); DSA is gone from OpenSSH 9.8. */
export const KEY_TYPES = [
  'ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

export interface PublicKey {
  type: string;
  /** base64 of the key blob, as in the .pub file */
  data: string;
  /** the .pub file's comment, kept only when it is plain (letters, digits, @ . _ + -) */
  comment: string;
  /** `SHA256:...` as ssh-keygen -l prints it */
  fingerprint: string;
}

const MAX_KEY_TEXT = 16_384;

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The type string a key blob starts with (uint32 length, then the name), or null. */
function blobType(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const n = blob.readUInt32BE(0);
  if (n < 1 || n > 64 || blob.length < 4 + n) return null;
  return blob.subarray(4, 4 + n).toString('latin1');
}

/**
 * One OpenSSH public key (`TYPE BASE64 [COMMENT]`, the line of a .pub file). A line with
 * options (`command=...`), a private key, two keys or anything else is refused with why: what
 * is accepted is written back into authorized_keys, and only these three fields are.
 */
export function parsePublicKey(text: string): { key: PublicKey } | { error: string } {
  if (text.length > MAX_KEY_TEXT) return { error: `longer than ${MAX_KEY_TEXT} characters: not one public key` };
  if (text.includes('PRIVATE KEY')) return { error: 'this is a private key: give the .pub file' };
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.length !== 1) return { error: lines.length ? `${lines.length} keys: give one key per file` : 'no public key in it' };
  const fields = lines[0]!.split(/[ \t]+/);
  const [type, data, ...rest] = fields;
  if (!(KEY_TYPES as readonly string[]).includes(type!)) {
    return { error: `expected an OpenSSH public key starting with one of ${KEY_TYPES.join(', ')} (options such as command= are not taken)` };
  }
  if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) return { error: `${type}: the key data is not base64` };
  const blob = Buffer.from(data, 'base64');
  if (blobType(blob) !== type) return { error: `${type}: the key data is not a ${type} key` };
  const comment = rest.join(' ');
  return { key: { type: type!, data, comment: /^[A-Za-z0-9@._+-]{1,100}$/.test(comment) ? comment : '', fingerprint: fingerprintOf(blob) } };
}

/** `SHA256:` and 43 base64 characters, as ssh-keygen -l and `user list` print it. */
export const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
