import { join } from 'node:path';
import { readJson, writeJson } from './atomic.js';

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
  kind: 'deploy' | 'rollback';
  plan: string;
  planFile: string;
  planHash: string;
  startedAt: string;
  finishedAt: string;
  result: DeployResult;
  apps: AppDeployRecord[];
}

const MAX_RECORDS = 500;

/** Deploy history, newest last, kept as one JSON file written atomically under the deploy lock. */
export class History {
  constructor(private readonly stateDir: string) {}

  get path(): string {
    return join(this.stateDir, 'history.json');
  }

  list(app?: string): DeployRecord[] {
    const all = readJson<DeployRecord[]>(this.path, []);
    return app ? all.filter((r) => r.apps.some((a) => a.app === app)) : all;
  }

  append(record: DeployRecord): void {
    const all = readJson<DeployRecord[]>(this.path, []);
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
