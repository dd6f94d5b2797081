import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (the directory of cloudmatrix's package.json), found by walking up from this
 * module: the same answer from src/paths.ts under tsx and from whichever bundle chunk of dist/
 * this code ends up in. Files read at run time (package.json, vcl-templates/, scripts/,
 * src/api/public/, bin/) are found from here, never relative to the module's own URL.
 */
function findRoot(from: string): string {
  for (let dir = from; ; ) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cloudmatrix: no package.json above ${from}`);
    dir = up;
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** An absolute path under the package root; a trailing slash is kept. */
export const packagePath = (...parts: string[]): string => {
  const p = join(PACKAGE_ROOT, ...parts);
  return parts.at(-1)?.endsWith('/') && !p.endsWith('/') ? `${p}/` : p;
};
