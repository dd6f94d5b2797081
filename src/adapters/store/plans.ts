import { readdirSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../../model/plan.js';
import type { NamedPlan } from '../../model/routes.js';
import { readJson, writeJsonIfChanged } from './atomic.js';

/**
 * The plans as last deployed, one file per plan name: what update-proxy routes when it is
 * given no plan, and what rollback starts from.
 */
export class PlanStore {
  constructor(private readonly stateDir: string) {}

  private get dir(): string {
    return join(this.stateDir, 'plans');
  }

  /** Stores the plan as deployed; false when the stored file was that plan already (nothing written). */
  save(name: string, plan: Plan): boolean {
    return writeJsonIfChanged(join(this.dir, `${name}.json`), plan);
  }

  get(name: string): Plan | null {
    return readJson<Plan | null>(join(this.dir, `${name}.json`), null);
  }

  remove(name: string): void {
    const path = join(this.dir, `${name}.json`);
    if (existsSync(path)) unlinkSync(path);
  }

  list(): NamedPlan[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => ({ name: f.slice(0, -5), plan: readJson<Plan>(join(this.dir, f), null as unknown as Plan) }))
      .filter((p) => p.plan !== null);
  }

  /** The stored plans with `current` put in place of its own name. */
  with(current: NamedPlan): NamedPlan[] {
    return [...this.list().filter((p) => p.name !== current.name), current];
  }
}
