import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  containerSpec, defaultContainerName, isContainerName, parseEnvAssignments, revisionOf,
} from '../../src/model/container-spec.js';

const base = {
  name: 'web-node2-8001', app: 'web', plan: 'manual', revision: 'abc', image: 'reg/cloud/web:1',
  containerPort: 8080, hostIp: '10.77.0.202', env: { B: '2', A: '1' },
};

test('labels, sorted env, restart policy and one port bound to the node address', () => {
  assert.deepEqual(containerSpec({ ...base, hostPort: 8001 }), {
    name: 'web-node2-8001',
    Image: 'reg/cloud/web:1',
    Env: ['A=1', 'B=2'],
    Labels: { 'cloudmatrix.app': 'web', 'cloudmatrix.plan': 'manual', 'cloudmatrix.revision': 'abc', 'cloudmatrix.port': '8080' },
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: {
      RestartPolicy: { Name: 'unless-stopped' },
      Init: true,
      PortBindings: { '8080/tcp': [{ HostIp: '10.77.0.202', HostPort: '8001' }] },
    },
  });
});

test('no host port: an empty HostPort lets Docker choose', () => {
  const spec = containerSpec(base);
  assert.deepEqual(spec.HostConfig!.PortBindings, { '8080/tcp': [{ HostIp: '10.77.0.202', HostPort: '' }] });
});

test('revision changes with digest, port, host port and env, not with env order', () => {
  const r = { imageDigest: 'sha256:1', app: 'web', containerPort: 8080, env: { A: '1', B: '2' } };
  const rev = revisionOf(r);
  assert.match(rev, /^[0-9a-f]{16}$/);
  assert.equal(revisionOf({ ...r, env: { B: '2', A: '1' } }), rev);
  for (const other of [
    { ...r, imageDigest: 'sha256:2' }, { ...r, containerPort: 80 }, { ...r, hostPort: 8001 }, { ...r, env: { A: '1' } },
  ]) assert.notEqual(revisionOf(other), rev);
});

test('default names', () => {
  assert.equal(defaultContainerName('web', 'node2', 8001, '0123456789abcdef'), 'web-node2-8001');
  assert.equal(defaultContainerName('web', 'node2', undefined, '0123456789abcdef'), 'web-node2-01234567');
  assert.ok(isContainerName('web-node2-8001'));
  assert.ok(!isContainerName('-web') && !isContainerName('a/b'));
});

test('--env K=V, values may hold =', () => {
  assert.deepEqual(parseEnvAssignments(['A=1', 'B=x=y', 'C=']), { A: '1', B: 'x=y', C: '' });
  assert.throws(() => parseEnvAssignments(['=1']), /NAME=VALUE/);
  assert.throws(() => parseEnvAssignments(['A']), /NAME=VALUE/);
  assert.throws(() => parseEnvAssignments(['1A=2']), /NAME=VALUE/);
});
