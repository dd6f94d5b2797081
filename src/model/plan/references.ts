import type { AppSpec, PathSegment } from './types.js';

/** `${APP.host}` or `${APP.port}` in an env value: the node address or published port of APP's container. */
export interface Reference {
  app: string;
  field: 'host' | 'port';
}

export type EnvPart = string | Reference;

const TOKEN = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const REF = /^([a-z0-9][a-z0-9_-]{0,62})\.(host|port)$/;

/** An env value split into text and references (`$${` is a literal `${`), or why it cannot be. */
export function parseEnvValue(value: string): { parts: EnvPart[] } | { error: string } {
  const parts: EnvPart[] = [];
  let text = '';
  let at = 0;
  for (const m of value.matchAll(TOKEN)) {
    text += value.slice(at, m.index);
    at = m.index + m[0].length;
    if (m[0] === '$${') {
      text += '${';
      continue;
    }
    const ref = m[1] === undefined ? null : REF.exec(m[1].trim());
    if (!ref) {
      const what = m[1] === undefined ? '"${" without a closing "}"' : `\${${m[1]}}`;
      return { error: `${what}: expected \${APP.host} or \${APP.port} (write $\${ for a literal \${)` };
    }
    if (text) parts.push(text);
    text = '';
    parts.push({ app: ref[1]!, field: ref[2] as Reference['field'] });
  }
  text += value.slice(at);
  if (text || parts.length === 0) parts.push(text);
  return { parts };
}

/** Every reference of an app's env, with the env key it is in (keys sorted). */
export function referencesOf(app: Pick<AppSpec, 'env'>): { key: string; ref: Reference }[] {
  const out: { key: string; ref: Reference }[] = [];
  for (const key of Object.keys(app.env).sort()) {
    const r = parseEnvValue(app.env[key]!);
    if ('parts' in r) for (const p of r.parts) if (typeof p !== 'string') out.push({ key, ref: p });
  }
  return out;
}

/** The apps an app references, sorted, each once. */
export function dependenciesOf(app: Pick<AppSpec, 'env'>): string[] {
  return [...new Set(referencesOf(app).map((r) => r.ref.app))].sort();
}

type Report = (path: PathSegment[], message: string) => void;

/**
 * References must name another app of the plan that runs one replica, and must not go round in a
 * cycle. Apps in file order; a cycle is reported once, at the first of its apps in the file.
 */
export function checkReferences(apps: readonly AppSpec[], bad: Report): void {
  const byName = new Map(apps.map((a) => [a.name, a]));
  for (const app of apps) {
    for (const key of Object.keys(app.env)) {
      const parsed = parseEnvValue(app.env[key]!);
      const at: PathSegment[] = ['apps', app.name, 'env', key];
      if ('error' in parsed) {
        bad(at, parsed.error);
        continue;
      }
      for (const p of parsed.parts) {
        if (typeof p === 'string') continue;
        const target = byName.get(p.app);
        if (p.app === app.name) bad(at, `\${${p.app}.${p.field}}: an app cannot reference itself`);
        else if (!target) bad(at, `\${${p.app}.${p.field}}: no app ${p.app} in this plan`);
        else if (target.replicaRange || target.replicas !== 1) {
          bad(at, `\${${p.app}.${p.field}}: app ${p.app} must run exactly one replica to be referenced (it has ${target.replicaRange ? 'a range of replicas' : `replicas: ${target.replicas}`})`);
        }
      }
    }
  }
  const reported = new Set<string>();
  for (const app of apps) {
    if (reported.has(app.name)) continue;
    const cycle = cycleFrom(app.name, byName);
    if (!cycle) continue;
    for (const n of cycle) reported.add(n);
    const key = referencesOf(app).find((r) => r.ref.app === cycle[1])?.key;
    bad(['apps', app.name, 'env', ...(key ? [key] : [])], `references go round in a cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  }
}

/** A cycle through `start` (start first), or null. */
function cycleFrom(start: string, apps: ReadonlyMap<string, Pick<AppSpec, 'env'>>): string[] | null {
  const path: string[] = [];
  const seen = new Set<string>();
  const walk = (name: string): string[] | null => {
    if (name === start && path.length > 0) return [...path];
    if (seen.has(name) || !apps.has(name)) return null;
    seen.add(name);
    path.push(name);
    for (const dep of dependenciesOf(apps.get(name)!)) {
      if (dep === name) continue;
      const found = walk(dep);
      if (found) return found;
    }
    path.pop();
    return null;
  };
  return walk(start);
}

/**
 * The order to deploy in: waves of apps, each referencing only apps of earlier waves (sorted by
 * name within a wave). Assumes no cycles (checkReferences); references to unknown apps are ignored.
 */
export function dependencyWaves(apps: readonly Pick<AppSpec, 'name' | 'env'>[]): string[][] {
  const names = new Set(apps.map((a) => a.name));
  const deps = new Map(apps.map((a) => [a.name, dependenciesOf(a).filter((d) => names.has(d) && d !== a.name)]));
  const placed = new Set<string>();
  const waves: string[][] = [];
  while (placed.size < names.size) {
    const wave = [...names].filter((n) => !placed.has(n) && deps.get(n)!.every((d) => placed.has(d))).sort();
    if (wave.length === 0) {
      waves.push([...names].filter((n) => !placed.has(n)).sort());
      break;
    }
    for (const n of wave) placed.add(n);
    waves.push(wave);
  }
  return waves;
}

export interface ServiceAddress {
  host: string;
  port: number;
}

/** An app's env with every reference replaced; throws naming the first app with no address. */
export function resolveEnv(env: Readonly<Record<string, string>>, addresses: ReadonlyMap<string, ServiceAddress>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(env)) {
    const parsed = parseEnvValue(env[key]!);
    if ('error' in parsed) throw new Error(`env ${key}: ${parsed.error}`);
    out[key] = parsed.parts
      .map((p) => {
        if (typeof p === 'string') return p;
        const a = addresses.get(p.app);
        if (!a) throw new UnresolvedReference(p.app);
        return p.field === 'host' ? a.host : String(a.port);
      })
      .join('');
  }
  return out;
}

export class UnresolvedReference extends Error {
  constructor(readonly app: string) {
    super(`app ${app} has no running healthy container to reference`);
  }
}
