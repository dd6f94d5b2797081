import { existsSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { History, type DeployRecord, type Promotion } from '../adapters/store/history.js';
import { PlanStore } from '../adapters/store/plans.js';
import { writeAtomic } from '../adapters/store/atomic.js';
import { takeDeployLock } from '../deploy/deploy-lock.js';
import { appStatus, observe } from '../deploy/observe.js';
import { setAppImage } from '../git/plan-edit.js';
import { planName } from '../model/names.js';
import type { Plan } from '../model/plan.js';
import { healthyRevision, promotedImage, textDiff } from '../model/promotion.js';
import { localActor, type Actor } from '../users/actor.js';

/** A plan named on the command line: a deployed plan's name (its stored file), or a plan file's path. */
export interface PlanArg {
  name: string;
  file: string;
  deployed: Plan | null;
}

/**
 * FROM_PLAN / TO_PLAN: an existing file is a plan file (its plan name is its base name, as
 * deploy-plan makes it); anything else must be the name of a deployed plan, whose file is the one
 * it was last deployed from.
 */
export function planArg(stateDir: string, text: string, what: string): PlanArg {
  const store = new PlanStore(stateDir);
  if (existsSync(text) && statSync(text).isFile()) {
    const name = planName(text);
    return { name, file: text, deployed: store.get(name) };
  }
  const deployed = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(text) ? store.get(text) : null;
  if (!deployed) {
    const names = store.list().map((p) => p.name);
    throw new UserError(`${what}: "${text}" is neither a plan file nor a deployed plan (deployed: ${names.join(', ') || 'none'})`);
  }
  const file = resolve(deployed.file);
  if (!existsSync(file)) throw new UserError(`${what}: the file of the deployed plan "${text}", ${deployed.file}, is gone: give the plan file's path`);
  return { name: text, file, deployed };
}

export interface PromotionPlan {
  from: PlanArg;
  to: PlanArg;
  changes: Promotion['apps'];
  before: string;
  after: string;
  /** unified diff of TO's file; empty when every app runs that digest already */
  diff: string;
}

/**
 * What `promote FROM TO [APP...]` would write: each app's image in TO's file set to the exact
 * digest its known-good replicas run healthy in FROM now. Nothing is written here; any app not
 * healthy in FROM, or not in both plans, is a UserError (exit 2) and nothing is promoted.
 */
export async function preparePromotion(config: Config, fromText: string, toText: string, apps: readonly string[]): Promise<PromotionPlan> {
  const from = planArg(config.stateDir, fromText, 'FROM_PLAN');
  const to = planArg(config.stateDir, toText, 'TO_PLAN');
  if (from.name === to.name) throw new UserError(`TO_PLAN: "${toText}" is the plan "${from.name}" itself: promote from one plan to another`);
  if (!from.deployed) throw new UserError(`FROM_PLAN: the plan "${from.name}" is not deployed: nothing runs there to promote`);
  const before = readFileSync(to.file, 'utf8');
  const names = apps.length ? [...new Set(apps)] : from.deployed.apps.map((a) => a.name);
  const problems: string[] = [];
  for (const app of names) {
    if (!from.deployed.apps.some((a) => a.name === app)) problems.push(`APP: "${app}" is not in the deployed plan "${from.name}"`);
  }
  if (problems.length) throw new UserError(problems.join('; '));
  const { cluster } = await observe(config);
  const rows = await appStatus([{ name: from.name, plan: from.deployed }], cluster.containers);
  const history = new History(config.stateDir);
  const changes: Promotion['apps'] = [];
  let after = before;
  for (const app of names) {
    const row = rows.find((r) => r.app === app)!;
    const got = healthyRevision(row.containers, row.desired);
    if ('why' in got) {
      problems.push(`${from.name}/${app}: ${got.why}: not promoted`);
      continue;
    }
    const record = history.revisions(from.name, app).find((r) => r.revision === got.revision);
    if (!record?.digest) {
      problems.push(`${from.name}/${app}: revision ${got.revision} is not in the history: its digest is unknown, not promoted`);
      continue;
    }
    const image = promotedImage(record.image, record.digest);
    try {
      after = setAppImage(after, to.file, app, image);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      problems.push(err.message);
      continue;
    }
    changes.push({ app, image, digest: record.digest, revision: got.revision });
  }
  if (problems.length) throw new UserError(`${problems.join('; ')}; nothing was changed`);
  return { from, to, changes, before, after, diff: textDiff(to.file, before, after) };
}

/** Writes TO's file with the promotion (`undo`: as it was before). */
export function writePromotion(p: PromotionPlan, undo = false): void {
  writeAtomic(p.to.file, undo ? p.before : p.after, statSync(p.to.file).mode & 0o777);
}

/** Whether TO as deployed now runs any promoted image (a partial deploy): then its file keeps the promotion. */
export function deployedWithPromotion(config: Config, p: PromotionPlan): boolean {
  const stored = new PlanStore(config.stateDir).get(p.to.name);
  return !!stored?.apps.some((a) => p.changes.some((c) => c.app === a.name && c.image === a.image));
}

/** With --no-deploy: the promotion in the history, under the deploy lock, with nothing deployed. */
export async function recordPromotion(config: Config, p: PromotionPlan, actor: Actor = localActor()): Promise<void> {
  const lock = await takeDeployLock(join(config.stateDir, 'deploy.lock'), `promote ${p.from.name} ${p.to.name}`, { waitMs: 300_000, log: () => undefined, onStale: () => undefined });
  try {
    const now = new Date().toISOString();
    const record: DeployRecord = {
      id: `${now.replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`, kind: 'promote', plan: p.to.name, planFile: p.to.file,
      planHash: '-', startedAt: now, finishedAt: now, result: 'unchanged', apps: [], note: promotionNote(p, false),
      user: actor.user, via: actor.via, promotion: { from: p.from.name, to: p.to.name, apps: p.changes, deployed: false },
    };
    new History(config.stateDir).append(record);
  } finally {
    lock.release();
  }
}

export function promotionNote(p: PromotionPlan, deployed: boolean): string {
  const apps = p.changes.map((c) => `${c.app} ${c.digest.slice(0, 19)}`).join(', ');
  return `promote ${p.from.name} -> ${p.to.name}: ${apps}${deployed ? '' : ' (plan file edited, not deployed)'}`;
}
