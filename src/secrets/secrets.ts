import { UserError } from '../errors.js';
import { PlanStore } from '../adapters/store/plans.js';
import { SecretStore, type SecretEntry } from '../adapters/store/secrets.js';
import type { StoreWarn } from '../adapters/store/atomic.js';
import { badSecretValue, secretFingerprint, SECRET_NAME, SECRET_NAME_MESSAGE } from '../model/secrets.js';

export interface SecretRow extends SecretEntry {
  /** deployed apps that name it, as `plan/app` */
  usedBy: string[];
}

function checkName(name: string, plan?: string): void {
  if (!SECRET_NAME.test(name)) throw new UserError(`NAME ${JSON.stringify(name)}: ${SECRET_NAME_MESSAGE}`);
  if (plan !== undefined && !PLAN_NAME.test(plan)) throw new UserError(`--plan ${JSON.stringify(plan.slice(0, 64))}: a plan name is letters, digits, "_", "." and "-"`);
}

/** A plan's own value of a secret is kept under `PLAN/NAME` (a secret name has no `/`); the global one under NAME. */
const PLAN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
export const secretKey = (name: string, plan?: string): string => (plan === undefined ? name : `${plan}/${name}`);

/** Deployed apps by the secrets they name (`PLAN/NAME` for those whose plan has its own value, else NAME). */
function users(stateDir: string, keys: ReadonlySet<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { name: plan, plan: p } of new PlanStore(stateDir).list()) {
    for (const app of p.apps) {
      for (const s of app.secrets ?? []) {
        const key = keys.has(secretKey(s, plan)) ? secretKey(s, plan) : s;
        out.set(key, [...(out.get(key) ?? []), `${plan}/${app.name}`]);
      }
    }
  }
  return out;
}

const keysOf = (store: SecretStore): Set<string> => new Set(store.list().map((e) => e.name));

/**
 * Stores (or replaces) a secret, global or only for one plan's apps (`plan`: wins over the global
 * one for them); says whether it replaced one. The value is never echoed, not even in errors.
 */
export function setSecret(stateDir: string, name: string, value: string, warn?: StoreWarn, plan?: string): { replaced: boolean; usedBy: string[] } {
  checkName(name, plan);
  const shown = secretKey(name, plan);
  const bad = badSecretValue(value);
  if (bad) throw new UserError(`secret ${shown}: ${bad} (the value is read from stdin)`);
  const store = new SecretStore(stateDir, warn);
  const replaced = store.has(shown);
  store.set(shown, value);
  return { replaced, usedBy: users(stateDir, keysOf(store)).get(shown) ?? [] };
}

export function listSecrets(stateDir: string, warn?: StoreWarn): SecretRow[] {
  const store = new SecretStore(stateDir, warn);
  const used = users(stateDir, keysOf(store));
  return store.list().map((e) => ({ ...e, usedBy: used.get(e.name) ?? [] }));
}

/** Removes a secret (global, or a plan's own); one that deployed apps use only with `force` (their next deploy would fail without it). */
export function removeSecret(stateDir: string, name: string, force: boolean, warn?: StoreWarn, plan?: string): { usedBy: string[] } {
  checkName(name, plan);
  const shown = secretKey(name, plan);
  const store = new SecretStore(stateDir, warn);
  const keys = keysOf(store);
  // A plan's app that loses its own value falls back on the global one: only apps left with none count.
  const usedBy = (users(stateDir, keys).get(shown) ?? []).filter((u) => plan === undefined || !keys.has(name));
  if (usedBy.length && !force) {
    throw new UserError(`secret ${shown} is used by ${usedBy.join(', ')}: their next deploy would fail without it (--force removes it anyway)`);
  }
  if (!store.remove(shown)) throw new UserError(`secret ${shown} is not set`);
  return { usedBy };
}

/** What a deploy needs of the store: the values of the secrets its apps name, and their fingerprints for the revisions. */
export interface DeploySecrets {
  /** app -> env vars from secrets */
  envOf(app: string): Record<string, string>;
  fingerprints: Map<string, string>;
  /** every value handed out, to keep them out of messages */
  values: string[];
  /** names the plan uses that are not set */
  missing: { app: string; index: number; name: string }[];
}

/** The values for the plan `plan`'s apps: its own value of a name (`PLAN/NAME`) where it has one, else the global one. */
export function deploySecrets(stateDir: string, apps: readonly { name: string; secrets?: string[] }[], warn?: StoreWarn, plan?: string): DeploySecrets {
  const names = new Set(apps.flatMap((a) => a.secrets ?? []));
  const empty: DeploySecrets = { envOf: () => ({}), fingerprints: new Map(), values: [], missing: [] };
  if (names.size === 0) return empty;
  const store = new SecretStore(stateDir, warn);
  const keys = keysOf(store);
  const keyOf = (n: string) => (plan !== undefined && keys.has(secretKey(n, plan)) ? secretKey(n, plan) : n);
  const byKey = store.values([...names].map(keyOf).filter((k) => keys.has(k)));
  const values = new Map([...names].filter((n) => byKey.has(keyOf(n))).map((n) => [n, byKey.get(keyOf(n))!]));
  const missing = apps.flatMap((a) => (a.secrets ?? []).map((name, index) => ({ app: a.name, index, name })).filter((m) => !values.has(m.name)));
  const byApp = new Map(apps.map((a) => [a.name, a.secrets ?? []]));
  return {
    envOf: (app) => Object.fromEntries((byApp.get(app) ?? []).filter((n) => values.has(n)).map((n) => [n, values.get(n)!])),
    fingerprints: new Map([...values].map(([n, v]) => [n, secretFingerprint(store.key, n, v)])),
    values: [...values.values()],
    missing,
  };
}
