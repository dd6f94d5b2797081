import { createHash } from 'node:crypto';
import dockerignore from '@balena/dockerignore';

export interface ContextEntry {
  /** relative, `/`-separated */
  path: string;
  kind: 'file' | 'symlink';
  executable: boolean;
  /** sha256 hex of the content, or of the link target */
  sha256: string;
}

/** Docker sends these whatever .dockerignore says. */
const ALWAYS = new Set(['Dockerfile', '.dockerignore']);

export interface ContextFilter {
  includes(path: string): boolean;
  /** false when a `!` exception could bring back something below an excluded directory */
  canPrune: boolean;
}

/** The .dockerignore rules of a build context (empty text: everything is sent). */
export function contextFilter(dockerignoreText: string): ContextFilter {
  const ig = dockerignore.default({ ignorecase: false }).add(dockerignoreText);
  const canPrune = !dockerignoreText.split('\n').some((l) => l.trim().startsWith('!'));
  return { includes: (p) => ALWAYS.has(p) || !ig.ignores(p), canPrune };
}

/** Content hash of a build context: paths, kinds, exec bits and contents, in path order (12 hex). */
export function contextHash(entries: readonly ContextEntry[]): string {
  const h = createHash('sha256');
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const e of sorted) h.update(`${e.path}\0${e.kind}\0${e.executable ? 'x' : '-'}\0${e.sha256}\n`);
  return h.digest('hex').slice(0, 12);
}
