import { createHmac } from 'node:crypto';

import { MESSAGES, SECRET_NAME } from './plan/fields.js';

export { SECRET_NAME };
export const SECRET_NAME_MESSAGE = MESSAGES.secretName;
/** Values travel as environment variables: no NUL byte, and small. */
export const MAX_SECRET_BYTES = 65_536;

/** Why a value cannot be stored, or null. Says nothing of the value itself. */
export function badSecretValue(value: string): string | null {
  if (value === '') return 'the value is empty';
  if (value.includes('\0')) return 'the value contains a NUL byte, which no environment variable can hold';
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) return `the value is longer than ${MAX_SECRET_BYTES} bytes`;
  return null;
}

/** What `secret set` read from stdin, less the one line end a shell or a file adds. */
export function valueFromStdin(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/**
 * A revision's fingerprint of one secret: an HMAC under a key derived from the store's key, so
 * the revision changes with the value but shows nothing a dictionary could find (16 hex).
 */
export function secretFingerprint(storeKey: Buffer, name: string, value: string): string {
  const revisionKey = createHmac('sha256', storeKey).update('cloudmatrix secret revision v1').digest();
  return createHmac('sha256', revisionKey).update(`${name}\0${value}`).digest('hex').slice(0, 16);
}

/** Every secret value removed from a text (a container's last log lines in an error message). */
export function redact(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of [...values].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(v).join('[secret]');
  return out;
}
