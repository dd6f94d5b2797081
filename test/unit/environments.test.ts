import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { appIdsOf, shownApp } from '../../src/model/app-ref.js';
import { crossPlanClashes } from '../../src/model/plan/cross-plan.js';
import { formatPlanError } from '../../src/model/plan/types.js';
import { appResolver } from '../../src/model/request-counters.js';
import { routingTable, type NamedPlan } from '../../src/model/routes.js';
import { renderSplitVcl, splitViews } from '../../src/model/vcl-split.js';
import { renderVcl, routeIds, vclView } from '../../src/model/vcl.js';
import { parseAppList } from '../../src/model/users/names.js';
import { can, covers, firstForbidden, type Principal } from '../../src/model/users/permissions.js';
import type { CloudContainer } from '../../src/model/cloud-container.js';
import { app, plan } from './helpers/cluster.js';

const source = { file: 'staging.yaml', locate: () => ({ line: 3, col: 5 }) };
const prod: NamedPlan = { name: 'hello', plan: plan([app('web'), app('api')]) };
const staging: NamedPlan = { name: 'staging', plan: { ...plan([app('web', { hosts: ['web.staging.matrix.test'] })]), file: 'staging.yaml' } };

function container(planName: string, name: string, node: string, address: string): CloudContainer {
  return {
    id: `${planName}-${name}-${node}`, name: `${planName}-${name}-1`, node, app: name, plan: planName, revision: 'r1', image: 'i', state: 'running',
    address, port: 30000, containerPort: 8080,
  } as CloudContainer;
}

test('cross-plan: the same app name in two plans is fine; a host or path another plan routes is refused naming both plans', () => {
  assert.deepEqual(crossPlanClashes(staging, source, [prod, staging]), []);
  const clash: NamedPlan = { name: 'staging', plan: plan([app('web', { hosts: ['api.matrix.test'], paths: ['/web/'] })]) };
  const withPath: NamedPlan = { name: 'hello', plan: plan([app('web', { paths: ['/web/'] }), app('api')]) };
  const errors = crossPlanClashes(clash, source, [withPath]).map(formatPlanError);
  assert.deepEqual(errors, [
    'staging.yaml:3:5: apps.web.hosts[0]: host "api.matrix.test" of plan "staging" is already routed to app "api" of the deployed plan "hello"',
    'staging.yaml:3:5: apps.web.paths[0]: path "/web/" of plan "staging" is already routed to app "web" of the deployed plan "hello"',
  ]);
  // its own earlier version is not another plan
  assert.deepEqual(crossPlanClashes(prod, source, [prod]), []);
});

test('VCL: an app name two plans share is told apart by its plan (identifiers, X-Cloudmatrix-App, retries); unique names render as before', () => {
  const containers = [
    container('hello', 'web', 'node1', '10.77.0.11'), container('hello', 'web', 'node2', '10.77.0.12'),
    container('staging', 'web', 'node1', '10.77.0.11'), container('staging', 'web', 'node2', '10.77.0.12'),
    container('hello', 'api', 'node1', '10.77.0.11'),
  ].map((c, i) => ({ ...c, port: 30000 + i }));
  const table = routingTable([prod, staging], containers, () => true);
  assert.deepEqual(routeIds(table.apps), ['hello/web', 'api', 'staging/web']);
  const view = vclView(table);
  assert.deepEqual(view.directors.map((d) => [d.name, d.app]), [['dr__hello__web', 'hello/web'], ['dr__api', 'api'], ['dr__staging__web', 'staging/web']]);
  assert.ok(view.backends.every((b) => b.name.startsWith(b.app === 'api' ? 'be__api__' : `be__${b.app.replace('/', '__')}__`)));
  const vcl = renderVcl(table, readVclTemplates()).replace(/\s+/g, ' ');
  assert.ok(vcl.includes('(req.http.host == "web.staging.matrix.test") { set req.http.X-Cloudmatrix-App = "staging/web"; set req.backend_hint = dr__staging__web.backend(); }'));
  assert.ok(vcl.includes('(req.http.host == "web.matrix.test") { set req.http.X-Cloudmatrix-App = "hello/web"; set req.backend_hint = dr__hello__web.backend(); }'));
  assert.ok(vcl.includes('if (bereq.http.X-Cloudmatrix-App == "hello/web")'));
  // one VCL per app: each with only its own backends, under its own label
  const split = splitViews(table);
  assert.deepEqual(split.apps.map((a) => [a.label, a.backends.length]), [['cmx-hello-web', 2], ['cmx-hello-api', 1], ['cmx-staging-web', 2]]);
  assert.ok(renderSplitVcl(table, readVclTemplates())!.apps.every((a) => a.vcl.includes(`X-Cloudmatrix-App = "${a.app}"`)));
  // a table without shared names: the same identifiers as a plan-less one
  const alone = routingTable([prod], containers, () => true);
  assert.deepEqual(vclView(alone).directors.map((d) => d.name), ['dr__web', 'dr__api']);
});

test('autoscale counters: a backend is attributed to its plan\'s app when two plans share the name', () => {
  const of = appResolver(['api', 'hello/web', 'staging/web']);
  assert.equal(of('be__hello__web__node1__30001'), 'hello/web');
  assert.equal(of('be__staging__web__node2__30003'), 'staging/web');
  assert.equal(of('be__api__node1__30004'), 'api');
  assert.equal(of('be__web__node1__30001'), null);
  assert.equal(of('cmx_unrouted'), null);
});

test('users\' apps: `app` covers it in every plan, `plan/app` only there; a deployer of staging/web cannot deploy hello/web', () => {
  assert.deepEqual(parseAppList('staging/web,api'), { apps: ['api', 'staging/web'] });
  for (const bad of ['a/b/c', '/web', 'staging/', '../web', 'staging/Web']) assert.ok('error' in parseAppList(bad), bad);
  const dev: Principal = { name: 'dev', role: 'deployer', apps: ['staging/web', 'api'] };
  assert.equal(can(dev, 'deploy', 'web', 'staging'), true);
  assert.equal(can(dev, 'deploy', 'web', 'hello'), false);
  assert.equal(can(dev, 'deploy', 'api', 'hello'), true);
  assert.equal(firstForbidden(dev, ['web'], 'hello'), 'web');
  assert.equal(firstForbidden(dev, ['web'], 'staging'), null);
  // no plan known yet (a URL's APP before the route resolves it): any entry naming the app
  assert.equal(can(dev, 'read', 'web'), true);
  fc.assert(fc.property(fc.constantFrom('a', 'b'), fc.constantFrom('x', 'y'), fc.constantFrom('a', 'b'), (p, a, q) => {
    assert.equal(covers(a, a, q), true);
    assert.equal(covers(`${p}/${a}`, a, q), p === q);
  }));
});

test('shownApp: APP alone while no other plan has it, PLAN/APP once two do', () => {
  const ids = appIdsOf([prod, staging]);
  assert.equal(shownApp({ plan: 'hello', app: 'api' }, ids), 'api');
  assert.equal(shownApp({ plan: 'staging', app: 'web' }, ids), 'staging/web');
});

test('routes table: PLAN/APP where two plans route an app of one name, the bare name elsewhere', async () => {
  const { formatRoutes } = await import('../../src/commands/routes.js');
  const row = (plan: string, app: string, host: string) => ({ app, plan, hosts: [host], paths: [], director: 'round_robin', backends: [] });
  const out = formatRoutes([row('hello', 'web', 'web.matrix.test'), row('staging', 'web', 'web.staging.matrix.test'), row('hello', 'api', 'api.matrix.test')]);
  assert.deepEqual(out.split('\n').filter((l) => !l.startsWith(' ')), [
    'hello/web (round_robin): web.matrix.test', 'staging/web (round_robin): web.staging.matrix.test', 'api (round_robin): api.matrix.test',
  ]);
});

test('autoscale: two plans with an autoscaled web; load on staging\'s backends scales staging/web only', async () => {
  const { Autoscaler } = await import('../../src/autoscale/autoscaler.js');
  const auto = { requestsPerSecond: 10, window: '4s', scaleDownDelay: '6s', windowMs: 4000, scaleDownDelayMs: 6000 };
  const web = app('web', { replicas: 1, replicaRange: { min: 1, max: 4 }, autoscale: auto, maxPerNode: 2 });
  const staged = { ...web, hosts: ['web.staging.matrix.test'] };
  let t = 0;
  let total = 0;
  const actions: { app: string; plan?: string; direction: string }[] = [];
  const scaler = new Autoscaler({
    plans: () => [{ name: 'hello', plan: plan([web]) }, { name: 'staging', plan: plan([staged]) }],
    entries: () => ({}),
    counters: { read: async () => new Map([['VBE.cmx_1_abcdef01.be__staging__web__node1__32768.req', total], ['VBE.cmx_1_abcdef01.be__hello__web__node1__32769.req', 0]]) },
    lockHolder: () => null,
    scale: async (a) => (actions.push(a), true),
    live: async () => ({ serving: 1, capacity: 6, unreachable: [] }),
    writeRates: () => undefined,
  }, { log: () => undefined, signal: new AbortController().signal, now: () => t, repairEveryMs: 1_000_000 });
  for (let i = 0; i < 3; i++) {
    t += 1000;
    total += 35;
    await scaler.tick();
    await scaler.settled();
  }
  assert.ok(actions.length > 0);
  assert.deepEqual([...new Set(actions.map((a) => `${a.plan}/${a.app} ${a.direction}`))], ['staging/web up']);
  assert.match((actions[0] as { note: string } & typeof actions[0]).note, /^autoscale staging\/web 1 -> 4: /);
});

test('API: /api/apps/PLAN%2FAPP/rollback reaches the resolver as PLAN/APP; its one-line refusal is a 400', async () => {
  const [{ default: request }, { createApp }, { FAKE_TOKEN, fakeDeps, fakeReport }, { UserError }] = await Promise.all([
    import('supertest'), import('../../src/api/app.js'), import('./helpers/fake-deps.js'), import('../../src/errors.js'),
  ]);
  const asked: string[] = [];
  const app = createApp(fakeDeps({
    prepareRollback: (name) => {
      asked.push(name);
      if (!name.includes('/')) throw new UserError(`APP: "${name}" is ambiguous: hello/web, staging/web; write PLAN/APP`);
      return { id: { plan: 'staging', app: 'web' }, description: `${name} back`, run: async () => fakeReport() };
    },
  }));
  const auth = { Authorization: `Bearer ${FAKE_TOKEN}` };
  const bare = await request(app).post('/api/apps/web/rollback').set(auth).send({}).expect(400);
  assert.deepEqual(bare.body, { error: 'APP: "web" is ambiguous: hello/web, staging/web; write PLAN/APP' });
  await request(app).post('/api/apps/a%2Fb%2Fc/rollback').set(auth).send({}).expect(400);
  await request(app).post('/api/apps/staging%2Fweb/rollback').set(auth).send({}).expect(202);
  assert.deepEqual(asked, ['web', 'staging/web']);
});
