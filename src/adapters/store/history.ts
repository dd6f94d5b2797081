import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, warnOnStderr, writeAtomic, type StoreWarn } from './atomic.js';

export type DeployResult = 'ok' | 'failed' | 'partial' | 'unchanged';

export interface AppDeployRecord {
  app: string;
  revision: string;
  image: string;
  digest: string;
  replicas: number;
  result: 'ok' | 'failed' | 'unchanged' | 'removed';
  error?: string;
  /** the normalised app spec that was deployed, so that rollback can put it back */
  spec: unknown;
}

export interface DeployRecord {
  id: string;
  kind: 'deploy' | 'rollback' | 'autoscale' | 'scale' | 'restore' | 'move' | 'promote';
  plan: string;
  planFile: string;
  planHash: string;
  startedAt: string;
  finishedAt: string;
  result: DeployResult;
  apps: AppDeployRecord[];
  /** why, for autoscale and scale: `autoscale web 2 -> 5: 231 req/s over 30s, target 50/replica` */
  note?: string;
  /** who did it (absent in records of versions before users): a user, or the system user of a CLI run */
  user?: string;
  /** how: the CLI on the manager, the API, or a git push */
  via?: 'cli' | 'api' | 'git';
  /** `promote`: the apps' images set to the digests that ran healthy in the plan `from` */
  promotion?: Promotion;
}

export interface Promotion {
  from: string;
  to: string;
  apps: { app: string; image: string; digest: string; revision: string }[];
  /** false with --no-deploy: the plan file was edited, nothing deployed */
  deployed: boolean;
}

const MAX_RECORDS = 500;
/** A file without a header (made by appends alone) is first looked at when it reaches this size. */
const FIRST_COMPACT_BYTES = 1 << 20;

/** The first line of a compacted file: when the next compaction is due (twice the size it left). */
interface Header {
  cloudmatrixHistory: 1;
  compactAtBytes: number;
}

/**
 * Deploy history, newest last: one JSON record per line in `history.jsonl`, appended under the
 * deploy lock, so that recording a deploy costs the same with 5 or 500 records before it (a
 * rewrite of the whole file cost 0.7 s at 500 records of a 20-app plan). Once the file has doubled
 * since it was last cut back, it is cut back to the newest MAX_RECORDS (the size at which that is
 * due is the file's first line). A `history.json` of an earlier version is read before it and
 * folded into it by the next append.
 */
export class History {
  constructor(
    private readonly stateDir: string,
    private readonly warn: StoreWarn = warnOnStderr,
    private readonly limits = { records: MAX_RECORDS, firstCompactBytes: FIRST_COMPACT_BYTES },
  ) {}

  get path(): string {
    return join(this.stateDir, 'history.jsonl');
  }

  /** The JSON array that earlier versions rewrote whole at every deploy. */
  get legacyPath(): string {
    return join(this.stateDir, 'history.json');
  }

  /** Every record (the newest MAX_RECORDS); corrupt files and lines are said and skipped, never a crash. */
  list(app?: string): DeployRecord[] {
    const all = [...this.legacy(), ...this.lines()].slice(-this.limits.records);
    return app ? all.filter((r) => r.apps.some((a) => a.app === app)) : all;
  }

  append(record: DeployRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    if (existsSync(this.legacyPath)) return this.rewrite([...this.legacy(), ...this.lines(), record]);
    mkdirSync(this.stateDir, { recursive: true });
    const fd = openSync(this.path, 'a+', 0o644);
    let size: number;
    let compactAt = this.limits.firstCompactBytes;
    try {
      size = fstatSync(fd).size;
      const head = Buffer.alloc(Math.min(size, 256));
      readSync(fd, head, 0, head.length, 0);
      compactAt = headerOf(head.toString('utf8').split('\n')[0]!)?.compactAtBytes ?? compactAt;
      // A line a crash cut short ends without a newline: the record starts on a line of its own.
      const last = Buffer.alloc(1);
      const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
      writeSync(fd, torn ? `\n${line}` : line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (size + line.length > compactAt) this.rewrite(this.lines());
  }

  /** The newest MAX_RECORDS records under a header saying when the next cut is due. */
  private rewrite(records: DeployRecord[]): void {
    const body = records.slice(-this.limits.records).map((r) => `${JSON.stringify(r)}\n`).join('');
    const header: Header = { cloudmatrixHistory: 1, compactAtBytes: Math.max(2 * body.length, this.limits.firstCompactBytes) };
    writeAtomic(this.path, `${JSON.stringify(header)}\n${body}`);
    rmSync(this.legacyPath, { force: true });
  }

  private legacy(): DeployRecord[] {
    if (!existsSync(this.legacyPath)) return [];
    const read = readJson<unknown>(this.legacyPath, [], this.warn);
    return Array.isArray(read) ? (read as DeployRecord[]) : [];
  }

  private lines(): DeployRecord[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: DeployRecord[] = [];
    const bad: number[] = [];
    const lines = text.split('\n');
    // A last line without its newline is being appended right now (or was cut short: said once a record follows it).
    if (!text.endsWith('\n')) lines.pop();
    lines.forEach((l, i) => {
      if (l.trim() === '' || (i === 0 && headerOf(l))) return;
      try {
        const r = JSON.parse(l) as DeployRecord;
        if (r && typeof r === 'object' && Array.isArray(r.apps)) out.push(r);
        else bad.push(i + 1);
      } catch {
        bad.push(i + 1);
      }
    });
    if (bad.length) this.warn(`${this.path}: line(s) ${bad.join(', ')} are not deploy records (cut short by a crash, or edited); skipped`);
    return out;
  }

  /** The app's successful deploys, newest first, one entry per distinct revision. */
  revisions(plan: string, app: string): AppDeployRecord[] {
    const seen = new Set<string>();
    const out: AppDeployRecord[] = [];
    for (const rec of this.list().reverse()) {
      if (rec.plan !== plan) continue;
      for (const a of rec.apps) {
        if (a.app !== app || (a.result !== 'ok' && a.result !== 'unchanged') || seen.has(a.revision)) continue;
        seen.add(a.revision);
        out.push(a);
      }
    }
    return out;
  }
}

function headerOf(line: string): Header | null {
  if (!line.startsWith('{"cloudmatrixHistory"')) return null;
  try {
    const h = JSON.parse(line) as Header;
    return typeof h.compactAtBytes === 'number' ? h : null;
  } catch {
    return null;
  }
}
