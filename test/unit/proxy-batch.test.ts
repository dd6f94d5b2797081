import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VarnishRouter } from '../../src/deploy/proxy.js';
import type { RoutingTable } from '../../src/model/routing.js';

/** A Proxy whose Varnish is a recorder, to see how switches are merged into reloads. */
function recordingProxy(): { proxy: VarnishRouter; loaded: string[] } {
  const proxy = new VarnishRouter({ varnish: { admin: '127.0.0.1:1', secretFile: '/dev/null', listen: '127.0.0.1:1' } });
  const loaded: string[] = [];
  const fake = {
    supportsLabels: async () => false,
    reload: async (vcl: string) => {
      await new Promise((r) => setTimeout(r, 20));
      loaded.push(vcl);
      return { changed: true, name: `v${loaded.length}`, discarded: [], warnings: [] };
    },
  };
  Object.defineProperty(proxy, 'varnish', { value: fake });
  proxy.render = (t: RoutingTable) => t.apps.map((a) => a.name).join(',');
  return { proxy, loaded };
}

const table = (...names: string[]): RoutingTable => ({
  apps: names.map((name) => ({ name, hosts: [], paths: [], director: 'round_robin', health: { path: '/', intervalMs: 1000, timeoutMs: 500 }, backends: [] })),
});

describe('proxy reload batching', () => {
  it('merges switches asked for while a reload runs into one next reload, with the latest table', async () => {
    const { proxy, loaded } = recordingProxy();
    const first = proxy.apply(table('a'));
    await new Promise((r) => setTimeout(r, 5)); // the first reload is under way
    const seen: string[] = ['a'];
    const rest = ['b', 'c', 'd'].map((n) => {
      seen.push(n);
      const now = [...seen];
      return proxy.applyLatest(() => table(...now));
    });
    const results = await Promise.all([first, ...rest]);
    assert.deepEqual(loaded, ['a', 'a,b,c,d']);
    assert.equal(results[1], results[3], 'the waiting callers share one result');
    assert.equal(proxy.reloads, 2);
    await proxy.apply(table('e'));
    assert.deepEqual(loaded.at(-1), 'e');
  });

  it('merges calls made before the first reload starts into it', async () => {
    const { proxy, loaded } = recordingProxy();
    await Promise.all([proxy.apply(table('a')), proxy.apply(table('a', 'b'))]);
    assert.deepEqual(loaded, ['a,b']);
  });

  it('fails every caller of a failed reload and goes on with the next', async () => {
    const { proxy, loaded } = recordingProxy();
    Object.defineProperty(proxy, 'varnish', { value: { supportsLabels: async () => false, reload: async () => { throw new Error('VCL does not compile'); } } });
    await assert.rejects(proxy.apply(table('x')), /does not compile/);
    Object.defineProperty(proxy, 'varnish', { value: { supportsLabels: async () => false, reload: async (v: string) => (loaded.push(v), { changed: true, name: 'ok', discarded: [], warnings: [] }) } });
    await proxy.apply(table('y'));
    assert.deepEqual(loaded, ['y']);
  });
});
