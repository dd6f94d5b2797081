import type { Config } from '../config.js';
import { History, type DeployRecord } from '../adapters/store/history.js';
import { emitEvent } from '../events/emit.js';
import { deployEventType } from '../model/events.js';
import type { Actor } from '../users/actor.js';
import type { DeployReport } from './deploy.js';

/** The events of one deploy: started once the lock is held, then exactly one of finished or threw. */
export function deployEvents(config: Pick<Config, 'stateDir' | 'notify'>, plan: string, appNames: readonly string[], kind: string, actor: Actor, note?: string) {
  const base = { plan, kind, user: actor.user };
  // What a receiver filters on: every app of the plan, and `app` itself when there is one.
  const named = { apps: appNames.map((app) => ({ app })), ...(appNames.length === 1 ? { app: appNames[0] } : {}) };
  const verb = kind === 'deploy' ? 'deploy' : kind;
  return {
    started(): void {
      emitEvent(config, { ...base, type: 'deploy.started', ...named, message: note ?? `${verb} of ${plan} started` });
    },
    finished(r: DeployReport): void {
      // Even when nothing changed: a receiver sees every started deploy end.
      const recorded = new Map(recordOf(config.stateDir, r.id)?.apps.map((a) => [a.app, a]) ?? []);
      const outcome = new Map(r.apps.map((a) => [a.app, a.result]));
      const apps = [...new Set([...appNames, ...outcome.keys()])].map((app) => {
        const h = recorded.get(app);
        return { app, result: outcome.get(app) ?? 'unchanged', ...(h?.digest ? { revision: h.revision, digest: h.digest } : {}) };
      });
      const failed = r.apps.filter((a) => a.result === 'failed');
      const why = failed.map((a) => `${a.app}: ${a.error}`).join('; ');
      emitEvent(config, {
        ...base, type: deployEventType(kind, r.result), deploy: r.id, apps,
        ...(apps.length === 1 ? { app: apps[0]!.app } : {}),
        message: `${verb} of ${plan} ${r.result}${why ? `: ${why}` : ''}${note && r.result === 'ok' ? ` (${note})` : ''}`,
      });
    },
    threw(err: unknown): void {
      emitEvent(config, { ...base, type: 'deploy.failed', ...named, message: `${verb} of ${plan} failed: ${(err as Error)?.message ?? String(err)}` });
    },
  };
}

/** The history's record of this deploy (revisions and digests), when it was recorded. */
function recordOf(stateDir: string, id: string): DeployRecord | undefined {
  try {
    return new History(stateDir, () => undefined).list().reverse().find((rec) => rec.id === id);
  } catch {
    return undefined;
  }
}
