import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { checkPlanNodes, formatPlanError, isLegacyPlan, parsePlan } from '../../src/model/plan.js';

const read = (f: string) => readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8');

test('plans/hello.yaml: three apps, defaults filled in', () => {
  const { plan, errors } = parsePlan(read('plans/hello.yaml'), 'plans/hello.yaml');
  assert.deepEqual(errors, []);
  assert.ok(plan);
  assert.equal(plan.domain, 'matrix.test');
  assert.deepEqual(plan.apps.map((a) => [a.name, a.replicas]), [['hostinfo', 3], ['simplewebapp1', 2], ['simplewebapp2', 2]]);
  assert.deepEqual(plan.apps[1], {
    name: 'simplewebapp1',
    image: 'cloud/simplewebapp1:1.0',
    port: 8080,
    replicas: 2,
    hosts: ['simplewebapp1.matrix.test'],
    paths: ['/simplewebapp1/'],
    health: { path: '/', interval: '2s', timeout: '1s', intervalMs: 2000, timeoutMs: 1000 },
    director: 'round_robin',
    env: {},
    maxPerNode: 1,
    timeouts: { connect: '2s', firstByte: '30s', betweenBytes: '30s', connectMs: 2000, firstByteMs: 30_000, betweenBytesMs: 30_000 },
  });
  assert.deepEqual(plan.apps[0].env, { GREETING: 'hello from the plan' });
});

test('plans/applications.plan: legacy means pinned nodes, fixed host ports, path routing', () => {
  const { plan, errors } = parsePlan(read('plans/applications.plan'), 'plans/applications.plan');
  assert.deepEqual(errors, []);
  assert.ok(plan);
  assert.equal(plan.format, 'legacy');
  const [a, b] = plan.apps;
  assert.deepEqual(
    [a.name, a.image, a.nodes, a.hostPort, a.port, a.replicas, a.paths, a.hosts, a.health.path, a.maxPerNode],
    ['simplewebapp1', 'cloud/simplewebapp1:latest', ['node1'], 8081, 8080, 1, ['/simplewebapp1/'], ['simplewebapp1.matrix.test'], '/', 1],
  );
  assert.deepEqual([b.name, b.nodes, b.hostPort], ['simplewebapp2', ['node2'], 8082]);
});

test('legacy: one app on several nodes, runs of blanks, comments, CRLF', () => {
  const text = '# header\r\n\r\nweb \t node1\t\t8081   8080 # first\r\n  web\tnode2\t8081\t8080\r\n';
  const { plan, errors } = parsePlan(text, 'x.plan');
  assert.deepEqual(errors, []);
  assert.deepEqual(plan?.apps.map((a) => [a.name, a.nodes, a.replicas, a.hostPort]), [['web', ['node1', 'node2'], 2, 8081]]);
});

test('JSON plans parse like YAML, with positions', () => {
  const ok = parsePlan('{"apps": {"web": {"image": "cloud/web:1.0", "hosts": ["WWW.Matrix.Test"]}}}', 'p.json');
  assert.deepEqual(ok.plan?.apps[0].hosts, ['www.matrix.test']);
  const bad = parsePlan('{\n  "apps": {\n    "web": {"image": "cloud/web:1.0", "replicas": -2}\n  }\n}', 'p.json');
  assert.deepEqual(bad.errors.map(formatPlanError), ['p.json:3:39: apps.web.replicas: expected a whole number >= 0, got -2']);
});

test('images are normalised: latest when untagged, a registry host kept', () => {
  const text = 'apps:\n  a: { image: cloud/a }\n  b: { image: "10.77.0.1:5000/cloud/b:2" }\n  c: { image: "cloud/c@sha256:' + 'a'.repeat(64) + '" }\n';
  const { plan } = parsePlan(text, 'p.yaml');
  assert.deepEqual(plan?.apps.map((a) => a.image), ['cloud/a:latest', '10.77.0.1:5000/cloud/b:2', `cloud/c@sha256:${'a'.repeat(64)}`]);
});

test('director hash gets hashBy client by default; other directors none', () => {
  const { plan } = parsePlan('apps:\n  a: { image: cloud/a:1, director: hash }\n  b: { image: cloud/b:1, director: hash, hashBy: url }\n  c: { image: cloud/c:1 }\n', 'p.yaml');
  assert.deepEqual(plan?.apps.map((a) => a.hashBy), ['client', 'url', undefined]);
});

test('a domain changes the default hosts; zero replicas and empty apps are valid', () => {
  const { plan } = parsePlan('domain: Example.ORG\napps:\n  web: { image: cloud/web:1, replicas: 0 }\n', 'p.yaml');
  assert.equal(plan?.domain, 'example.org');
  assert.deepEqual(plan?.apps[0].hosts, ['web.example.org']);
  assert.deepEqual(parsePlan('apps: {}\n', 'p.yaml').plan?.apps, []);
});

test('the format is told by extension, else by look', () => {
  assert.equal(isLegacyPlan('', 'a.plan'), true);
  assert.equal(isLegacyPlan('web\tnode1\t1\t2', 'a.yaml'), false);
  assert.equal(isLegacyPlan('# c\nweb\tnode1\t8081\t8080\n', 'stdin'), true);
  assert.equal(isLegacyPlan('apps:\n  web: {}', 'stdin'), false);
});

test('checkPlanNodes: nodes: entries must be in the inventory, with the entry line', () => {
  const text = 'apps:\n  web:\n    image: cloud/web:1\n    nodes:\n      - node1\n      - nodee2\n  api:\n    image: cloud/api:1\n';
  const { plan, source } = parsePlan(text, 'p.yaml');
  assert.ok(plan);
  const errors = checkPlanNodes(plan, source, ['Node1', 'node2', 'node3']);
  assert.deepEqual(errors.map(formatPlanError), [
    'p.yaml:6:9: apps.web.nodes[1]: node nodee2 is not in the inventory (did you mean node2?) (known: Node1, node2, node3)',
  ]);
});

test('checkPlanNodes on a legacy plan points at the line of the entry', () => {
  const parsed = parsePlan('# app node ext int\nweb\tnode1\t8081\t8080\nweb\tnode9\t8081\t8080\n', 'a.plan');
  assert.ok(parsed.plan);
  assert.deepEqual(checkPlanNodes(parsed.plan, parsed.source, ['node1']).map(formatPlanError), [
    'a.plan:3:5: apps.web.nodes[1]: node node9 is not in the inventory (did you mean node1?) (known: node1)',
  ]);
});

test('never throws on junk', () => {
  for (const junk of ['\u0000', ':', '- - -', '{', 'apps: [1, 2]', '&a [*a]', 'apps: !!binary x', '? [a]\n: b']) {
    const r = parsePlan(junk, 'j.yaml');
    assert.equal(r.plan, null, junk);
    assert.ok(r.errors.length > 0, junk);
  }
});
