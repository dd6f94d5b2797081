import { parseReference } from '../image-ref.js';

/**
 * The plan's image as Docker would read it: `latest` when neither tag nor digest is given.
 * Throws RefError (from image-ref.ts) when it does not parse.
 */
export function normaliseImage(s: string): string {
  const p = parseReference(s);
  const tag = p.tag ?? (p.digest ? null : 'latest');
  return `${p.domain ? `${p.domain}/` : ''}${p.path}${tag ? `:${tag}` : ''}${p.digest ? `@${p.digest}` : ''}`;
}
