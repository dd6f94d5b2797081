import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInfo } from 'dockerode';
import { formatContainers, fromContainerInfo, shortImage } from '../../src/model/cloud-container.js';
import { parsePort } from '../../src/containers/args.js';
import { publishedPort } from '../../src/model/published-port.js';

const DIGEST = 'sha256:' + 'ab'.repeat(32);
const info = {
  Id: 'c0ffee'.repeat(10), Names: ['/web-node2-8001'], Image: `10.77.0.1:5000/cloud/web:1@${DIGEST}`, State: 'running', Status: 'Up 1 second',
  Labels: { 'cloudmatrix.app': 'web', 'cloudmatrix.plan': 'manual', 'cloudmatrix.revision': '0123456789abcdef', 'cloudmatrix.port': '8080' },
  Ports: [{ IP: '10.77.0.202', PrivatePort: 8080, PublicPort: 8001, Type: 'tcp' }],
} as unknown as ContainerInfo;

test('a listed container becomes a row with the address it answers on', () => {
  const c = fromContainerInfo({ name: 'node2', ip: '10.77.0.202' }, info);
  assert.deepEqual(
    [c.node, c.name, c.app, c.plan, c.revision, c.state, c.containerPort, c.address, c.port],
    ['node2', 'web-node2-8001', 'web', 'manual', '0123456789abcdef', 'running', 8080, '10.77.0.202', 8001],
  );
  const stopped = fromContainerInfo({ name: 'node2', ip: '10.77.0.202' }, { ...info, State: 'exited', Ports: [] });
  assert.equal(stopped.address, null);
  assert.match(formatContainers([c, stopped]).split('\n')[1]!, /^node2 +web-node2-8001 +web +cloud\/web:1@abababababab +0123456789ab +running +10\.77\.0\.202:8001$/);
});

test('image names shortened for the table', () => {
  assert.equal(shortImage(`10.77.0.1:5000/cloud/web:1@${DIGEST}`), 'cloud/web:1@abababababab');
  assert.equal(shortImage('cloud/web:1'), 'cloud/web:1');
});

test('ports: parsed strictly; published binding read from inspect', () => {
  assert.equal(parsePort('8080', 'HOST_PORT'), 8080);
  for (const bad of ['0', '65536', '80a', '', '-1']) assert.throws(() => parsePort(bad, 'HOST_PORT'), /HOST_PORT/);
  const ns = { NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '10.77.0.202', HostPort: '32768' }] } } };
  assert.deepEqual(publishedPort(ns as never, 8080), { ip: '10.77.0.202', port: 32768 });
  assert.equal(publishedPort(ns as never, 80), null);
});
