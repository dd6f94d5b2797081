import { UserError } from '../errors.js';
import { PlanStore } from '../adapters/store/plans.js';
import { SecretStore, type SecretEntry } from '../adapters/store/secrets.js';
import type { StoreWarn } from '../adapters/store/atomic.js';
import { badSecretValue, secretFingerprint, SECRET_NAME, SECRET_NAME_MESSAGE } from '../model/secrets.js';

export interface SecretRow extends SecretEntry {
  /** deployed apps that name it, as `plan/app` */
  usedBy: string[];
}

function checkName(name: string): void {
  if (!SECRET_NAME.test(name)) throw new UserError(`NAME ${JSON.stringify(name)}: ${SECRET_NAME_MESSAGE}`);
}

/** Deployed apps by the secrets they name. */
function users(stateDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { name: plan, plan: p } of new PlanStore(stateDir).list()) {
    for (const app of p.apps) for (const s of app.secrets ?? []) out.set(s, [...(out.get(s) ?? []), `${plan}/${app.name}`]);
  }
  return out;
}

/** Stores (or replaces) a secret; says whether it replaced one. The value is never echoed, not even in errors. */
export function setSecret(stateDir: string, name: string, value: string, warn?: StoreWarn): { replaced: boolean; usedBy: string[] } {
  checkName(name);
  const bad = badSecretValue(value);
  if (bad) throw new UserError(`secret ${name}: ${bad} (the value is read from stdin)`);
  const store = new SecretStore(stateDir, warn);
  const replaced = store.has(name);
  store.set(name, value);
  return { replaced, usedBy: users(stateDir).get(name) ?? [] };
}

export function listSecrets(stateDir: string, warn?: StoreWarn): SecretRow[] {
  const used = users(stateDir);
  return new SecretStore(stateDir, warn).list().map((e) => ({ ...e, usedBy: used.get(e.name) ?? [] }));
}

/** Removes a secret; one that deployed apps use only with `force` (their next deploy would fail without it). */
export function removeSecret(stateDir: string, name: string, force: boolean, warn?: StoreWarn): { usedBy: string[] } {
  checkName(name);
  const usedBy = users(stateDir).get(name) ?? [];
  if (usedBy.length && !force) {
    throw new UserError(`secret ${name} is used by ${usedBy.join(', ')}: their next deploy would fail without it (--force removes it anyway)`);
  }
  if (!new SecretStore(stateDir, warn).remove(name)) throw new UserError(`secret ${name} is not set`);
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

export function deploySecrets(stateDir: string, apps: readonly { name: string; secrets?: string[] }[], warn?: StoreWarn): DeploySecrets {
  const names = new Set(apps.flatMap((a) => a.secrets ?? []));
  const empty: DeploySecrets = { envOf: () => ({}), fingerprints: new Map(), values: [], missing: [] };
  if (names.size === 0) return empty;
  const store = new SecretStore(stateDir, warn);
  const values = store.values(names);
  const missing = apps.flatMap((a) => (a.secrets ?? []).map((name, index) => ({ app: a.name, index, name })).filter((m) => !values.has(m.name)));
  const byApp = new Map(apps.map((a) => [a.name, a.secrets ?? []]));
  return {
    envOf: (app) => Object.fromEntries((byApp.get(app) ?? []).filter((n) => values.has(n)).map((n) => [n, values.get(n)!])),
    fingerprints: new Map([...values].map(([n, v]) => [n, secretFingerprint(store.key, n, v)])),
    values: [...values.values()],
    missing,
  };
}
