import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlan } from '../../src/model/plan.js';
import { routingTable } from '../../src/model/routes.js';
import { readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { renderVcl } from '../../src/model/vcl.js';

const yaml = `domain: matrix.test
apps:
  web:
    image: cloud/web:1
    replicas: 2
    timeouts: { connect: 500ms, firstByte: 1m }
    maxConnections: 64
  api:
    image: cloud/api:1
`;

test('timeouts and maxConnections: as written, defaults for what is left out', () => {
  const { plan, errors } = parsePlan(yaml, 'router.yaml');
  assert.deepEqual(errors, []);
  const [api, web] = plan!.apps;
  assert.deepEqual(web!.timeouts, { connect: '500ms', firstByte: '1m', betweenBytes: '30s', connectMs: 500, firstByteMs: 60_000, betweenBytesMs: 30_000 });
  assert.equal(web!.maxConnections, 64);
  assert.deepEqual(api!.timeouts, { connect: '2s', firstByte: '30s', betweenBytes: '30s', connectMs: 2000, firstByteMs: 30_000, betweenBytesMs: 30_000 });
  assert.equal(api!.maxConnections, undefined);
});

test('the legacy plan gets the default timeouts and no connection limit', () => {
  const { plan } = parsePlan('web\tnode1\t8081\t8080\n', 'x.plan');
  assert.equal(plan!.apps[0]!.timeouts?.connectMs, 2000);
  assert.equal(plan!.apps[0]!.maxConnections, undefined);
});

test('the routing table carries them per app, and the VCL puts them on every backend of the app', () => {
  const { plan } = parsePlan(yaml, 'router.yaml');
  const running = (app: string, k: number) => ({
    node: `node${k}`, id: `${app}${k}`, name: `router-${app}-${k}`, app, plan: 'router', revision: 'r', image: 'i',
    state: 'running', status: 'Up', containerPort: 8080, address: `10.77.0.20${k}`, port: 32000 + k,
  });
  const table = routingTable([{ name: 'router', plan: plan! }], [running('web', 1), running('web', 2), running('api', 3)], () => true);
  const web = table.apps.find((a) => a.name === 'web')!;
  assert.deepEqual([web.timeouts, web.maxConnections], [{ connectMs: 500, firstByteMs: 60_000, betweenBytesMs: 30_000 }, 64]);
  const api = table.apps.find((a) => a.name === 'api')!;
  assert.deepEqual([api.timeouts, api.maxConnections], [{ connectMs: 2000, firstByteMs: 30_000, betweenBytesMs: 30_000 }, undefined]);
  const vcl = renderVcl(table, readVclTemplates()).replace(/\s+/g, ' ');
  assert.equal(vcl.match(/\.connect_timeout = 500ms; \.first_byte_timeout = 60000ms; \.between_bytes_timeout = 30000ms; \.max_connections = 64; \}/g)?.length, 2);
  assert.equal(vcl.match(/\.connect_timeout = 2000ms; \.first_byte_timeout = 30000ms; \.between_bytes_timeout = 30000ms; \}/g)?.length, 1);
});

test('the JSON Schema publishes both fields with their defaults', async () => {
  const { planJsonSchema } = await import('../../src/model/plan.js');
  const app = (planJsonSchema() as any).properties.apps.additionalProperties;
  assert.deepEqual(app.properties.timeouts.default, { connect: '2s', firstByte: '30s', betweenBytes: '30s' });
  assert.equal(app.properties.timeouts.additionalProperties, false);
  assert.deepEqual([app.properties.maxConnections.minimum, app.properties.maxConnections.maximum], [1, 1_000_000]);
});
