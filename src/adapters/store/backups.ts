import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { writeAtomic } from './atomic.js';

/** One volume's archive in a backup. */
export interface BackupVolume {
  /** volume name in the plan */
  name: string;
  /** where it is mounted in the container */
  path: string;
  /** the archive's file name, beside the record */
  file: string;
  bytes: number;
  sha256: string;
}

/** A backup of an app's volumes: `<stateDir>/backups/<plan>/<app>/<id>.json` beside its archives. */
export interface BackupRecord {
  id: string;
  plan: string;
  app: string;
  node: string;
  container: string;
  createdAt: string;
  durationMs: number;
  /** who asked: `backup create`, a deploy replacing the app, a move */
  reason: 'manual' | 'deploy' | 'move';
  volumes: BackupVolume[];
}

/** The backups on the manager, as files: a tar per volume (as Docker's archive API gives it), its sha256, a JSON record. */
export class BackupStore {
  constructor(private readonly stateDir: string) {}

  dir(plan: string, app: string): string {
    return join(this.stateDir, 'backups', plan, app);
  }

  /** The archive's file name for a volume: `<id>.tar` for an app's only volume, `<id>-<volume>.tar` else. */
  fileOf(id: string, volume: string, only: boolean): string {
    return only ? `${id}.tar` : `${id}-${volume}.tar`;
  }

  /**
   * Streams `tar` into the archive file (a `.part` first, fsynced, then renamed) with its sha256
   * beside it (`sha256sum -c` format). A write that fails (disk full) leaves no file behind.
   */
  async writeArchive(plan: string, app: string, file: string, tar: Readable): Promise<{ bytes: number; sha256: string }> {
    const dir = this.dir(plan, app);
    mkdirSync(dir, { recursive: true });
    const final = join(dir, file);
    const part = `${final}.part`;
    const hash = createHash('sha256');
    let bytes = 0;
    tar.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    try {
      await pipeline(tar, createWriteStream(part, { mode: 0o600 }));
      const fd = openSync(part, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const sha256 = hash.digest('hex');
      writeAtomic(`${final}.sha256`, `${sha256}  ${file}\n`, 0o600);
      renameSync(part, final);
      return { bytes, sha256 };
    } catch (err) {
      rmSync(part, { force: true });
      rmSync(`${final}.sha256`, { force: true });
      throw err;
    }
  }

  /** Writes the record last: a backup without one is incomplete and never listed. */
  saveRecord(r: BackupRecord): void {
    writeAtomic(join(this.dir(r.plan, r.app), `${r.id}.json`), `${JSON.stringify(r, null, 2)}\n`, 0o600);
  }

  /** An app's backups, newest first (or every app's of a plan, or all). */
  list(plan?: string, app?: string): BackupRecord[] {
    const root = join(this.stateDir, 'backups');
    const out: BackupRecord[] = [];
    const plans = plan ? [plan] : existsSync(root) ? readdirSync(root) : [];
    for (const p of plans) {
      const apps = app ? [app] : existsSync(join(root, p)) ? readdirSync(join(root, p)) : [];
      for (const a of apps) {
        const dir = this.dir(p, a);
        if (!existsSync(dir)) continue;
        for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
          try {
            out.push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as BackupRecord);
          } catch {
            /* a record that does not parse is not a backup to offer */
          }
        }
      }
    }
    return out.sort((x, y) => (x.id < y.id ? 1 : x.id > y.id ? -1 : x.app < y.app ? -1 : 1));
  }

  archivePath(r: BackupRecord, v: BackupVolume): string {
    return join(this.dir(r.plan, r.app), v.file);
  }

  /** Checks every archive of a backup against its recorded sha256 (and the .sha256 file); throws naming the first that differs. */
  async verify(r: BackupRecord): Promise<void> {
    for (const v of r.volumes) {
      const path = this.archivePath(r, v);
      if (!existsSync(path)) throw new Error(`backup ${r.id} of ${r.app}: ${path} is missing`);
      const hash = createHash('sha256');
      await pipeline(createReadStream(path), hash);
      const got = hash.digest('hex');
      const side = existsSync(`${path}.sha256`) ? readFileSync(`${path}.sha256`, 'utf8').split(/\s+/)[0] : v.sha256;
      if (got !== v.sha256 || side !== v.sha256) throw new Error(`backup ${r.id} of ${r.app}: ${path} does not match its sha256 (corrupt)`);
    }
  }

  remove(r: BackupRecord): void {
    const dir = this.dir(r.plan, r.app);
    rmSync(join(dir, `${r.id}.json`), { force: true });
    for (const v of r.volumes) {
      for (const f of [v.file, `${v.file}.sha256`]) if (existsSync(join(dir, f))) unlinkSync(join(dir, f));
    }
  }
}
