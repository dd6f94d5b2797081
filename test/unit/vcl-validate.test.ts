import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import { isHostName, isIPv4, isRoutePath, validateRoutingTable, type RouteApp } from '../../src/model/routing.js';

const app = (over: Partial<RouteApp> = {}): RouteApp => ({
  name: 'web',
  hosts: ['web.matrix.test'],
  paths: [],
  director: 'round_robin',
  health: { path: '/', intervalMs: 2000, timeoutMs: 1000 },
  backends: [{ container: 'c1', node: 'node1', address: '10.0.0.1', port: 8080 }],
  ...over,
});

function rejects(apps: RouteApp[], ...fragments: string[]): void {
  assert.throws(
    () => validateRoutingTable({ apps }),
    (err: unknown) => {
      assert.ok(err instanceof UserError, 'a UserError');
      for (const f of fragments) assert.ok(err.message.includes(f), `${JSON.stringify(err.message)} should include ${JSON.stringify(f)}`);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    },
  );
}

test('a plain table is valid, and so is an empty one', () => {
  validateRoutingTable({ apps: [app()] });
  validateRoutingTable({ apps: [] });
  validateRoutingTable({ apps: [app({ backends: [] })] });
});

test('host names: RFC 1123, lowercase only', () => {
  for (const ok of ['a', 'web.matrix.test', 'node-1.x', '1abc.test', '10.0.0.1', `${'a'.repeat(63)}.test`]) assert.ok(isHostName(ok), ok);
  const bad = ['', 'Web.test', 'web..test', '-web.test', 'web-.test', 'web.test.', 'we b', 'web"x', 'a{b', 'web\n.test', 'web:80', 'web/x', 'wéb.test', `${'a'.repeat(64)}.test`, `${'a.'.repeat(127)}a`];
  for (const h of bad) assert.ok(!isHostName(h), JSON.stringify(h));
});

test('hostile host values are rejected naming app and field', () => {
  rejects([app({ hosts: ['ok.test', 'x"; } sub vcl_recv { return (pipe); } #'] })], 'app "web"', 'hosts[1]');
  rejects([app({ hosts: ['UPPER.test'] })], 'hosts[0]', 'lowercase RFC 1123');
  rejects([app({ hosts: [42 as unknown as string] })], 'hosts[0]');
});

test('paths: start with /, URL-safe characters only', () => {
  for (const ok of ['/', '/app/', '/a.b/c-d_e~f', "/x!$&'()*+,;=:@", '/%2Fa']) assert.ok(isRoutePath(ok), ok);
  for (const bad of ['', 'app/', '/a b', '/a"b', '/a{b', '/a}b', '/a\\b', '/a\nb', '/a?b', '/a#b', '/%zz', '/a^b', '/a|b', '/a[b]']) {
    assert.ok(!isRoutePath(bad), JSON.stringify(bad));
  }
  rejects([app({ paths: ['/ok/', '/x"'] })], 'app "web"', 'paths[1]');
});

test('addresses must be IPv4 literals, ports 1-65535', () => {
  for (const ok of ['0.0.0.0', '10.0.0.1', '255.255.255.255', '127.0.0.1']) assert.ok(isIPv4(ok), ok);
  for (const bad of ['256.0.0.1', '10.0.0', '10.0.0.1.2', '010.0.0.1', 'node1', '::1', '10.0.0.1 ', '1.2.3.4"']) assert.ok(!isIPv4(bad), bad);
  rejects([app({ backends: [{ container: 'c', node: 'n', address: 'node1.lan', port: 80 }] })], 'backends[0].address');
  for (const port of [0, 65536, 80.5, -1, NaN]) {
    rejects([app({ backends: [{ container: 'c', node: 'n', address: '10.0.0.1', port }] })], 'backends[0].port');
  }
});

test('health settings are bounded', () => {
  rejects([app({ health: { path: 'x', intervalMs: 2000, timeoutMs: 1000 } })], 'health.path');
  rejects([app({ health: { path: '/"', intervalMs: 2000, timeoutMs: 1000 } })], 'health.path');
  rejects([app({ health: { path: '/', intervalMs: 10, timeoutMs: 5 } })], 'health.intervalMs');
  rejects([app({ health: { path: '/', intervalMs: 1000, timeoutMs: 2000 } })], 'health.timeoutMs');
  rejects([app({ health: { path: '/', intervalMs: 1000, timeoutMs: 500, window: 3, threshold: 4 } })], 'health.threshold');
  rejects([app({ health: { path: '/', intervalMs: 1000, timeoutMs: 500, window: 65 } })], 'health.window');
  validateRoutingTable({ apps: [app({ health: { path: '/healthz?full=1&x=%20', intervalMs: 1000, timeoutMs: 500, window: 8, threshold: 8 } })] });
});

test('director, hashBy, weights', () => {
  rejects([app({ director: 'shard' as RouteApp['director'] })], 'director');
  rejects([app({ hashBy: 'url' })], 'hashBy', 'only applies to director "hash"');
  rejects([app({ director: 'hash', hashBy: 'cookie' as 'url' })], 'hashBy');
  for (const weight of [0, -1, Infinity, 1e9]) {
    rejects([app({ director: 'random', backends: [{ container: 'c', node: 'n', address: '10.0.0.1', port: 80, weight }] })], 'weight');
  }
});

test('names, duplicates and unreachable apps', () => {
  rejects([app({ name: 'we"b' })], 'apps[0]', 'name');
  rejects([app({ name: '' })], 'apps[0]');
  rejects([app(), app({ hosts: ['other.test'] })], 'duplicate app name');
  rejects([app(), app({ name: 'api' })], 'app "api"', '"web.matrix.test" is already routed to app "web"');
  rejects([app({ paths: ['/x/'] }), app({ name: 'api', hosts: [], paths: ['/x/'] })], 'app "api"', 'paths[0]');
  rejects([app({ hosts: [], paths: [] })], 'at least one host or path');
  const b = { container: 'c', node: 'n', address: '10.0.0.1', port: 80 };
  rejects([app({ backends: [b, { ...b, container: 'd' }] })], 'backends[1]', 'listed twice');
  rejects([app({ backends: [{ ...b, node: 'no de' }] })], 'backends[0].node');
});

test('all problems are reported at once', () => {
  rejects([app({ hosts: ['A'], paths: ['x'], health: { path: '/', intervalMs: 1, timeoutMs: 1 } })], 'hosts[0]', 'paths[0]', 'health.intervalMs');
});

test('timeouts and maxConnections: whole milliseconds and connections within bounds', () => {
  validateRoutingTable({ apps: [app({ timeouts: { connectMs: 1, firstByteMs: 3_600_000, betweenBytesMs: 500 }, maxConnections: 1 })] });
  rejects([app({ timeouts: { connectMs: 0, firstByteMs: 1.5, betweenBytesMs: 3_600_001 } })],
    'timeouts.connectMs: 0 must be', 'timeouts.firstByteMs: 1.5 must be', 'timeouts.betweenBytesMs: 3600001 must be');
  rejects([app({ timeouts: null as never })], 'app "web": timeouts: must be an object');
  rejects([app({ maxConnections: 0 })], 'maxConnections: 0 must be an integer from 1 to 1000000');
  rejects([app({ maxConnections: '5' as never })], 'maxConnections: "5" must be');
});
