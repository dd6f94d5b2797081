import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextLink, registryBaseUrl } from '../../src/adapters/registry.js';
import { newestLocalTag } from '../../src/images/install.js';
import { dockerSocketPath, nodesFrom } from '../../src/adapters/nodes.js';

test('registry pagination follows the Link header', () => {
  assert.equal(nextLink('</v2/_catalog?last=b&n=2>; rel="next"'), '/v2/_catalog?last=b&n=2');
  assert.equal(nextLink(null), null);
  assert.equal(registryBaseUrl('10.77.0.1:5000'), 'http://10.77.0.1:5000');
  assert.equal(registryBaseUrl('https://r.example/'), 'https://r.example');
});

test('install-image without a tag takes the newest local tag of the repository', () => {
  const images = [
    { RepoTags: ['r/cloud/web:old', 'r/cloud/other:x'], Created: 1 },
    { RepoTags: ['r/cloud/web:new'], Created: 2 },
    { RepoTags: undefined, Created: 3 },
  ];
  assert.equal(newestLocalTag(images, 'r/cloud/web'), 'new');
  assert.equal(newestLocalTag(images, 'r/cloud/none'), null);
});

test('nodes: unexpired named leases plus static nodes; socket path per node', () => {
  const leases = '1798761600 02:77:04:00:00:02 10.77.0.202 node2 *\n1700000000 02:77:04:00:00:03 10.77.0.203 node3 *\n';
  const nodes = nodesFrom(leases, [{ name: 'edge', ip: '10.77.0.50' }], new Date('2026-01-01T00:00:00Z'));
  assert.deepEqual(nodes, [{ name: 'edge', ip: '10.77.0.50' }, { name: 'node2', ip: '10.77.0.202' }]);
  const ssh = { user: 'root', port: 22, keyFile: 'k', knownHostsFile: 'kh', dockerSocket: '/lab/{node}/docker.sock' };
  assert.equal(dockerSocketPath({ ssh }, 'node2'), '/lab/node2/docker.sock');
});
