import { join } from 'node:path';
import { readJson, writeJson, type StoreWarn } from './atomic.js';

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
  kind: 'deploy' | 'rollback' | 'autoscale' | 'scale' | 'restore' | 'move';
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
}

const MAX_RECORDS = 500;

/** Deploy history, newest last, kept as one JSON file written atomically under the deploy lock. */
export class History {
  constructor(private readonly stateDir: string, private readonly warn?: StoreWarn) {}

  get path(): string {
    return join(this.stateDir, 'history.json');
  }

  /** Every record; a corrupt file is set aside (and said so) and reads as empty, never a crash. */
  list(app?: string): DeployRecord[] {
    const read = readJson<unknown>(this.path, [], this.warn);
    const all = Array.isArray(read) ? (read as DeployRecord[]) : [];
    return app ? all.filter((r) => r.apps.some((a) => a.app === app)) : all;
  }

  append(record: DeployRecord): void {
    const all = this.list();
    all.push(record);
    writeJson(this.path, all.slice(-MAX_RECORDS));
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
