import type { Config } from '../config.js';
import { History } from '../adapters/store/history.js';
import { PlanStore } from '../adapters/store/plans.js';
import { RefError, resolveImage } from '../model/image-ref.js';
import { holdsOf, type Hold } from '../model/retention.js';
import { readPushes } from './push-log.js';

type HoldsConfig = Pick<Config, 'registry' | 'stateDir'> & { images?: { keep: number; pushGraceMinutes: number } };

/** An image of a plan or the history as a place in the private registry; null: another registry or no image. */
function place(image: string, digest: string | null, registry: string): { repository: string; tag: string | null; digest: string | null } | null {
  if (!image) return null;
  try {
    const ref = resolveImage(image, registry);
    if (ref.registry !== registry) return null;
    const d = ref.digest ?? (digest || null);
    return { repository: ref.repository, tag: ref.tag ?? (ref.digest ? null : 'latest'), digest: d };
  } catch (err) {
    if (err instanceof RefError) return null;
    throw err;
  }
}

/** What holds images now: every app of the deployed plans, the last images.keep revisions of every app the history knows, and what install-image pushed within images.pushGraceMinutes. */
export function currentHolds(config: HoldsConfig, warn: (m: string) => void = () => undefined, now = Date.now()): Hold[] {
  const plans = new PlanStore(config.stateDir).list();
  const history = new History(config.stateDir, warn);
  const deployed = plans.flatMap((p) => p.plan.apps.flatMap((a) => {
    const at = place(a.image, null, config.registry);
    return at ? [{ plan: p.name, app: a.name, ...at }] : [];
  }));
  // History.revisions per app would read the whole history once per app: one pass, newest first.
  const byApp = new Map<string, { plan: string; app: string; seen: Set<string>; list: { revision: string; repository: string; tag: string | null; digest: string | null }[] }>();
  const entry = (plan: string, app: string) => {
    const key = `${plan}\0${app}`;
    if (!byApp.has(key)) byApp.set(key, { plan, app, seen: new Set(), list: [] });
    return byApp.get(key)!;
  };
  for (const d of deployed) entry(d.plan, d.app);
  for (const r of history.list().reverse()) {
    for (const a of r.apps) {
      if (a.result !== 'ok' && a.result !== 'unchanged') continue;
      const e = entry(r.plan, a.app);
      if (e.seen.has(a.revision)) continue;
      e.seen.add(a.revision);
      const at = place(a.image, a.digest, config.registry);
      if (at) e.list.push({ revision: a.revision, ...at });
    }
  }
  const revisions = [...byApp.values()];
  return [...holdsOf(deployed, revisions, config.images?.keep ?? 5), ...recentPushes(config.stateDir, now, (config.images?.pushGraceMinutes ?? 60) * 60_000)];
}

function recentPushes(stateDir: string, now: number, graceMs: number): Hold[] {
  return [...readPushes(stateDir).values()]
    .filter((p) => now - Date.parse(p.time) < graceMs)
    .map((p) => ({ repository: p.image, tag: p.tag, digest: p.digest, holder: { kind: 'pushed', time: p.time, user: p.user } }));
}
