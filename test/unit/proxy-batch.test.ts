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

/** A router with labels whose Varnish records switches and compiles ahead, in order. */
function splitProxy(): { proxy: VarnishRouter; steps: string[]; kept: string[][] } {
  const proxy = new VarnishRouter({ varnish: { admin: '127.0.0.1:1', secretFile: '/dev/null', listen: '127.0.0.1:1' } });
  const steps: string[] = [];
  const kept: string[][] = [];
  const fake = {
    supportsLabels: async () => true,
    reloadSplit: async (split: { apps: { app: string }[] }, keep: ReadonlySet<string>) => {
      kept.push([...keep]);
      await new Promise((r) => setTimeout(r, 20));
      steps.push(`switch ${split.apps.map((a) => a.app).join(',')}`);
      return { changed: true, name: 't', discarded: [], warnings: [], apps: [] };
    },
    prepareApp: async (a: { app: string }) => {
      await new Promise((r) => setTimeout(r, 20));
      steps.push(`ahead ${a.app}`);
      return { name: `cmxa_1_${a.app}`, loaded: true };
    },
  };
  Object.defineProperty(proxy, 'varnish', { value: fake });
  return { proxy, steps, kept };
}

const named = (...names: string[]): RoutingTable => ({
  apps: names.map((name) => ({ name, plan: 'p', hosts: [`${name}.test`], paths: [], director: 'round_robin', health: { path: '/', intervalMs: 1000, timeoutMs: 500 }, backends: [] })),
});

describe('proxy: VCLs compiled ahead of their switch', () => {
  it('a switch asked for while compiles ahead wait goes first; what was compiled ahead is kept from clean-up until release', async () => {
    const { proxy, steps, kept } = splitProxy();
    proxy.prepare({ plan: 'p', name: 'a' }, () => named('a'));
    proxy.prepare({ plan: 'p', name: 'b' }, () => named('a', 'b'));
    proxy.prepare({ plan: 'p', name: 'c' }, () => named('a', 'b', 'c'));
    await new Promise((r) => setTimeout(r, 5)); // a's compile is under way
    const sw = proxy.apply(named('a', 'b'));
    await sw;
    await proxy.idle();
    assert.deepEqual(steps, ['ahead a', 'switch a,b', 'ahead b', 'ahead c']);
    assert.deepEqual(kept[0], ['cmxa_1_a']);
    assert.equal(proxy.prepared, 3);
    proxy.release();
    await proxy.apply(named('a', 'b', 'c'));
    assert.deepEqual(kept.at(-1), [], 'after release the next reload may discard what was not used');
  });

  it('release drops compiles ahead still queued; one under way when it comes is not held', async () => {
    const { proxy, steps, kept } = splitProxy();
    proxy.prepare({ plan: 'p', name: 'a' }, () => named('a'));
    proxy.prepare({ plan: 'p', name: 'b' }, () => named('a', 'b'));
    await new Promise((r) => setTimeout(r, 5));
    proxy.release();
    await proxy.idle();
    assert.deepEqual(steps, ['ahead a']);
    await proxy.apply(named('a'));
    assert.deepEqual(kept, [[]]);
  });

  it('a compile ahead that fails is only a lost head start', async () => {
    const { proxy, steps } = splitProxy();
    Object.defineProperty(proxy, 'varnish', {
      value: {
        supportsLabels: async () => true,
        prepareApp: async () => { throw new Error('VCL does not compile'); },
        reloadSplit: async () => (steps.push('switch'), { changed: true, name: 't', discarded: [], warnings: [], apps: [] }),
      },
    });
    proxy.prepare({ plan: 'p', name: 'a' }, () => named('a'));
    await proxy.apply(named('a'));
    await proxy.idle();
    assert.deepEqual(steps, ['switch']);
    assert.equal(proxy.prepared, 0);
  });

  it('on Varnish without labels (the single VCL) nothing is compiled ahead', async () => {
    const { proxy, steps } = splitProxy();
    Object.defineProperty(proxy, 'varnish', { value: { supportsLabels: async () => false, prepareApp: async () => { steps.push('ahead'); return { name: 'x', loaded: true }; } } });
    proxy.prepare({ plan: 'p', name: 'a' }, () => named('a'));
    await proxy.idle();
    assert.deepEqual(steps, []);
  });
});

