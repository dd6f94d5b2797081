import assert from 'node:assert/strict';
import { test } from 'node:test';
import { routeChanges } from '../../src/model/route-changes.js';
import type { RouteApp, RoutingTable } from '../../src/model/routing.js';

const app = (name: string, ports: number[], hosts = [`${name}.matrix.test`]): RouteApp => ({
  name, hosts, paths: [], director: 'round_robin', health: { path: '/', intervalMs: 2000, timeoutMs: 1000 },
  backends: ports.map((port, i) => ({ container: `${name}-${i}`, node: `node${i + 1}`, address: `10.77.0.20${i + 1}`, port })),
});
const table = (...apps: RouteApp[]): RoutingTable => ({ apps });

test('the same routing gives no lines, whatever the order of backends', () => {
  const a = app('web', [32768, 32769]);
  const b = { ...a, backends: [...a.backends].reverse() };
  assert.deepEqual(routeChanges(table(a), table(b)), []);
});

test('a backend on a new port is one line with what came and what went', () => {
  const before = table(app('web', [32768, 32769]), app('api', [40000]));
  const after = table(app('web', [32768, 32771]), app('api', [40000]));
  assert.deepEqual(routeChanges(before, after), ['web: + node2/web-1 10.77.0.202:32771, - node2/web-1 10.77.0.202:32769']);
});

test('the last backend gone says 503; new and removed apps are told; no previous table routes everything', () => {
  assert.deepEqual(routeChanges(table(app('web', [1])), table(app('web', []))), ['web: - node1/web-0 10.77.0.201:1 (no backend left: 503)']);
  assert.deepEqual(routeChanges(table(app('old', [1])), table(app('new', [2]))), [
    'new: routed to node1/new-0 10.77.0.201:2',
    'old: no longer routed',
  ]);
  assert.deepEqual(routeChanges(null, table(app('web', [])), ), ['web: routed to no backend (503)']);
});

test('two apps of the same name on different hosts are told apart', () => {
  const before = table(app('web', [1], ['a.test']), app('web', [2], ['b.test']));
  const after = table(app('web', [1], ['a.test']), app('web', [3], ['b.test']));
  assert.deepEqual(routeChanges(before, after), ['web: + node1/web-0 10.77.0.201:3, - node1/web-0 10.77.0.201:2']);
});
