import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pack } from 'tar-fs';
import { EnvError } from '../errors.js';
import { contextFilter, type ContextEntry } from '../model/build-context.js';

const MAX_ENTRIES = 100_000;

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function readIgnore(dir: string): Promise<string> {
  try {
    return await readFile(join(dir, '.dockerignore'), 'utf8');
  } catch {
    return '';
  }
}

/** The files Docker would receive as the build context of `dir`, honouring .dockerignore. */
export async function collectContext(dir: string): Promise<ContextEntry[]> {
  const filter = contextFilter(await readIgnore(dir));
  const out: ContextEntry[] = [];
  const queue = [''];
  for (let seen = 0; queue.length > 0; ) {
    const rel = queue.shift()!;
    for (const name of await readdir(join(dir, rel))) {
      if (++seen > MAX_ENTRIES) throw new EnvError(`${dir}: more than ${MAX_ENTRIES} files in the build context`);
      const path = rel === '' ? name : `${rel}/${name}`;
      const abs = join(dir, path);
      const st = await lstat(abs);
      if (st.isDirectory()) {
        if (!filter.canPrune || filter.includes(path)) queue.push(path);
        continue;
      }
      if (!filter.includes(path)) continue;
      if (st.isSymbolicLink()) {
        const target = await readlink(abs);
        out.push({ path, kind: 'symlink', executable: false, sha256: createHash('sha256').update(target).digest('hex') });
      } else if (st.isFile()) {
        out.push({ path, kind: 'file', executable: (st.mode & 0o111) !== 0, sha256: await fileSha256(abs) });
      }
    }
  }
  return out;
}

/** A tar of exactly these entries, owned by root with a fixed mtime so that builds cache well. */
export function packContext(dir: string, entries: readonly ContextEntry[]): Readable {
  return pack(dir, {
    entries: entries.map((e) => e.path),
    map: (h) => ({ ...h, uid: 0, gid: 0, mtime: new Date(0) }),
  });
}
