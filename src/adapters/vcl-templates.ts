import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../paths.js';
import { UserError } from '../errors.js';
import type { VclTemplates } from '../model/vcl.js';

export const DEFAULT_TEMPLATES_DIR = packagePath('vcl-templates/');

const SUFFIX = '.vcl.mustache';
const cache = new Map<string, { stamp: string; templates: VclTemplates }>();

/** Names and mtimes of the dir's templates: a changed, added or removed file changes it. */
function stampOf(dir: string, files: string[]): string {
  return files.map((f) => {
    const st = statSync(join(dir, f));
    return `${f}@${st.mtimeMs}:${st.size}`;
  }).join('\n');
}

/**
 * `main.vcl.mustache` and every other `*.vcl.mustache` of dir (a partial, by base name). Read
 * again when a file's mtime changes, so a long-running `serve --watch` sees template edits.
 */
export function readVclTemplates(dir = DEFAULT_TEMPLATES_DIR): VclTemplates {
  let files: string[];
  let stamp: string;
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(SUFFIX)).sort();
    stamp = stampOf(dir, files);
  } catch (err) {
    throw new UserError(`${dir}: cannot read VCL templates: ${(err as Error).message}`);
  }
  const cached = cache.get(dir);
  if (cached && cached.stamp === stamp) return cached.templates;
  if (!files.includes(`main${SUFFIX}`)) throw new UserError(`${dir}: no main${SUFFIX}`);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const partials = Object.fromEntries(files.filter((f) => f !== `main${SUFFIX}`).map((f) => [f.slice(0, -SUFFIX.length), read(f)]));
  const templates: VclTemplates = { source: dir, main: read(`main${SUFFIX}`), partials };
  cache.set(dir, { stamp, templates });
  return templates;
}
