import { appSchema, planSchema, type RawApp } from './schema.js';
import { checkApps, type Written } from './checks.js';
import { issueErrors } from './issues.js';
import { byName, normaliseApp } from './normalise.js';
import { APP_NAME, DEFAULT_DOMAIN, HOSTNAME } from './fields.js';
import { yamlSource } from './yaml-source.js';
import { planError, sortErrors, type AppSpec, type ParsedPlan } from './types.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Apps that pass the schema on their own, so cross-app rules run even when others fail. */
function validApps(raw: unknown): [string, RawApp][] {
  const apps = isObj(raw) && isObj(raw.apps) ? raw.apps : {};
  const out: [string, RawApp][] = [];
  for (const [name, value] of Object.entries(apps)) {
    const r = appSchema.safeParse(value);
    if (r.success && APP_NAME.test(name)) out.push([name, r.data]);
  }
  return out;
}

function writtenOf(raw: unknown, name: string): Written {
  const app = isObj(raw) && isObj(raw.apps) && isObj(raw.apps[name]) ? raw.apps[name] : {};
  return {
    hosts: app.hosts !== undefined, hashBy: app.hashBy !== undefined, maxPerNode: app.maxPerNode !== undefined, backup: app.backup !== undefined,
    health: isObj(app.health) ? Object.keys(app.health) : [], port: app.port !== undefined,
    replicas: app.replicas !== undefined, volumes: app.volumes !== undefined,
  };
}

/** A plan in YAML or JSON: schema errors, then the rules across fields, all collected. */
export function parseYamlPlan(text: string, file: string): ParsedPlan {
  const source = yamlSource(text, file);
  if (source.doc.errors.length > 0) return { plan: null, errors: sortErrors(source.errors), source };
  const errors = [...source.errors];
  if (source.doc.contents === null) {
    errors.push(planError(source, [], 'the plan is empty: expected a map with domain and apps'));
    return { plan: null, errors, source };
  }
  let raw: unknown;
  try {
    raw = source.doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    errors.push(planError(source, [], `YAML: ${(err as Error).message}`));
    return { plan: null, errors, source };
  }
  const parsed = planSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) errors.push(...issueErrors(parsed.error.issues, source));
  const rawDomain = isObj(raw) && typeof raw.domain === 'string' && HOSTNAME.test(raw.domain) ? raw.domain : DEFAULT_DOMAIN;
  const domain = (parsed.success ? parsed.data.domain : rawDomain).toLowerCase();
  const entries = parsed.success ? Object.entries(parsed.data.apps) : validApps(raw);
  const apps: AppSpec[] = entries.map(([name, app]) => normaliseApp(name, app, domain, writtenOf(raw, name).port));
  const written = new Map(apps.map((a) => [a.name, writtenOf(raw, a.name)]));
  errors.push(...checkApps(apps, written, source, { hostPorts: true }));
  apps.sort(byName);
  const plan = errors.length === 0 ? { file, format: 'yaml' as const, domain, apps } : null;
  return { plan, errors: sortErrors(errors), source };
}
