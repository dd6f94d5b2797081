import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CloudContainer } from '../../src/model/cloud-container.js';
import { routeKey, routeKeys, routingTable, untilSwitched } from '../../src/model/routes.js';
import { validateRoutingTable } from '../../src/model/routing.js';
import { readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { renderVcl } from '../../src/model/vcl.js';
import { app, plan } from './helpers/cluster.js';

function container(over: Partial<CloudContainer>): CloudContainer {
  return {
    node: 'node1', id: 'id', name: 'hello-web-0', app: 'web', plan: 'hello', revision: 'r', image: 'i',
    state: 'running', status: 'Up', containerPort: 8080, address: '10.77.0.201', port: 32000, ...over,
  };
}

const all = () => true;

describe('routing table from plans and containers', () => {
  const plans = [{ name: 'hello', plan: plan([app('web', { paths: ['/web/'], director: 'hash', hashBy: 'url' }), app('api')]) }];

  it('routes each app of each plan to its running, published containers, in a stable order', () => {
    const table = routingTable(plans, [
      container({ node: 'node2', id: 'b', name: 'hello-web-1', address: '10.77.0.202', port: 32001 }),
      container({ node: 'node1', id: 'a' }),
      container({ node: 'node3', id: 'c', state: 'exited' }),
      container({ node: 'node3', id: 'd', address: null, port: null }),
      container({ node: 'node1', id: 'e', plan: 'other' }),
      container({ node: 'node1', id: 'f', app: 'api', name: 'hello-api-0', port: 32002 }),
    ], all);
    assert.deepEqual(table.apps.map((a) => a.name), ['web', 'api'], 'in plan order');
    const web = table.apps.find((a) => a.name === 'web')!;
    assert.deepEqual(web.backends, [
      { container: 'hello-web-0', node: 'node1', address: '10.77.0.201', port: 32000 },
      { container: 'hello-web-1', node: 'node2', address: '10.77.0.202', port: 32001 },
    ]);
    assert.equal(web.director, 'hash');
    assert.equal(web.hashBy, 'url');
    assert.deepEqual(web.paths, ['/web/']);
    assert.deepEqual(web.health, { path: '/', intervalMs: 2000, timeoutMs: 1000 });
    validateRoutingTable(table);
  });

  it('takes the backends of an app from an override (a deploy switching it) and leaves the others', () => {
    const override = new Map([[routeKey('hello', 'web'), [{ container: 'new', node: 'node3', address: '10.77.0.203', port: 33000 }]]]);
    const table = routingTable(plans, [container({}), container({ id: 'f', app: 'api', name: 'hello-api-0' })], all, override);
    assert.deepEqual(table.apps.find((a) => a.name === 'web')!.backends.map((b) => b.container), ['new']);
    assert.equal(table.apps.find((a) => a.name === 'api')!.backends.length, 1);
  });

  it('never routes a container that is not known-good (an orphan of a crashed deploy)', () => {
    const good = new Set(['a']);
    const table = routingTable(plans, [
      container({ node: 'node1', id: 'a' }),
      container({ node: 'node2', id: 'orphan', name: 'hello-web-1', address: '10.77.0.202', port: 32001 }),
    ], (id) => good.has(id));
    assert.deepEqual(table.apps.find((a) => a.name === 'web')!.backends.map((b) => b.container), ['hello-web-0']);
  });

  it('gives an app without containers no backends, and that still renders', () => {
    const table = routingTable(plans, [], all);
    assert.ok(table.apps.every((a) => a.backends.length === 0));
    assert.match(renderVcl(table, readVclTemplates()), /^vcl 4\.0;/m);
  });
});

describe('what a deploy\'s switches route', () => {
  const before = [{ name: 'hello', plan: plan([app('web'), app('down')]) }];
  const after = [{ name: 'hello', plan: plan([app('web'), app('down'), app('fresh'), app('later')]) }, { name: 'other', plan: plan([app('web')]) }];
  const running = [container({ id: 'a' })];
  const names = (t: ReturnType<typeof routingTable>) => t.apps.map((a) => `${a.plan}/${a.name}`);

  it('an app new to routing stays out until its own switch; every app routed before stays, even with no backends', () => {
    const old = routeKeys(routingTable(before, running, all));
    const none = untilSwitched(routingTable(after, running, all), old, new Set());
    assert.deepEqual(names(none), ['hello/web', 'hello/down']);
    const switched = new Map([[routeKey('hello', 'fresh'), [{ container: 'f', node: 'node1', address: '10.77.0.201', port: 33001 }]]]);
    const one = untilSwitched(routingTable(after, running, all, switched), old, switched);
    assert.deepEqual(names(one), ['hello/web', 'hello/down', 'hello/fresh']);
    assert.equal(one.apps[2]!.backends.length, 1);
  });

  it('an app of the same name in another plan is another app', () => {
    const old = routeKeys(routingTable(before, running, all));
    const t = untilSwitched(routingTable(after, running, all), old, new Set([routeKey('hello', 'later')]));
    assert.ok(!names(t).includes('other/web'));
    assert.ok(names(t).includes('hello/later'));
  });

  it('nothing new: the same table', () => {
    const t = routingTable(before, running, all);
    assert.equal(untilSwitched(t, routeKeys(t), new Set()), t);
  });
});

