import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPlanError, parsePlan } from '../../src/model/plan.js';
import { dependencyWaves, parseEnvValue, resolveEnv, UnresolvedReference } from '../../src/model/plan/references.js';
import { appRevision } from '../../src/model/revision.js';

const good = `apps:
  cache:
    image: cloud/redis:7
    port: 6379
    expose: tcp
    volumes: { data: /data }
    backup: { keep: 3 }
  web:
    image: cloud/counter:1.0
    replicas: 2
    env:
      REDIS_HOST: \${cache.host}
      REDIS_PORT: "\${cache.port}"
      PRICE: "$\${5}"
`;

const errorsOf = (text: string) => parsePlan(text, 'p.yaml').errors.map(formatPlanError);

test('a TCP service with a volume, and an app that references it', () => {
  const { plan, errors } = parsePlan(good, 'p.yaml');
  assert.deepEqual(errors, []);
  const [cache, web] = plan!.apps;
  assert.equal(cache!.expose, 'tcp');
  assert.deepEqual(cache!.hosts, []);
  assert.deepEqual(cache!.volumes, { data: '/data' });
  assert.equal(cache!.backupKeep, 3);
  assert.equal(web!.expose, undefined);
  assert.equal(web!.volumes, undefined);
  assert.deepEqual(web!.hosts, ['web.matrix.test']);
  assert.deepEqual(dependencyWaves(plan!.apps), [['cache'], ['web']]);
});

test('backup.keep defaults to 5 for an app with volumes', () => {
  const { plan } = parsePlan('apps:\n  db:\n    image: x/db:1\n    volumes: { data: /var/lib/db }\n', 'p.yaml');
  assert.equal(plan!.apps[0]!.backupKeep, 5);
});

test('env values: references, the $${ escape, and what is not a reference', () => {
  assert.deepEqual(parseEnvValue('redis://${cache.host}:${cache.port}/0'), {
    parts: ['redis://', { app: 'cache', field: 'host' }, ':', { app: 'cache', field: 'port' }, '/0'],
  });
  assert.deepEqual(parseEnvValue('cost $${5} and $5'), { parts: ['cost ${5} and $5'] });
  assert.deepEqual(parseEnvValue(''), { parts: [''] });
  assert.match((parseEnvValue('${cache.ip}') as { error: string }).error, /expected \$\{APP\.host\} or \$\{APP\.port\}/);
  assert.match((parseEnvValue('${cache.host') as { error: string }).error, /without a closing/);
  const addresses = new Map([['cache', { host: '10.77.0.202', port: 32768 }]]);
  assert.deepEqual(resolveEnv({ A: '${cache.host}:${cache.port}', B: '$${x}' }, addresses), { A: '10.77.0.202:32768', B: '${x}' });
  assert.throws(() => resolveEnv({ A: '${db.host}' }, addresses), UnresolvedReference);
});

test('unknown, self and multi-replica references, bad syntax: errors at the env key, file:line:col', () => {
  const text = `apps:
  a:
    image: x/a:1
    env:
      SELF: \${a.host}
      NOPE: \${b.port}
      MANY: \${c.host}
      BAD: \${c.address}
  c:
    image: x/c:1
    replicas: 2
`;
  assert.deepEqual(errorsOf(text), [
    'p.yaml:5:7: apps.a.env.SELF: ${a.host}: an app cannot reference itself',
    'p.yaml:6:7: apps.a.env.NOPE: ${b.port}: no app b in this plan',
    'p.yaml:7:7: apps.a.env.MANY: ${c.host}: app c must run exactly one replica to be referenced (it has replicas: 2)',
    'p.yaml:8:7: apps.a.env.BAD: ${c.address}: expected ${APP.host} or ${APP.port} (write $${ for a literal ${)',
  ]);
});

test('a cycle of references is one error, at the first app of it in the file', () => {
  const text = `apps:
  x:
    image: i/x:1
    env: { TO_Y: "\${y.host}" }
  y:
    image: i/y:1
    env: { TO_Z: "\${z.host}" }
  z:
    image: i/z:1
    env: { TO_X: "\${x.port}" }
  w:
    image: i/w:1
    env: { TO_X: "\${x.port}" }
`;
  assert.deepEqual(errorsOf(text), ['p.yaml:4:12: apps.x.env.TO_Y: references go round in a cycle: x -> y -> z -> x']);
});

test('dependency waves: referenced apps first, independent apps in the first wave', () => {
  const app = (name: string, env: Record<string, string> = {}) => ({ name, env });
  assert.deepEqual(
    dependencyWaves([app('web', { A: '${api.host}' }), app('api', { D: '${db.host}', C: '${cache.port}' }), app('db'), app('cache'), app('other')]),
    [['cache', 'db', 'other'], ['api'], ['web']],
  );
});

test('volumes: replicas must be 1, mounts distinct, backup needs volumes; TCP services have no routing fields', () => {
  const text = `apps:
  db:
    image: x/db:1
    replicas: 2
    volumes: { data: /data, logs: /data }
  ranged:
    image: x/r:1
    replicas: { min: 1, max: 3 }
    volumes: { data: /data }
  plain:
    image: x/p:1
    backup: { keep: 2 }
  svc:
    image: x/s:1
    expose: tcp
    hosts: [svc.matrix.test]
    paths: [/svc/]
  badvol:
    image: x/b:1
    volumes: { Data: /ok, logs: relative/path }
`;
  assert.deepEqual(errorsOf(text), [
    'p.yaml:4:5: apps.db.replicas: an app with volumes runs one replica (its volumes are on one node): expected 1, got 2',
    'p.yaml:5:29: apps.db.volumes.logs: path /data is also the mount of volume data',
    'p.yaml:8:5: apps.ranged.replicas: an app with volumes runs one replica (its volumes are on one node): expected replicas: 1',
    'p.yaml:12:5: apps.plain.backup: only applies to an app with volumes',
    'p.yaml:16:5: apps.svc.hosts: a TCP service (expose: tcp) is not routed by Varnish: it has no hosts',
    'p.yaml:17:5: apps.svc.paths: a TCP service (expose: tcp) is not routed by Varnish: it has no paths',
    'p.yaml:20:16: apps.badvol.volumes.Data: volume names are lowercase letters, digits, "_" and "-", starting with a letter or digit',
    'p.yaml:20:27: apps.badvol.volumes.logs: expected an absolute path in the container like /data (not /, no ".."), got "relative/path"',
  ]);
});

test('revisions: unchanged for apps without volumes or expose; volumes and expose count when used', () => {
  const { plan } = parsePlan(good, 'p.yaml');
  const [cache, web] = plan!.apps;
  const plain = { ...cache!, expose: undefined, volumes: undefined };
  assert.notEqual(appRevision(cache!, 'sha256:a'), appRevision(plain, 'sha256:a'));
  assert.notEqual(appRevision({ ...cache!, volumes: { data: '/other' } }, 'sha256:a'), appRevision(cache!, 'sha256:a'));
  // A resolved address is part of the env, so a changed address is a new revision of the referencing app.
  const at = (port: string) => appRevision({ ...web!, env: { ...web!.env, REDIS_PORT: port } }, 'sha256:b');
  assert.notEqual(at('32768'), at('32769'));
});
