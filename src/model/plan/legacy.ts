import { checkApps } from './checks.js';
import { APP_NAME, DEFAULT_DOMAIN, DEFAULT_HEALTH, durationMs, MESSAGES as M, NODE_NAME } from './fields.js';
import { byName, timeoutsSpec } from './normalise.js';
import { pathString, sortErrors, type AppSpec, type ParsedPlan, type PathSegment, type PlanError, type PlanSource } from './types.js';

interface Token {
  text: string;
  col: number;
}

interface Entry {
  line: number;
  app: Token;
  node: Token;
  ext: Token;
  int: Token;
}

const FIELDS = 'expected "app node ext-port int-port" separated by tabs or blanks';

function tokens(line: string): Token[] {
  const out: Token[] = [];
  const re = /[^\s]+/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push({ text: m[0], col: m.index + 1 });
  return out;
}

function legacySource(file: string, places: Map<string, { line: number; col: number }>): PlanSource {
  return {
    file,
    locate(path: readonly PathSegment[]) {
      for (let n = path.length; n > 0; n--) {
        const at = places.get(pathString(path.slice(0, n)));
        if (at) return at;
      }
      return { line: 1, col: 1 };
    },
  };
}

/** The app as the old format means it: pinned to its nodes, one fixed host port, routed by /<app>/. */
function legacyApp(name: string, entries: Entry[]): AppSpec {
  const nodes = entries.map((e) => e.node.text);
  return {
    name,
    image: `cloud/${name}:latest`,
    port: Number(entries[0].int.text),
    replicas: nodes.length,
    hosts: [`${name}.${DEFAULT_DOMAIN}`],
    paths: [`/${name}/`],
    health: { ...DEFAULT_HEALTH, intervalMs: durationMs(DEFAULT_HEALTH.interval), timeoutMs: durationMs(DEFAULT_HEALTH.timeout) },
    director: 'round_robin',
    env: {},
    nodes,
    maxPerNode: 1,
    hostPort: Number(entries[0].ext.text),
    timeouts: timeoutsSpec(),
  };
}

/** Reads the legacy `app<TAB>node<TAB>ext-port<TAB>int-port` plan; `#` starts a comment. */
export function parseLegacyPlan(text: string, file: string): ParsedPlan {
  const errors: PlanError[] = [];
  const places = new Map<string, { line: number; col: number }>();
  const source = legacySource(file, places);
  const bad = (line: number, tok: Token, path: PathSegment[], message: string) =>
    errors.push({ file, line, col: tok.col, path: pathString(path), message });
  const byApp = new Map<string, Entry[]>();
  const portOwner = new Map<string, Entry>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const hash = raw.indexOf('#');
    const t = tokens(hash < 0 ? raw : raw.slice(0, hash));
    if (t.length === 0) return;
    if (t.length !== 4) return bad(line, t[0], [], `${FIELDS}, got ${t.length} field${t.length === 1 ? '' : 's'}`);
    const e: Entry = { line, app: t[0], node: t[1], ext: t[2], int: t[3] };
    const name = e.app.text;
    if (!APP_NAME.test(name)) return bad(line, e.app, ['apps', name], `${M.appName}, got ${JSON.stringify(name)}`);
    const list = byApp.get(name) ?? [];
    const at = (...rest: PathSegment[]): PathSegment[] => ['apps', name, ...rest];
    const before = errors.length;
    if (!NODE_NAME.test(e.node.text)) bad(line, e.node, at('nodes', list.length), `${M.nodeName}, got ${JSON.stringify(e.node.text)}`);
    for (const [tok, field, label] of [[e.ext, 'hostPort', 'ext-port'], [e.int, 'port', 'int-port']] as const) {
      if (!/^[0-9]{1,5}$/.test(tok.text) || Number(tok.text) < 1 || Number(tok.text) > 65535) {
        bad(line, tok, at(field), `${label}: ${M.port}, got ${tok.text}`);
      }
    }
    if (errors.length > before) return;
    const first = list[0];
    const same = list.find((x) => x.node.text.toLowerCase() === e.node.text.toLowerCase());
    if (same) return bad(line, e.node, at('nodes', list.length), `app ${name} is already on node ${same.node.text} (line ${same.line})`);
    if (first && Number(first.int.text) !== Number(e.int.text)) {
      return bad(line, e.int, at('port'), `int-port ${e.int.text} conflicts with ${first.int.text} at line ${first.line}`);
    }
    if (first && Number(first.ext.text) !== Number(e.ext.text)) {
      return bad(line, e.ext, at('hostPort'), `ext-port ${e.ext.text} differs from ${first.ext.text} at line ${first.line}; an app has one host port`);
    }
    const key = `${e.node.text.toLowerCase()}:${Number(e.ext.text)}`;
    const owner = portOwner.get(key);
    if (owner) return bad(line, e.ext, at('hostPort'), `port ${e.ext.text} on ${e.node.text} is already taken by ${owner.app.text} (line ${owner.line})`);
    portOwner.set(key, e);
    if (!first) {
      places.set(pathString(at()), { line, col: e.app.col });
      places.set(pathString(at('hostPort')), { line, col: e.ext.col });
      places.set(pathString(at('port')), { line, col: e.int.col });
    }
    places.set(pathString(at('nodes', list.length)), { line, col: e.node.col });
    list.push(e);
    byApp.set(name, list);
  });
  const apps = [...byApp].map(([name, entries]) => legacyApp(name, entries));
  errors.push(...checkApps(apps, new Map(), source, { hostPorts: false }));
  apps.sort(byName);
  const plan = errors.length === 0 ? { file, format: 'legacy' as const, domain: DEFAULT_DOMAIN, apps } : null;
  return { plan, errors: sortErrors(errors), source };
}
