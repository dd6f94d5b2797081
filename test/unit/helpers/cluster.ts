import { diff, type DiffInput } from '../../../src/model/diff.js';
import type { AppSpec, Plan } from '../../../src/model/plan.js';
import type { Action, LiveNode, RunningContainer } from '../../../src/model/types.js';

export const PLAN = 'hello';

export function app(name: string, over: Partial<AppSpec> = {}): AppSpec {
  return {
    name, image: `cloud/${name}:1.0`, port: 8080, replicas: 1, hosts: [`${name}.matrix.test`], paths: [],
    health: { path: '/', interval: '2s', timeout: '1s', intervalMs: 2000, timeoutMs: 1000 },
    director: 'round_robin', env: {}, maxPerNode: 1, ...over,
  };
}

export function plan(apps: AppSpec[]): Plan {
  return { file: 'hello.yaml', format: 'yaml', domain: 'matrix.test', apps };
}

export function nodes(names: string[], unreachable: string[] = []): LiveNode[] {
  return names.map((name, i) => ({ name, ip: `10.77.0.${11 + i}`, reachable: !unreachable.includes(name) }));
}

export function input(p: Plan, ns: LiveNode[], containers: RunningContainer[] = [], digests = new Map<string, string>()): DiffInput {
  return { plan: p, planName: PLAN, nodes: ns, containers, digests };
}

/** What the cluster looks like after the actions ran, all of them successfully. */
export function apply(containers: RunningContainer[], actions: Action[]): RunningContainer[] {
  const stopped = new Set(actions.flatMap((a) => (a.kind === 'stop' ? [a.containerId] : [])));
  const started: RunningContainer[] = actions.flatMap((a) =>
    a.kind === 'start'
      ? [{ id: `${a.node}/${a.name}`, name: a.name, node: a.node, app: a.app, plan: PLAN, revision: a.revision, image: a.image, port: a.port, hostPort: a.hostPort, state: 'running' as const }]
      : [],
  );
  return [...containers.filter((c) => !stopped.has(c.id)), ...started];
}

export function converge(i: DiffInput): RunningContainer[] {
  return apply([...i.containers], diff(i).actions);
}

export function kinds(actions: Action[]): string[] {
  return actions.map((a) => `${a.kind} ${a.app}@${a.node}${a.kind === 'stop' ? ` ${a.reason}` : ''}`);
}
