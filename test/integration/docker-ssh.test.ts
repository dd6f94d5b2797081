import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { EnvError } from '../../src/errors.js';
import { NodeEngines, sshTransport } from '../../src/adapters/docker.js';
import { findNode, type NodeRef } from '../../src/adapters/nodes.js';
import { ensureLab } from './helpers/lab.js';

let config: Config;
let node1: NodeRef;
let engines: NodeEngines;
const tmp = mkdtempSync(join(tmpdir(), 'cmx-ssh-'));

before(async () => {
  ({ config } = await ensureLab());
  node1 = await findNode(config, 'node1');
  engines = new NodeEngines(config);
});

after(() => {
  engines.closeAll();
  rmSync(tmp, { recursive: true, force: true });
});

/** The lab's known_hosts with node1's key replaced by node2's, or node1's line left out. */
function knownHosts(kind: 'changed' | 'unknown'): string {
  const lines = readFileSync(config.ssh.knownHostsFile, 'utf8').split('\n');
  const node2Key = lines.find((l) => l.startsWith('node2,'))!.split(' ').slice(1).join(' ');
  const out = lines.flatMap((l) => {
    if (!l.startsWith('node1,')) return [l];
    return kind === 'changed' ? [`${l.split(' ')[0]} ${node2Key}`] : [];
  });
  const file = join(tmp, `known_hosts.${kind}`);
  writeFileSync(file, out.join('\n'));
  return file;
}

describe('Docker over one pooled SSH connection per node', () => {
  it('answers the Engine API and carries parallel requests over one connection', async () => {
    const docker = engines.get(node1);
    await docker.ping();
    const socket = engines.transport(node1).tunnel.socket;
    assert.ok(socket);
    const lists = await Promise.all(Array.from({ length: 20 }, () => docker.listContainers({ all: true })));
    assert.equal(lists.length, 20);
    assert.equal(engines.transport(node1).tunnel.socket, socket, 'a second SSH connection was opened');
    assert.equal(engines.get(node1), docker, 'the pool gave another client for the same node');
  });

  for (const kind of ['changed', 'unknown'] as const) {
    it(`refuses a node whose host key is ${kind}, naming the node and the known_hosts file`, async () => {
      const file = knownHosts(kind);
      const engine = sshTransport({ ssh: { ...config.ssh, knownHostsFile: file } }, node1);
      try {
        await assert.rejects(engine.docker.ping(), (err: unknown) => {
          assert.ok(err instanceof EnvError, String(err));
          assert.match(err.message, /^node1 \(10\.77\.0\.201\): /);
          assert.match(err.message, kind === 'changed' ? /HOST KEY HAS CHANGED/ : /host key is unknown/);
          assert.ok(err.message.includes(file), err.message);
          return true;
        });
      } finally {
        engine.agent.destroy();
        engine.tunnel.close();
      }
    });
  }

  it('reconnects on the next request after the connection is killed', async () => {
    const engine = engines.transport(node1);
    await engine.docker.ping();
    const before = engine.tunnel.socket!;
    before.destroy();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(String(await engine.docker.ping()), 'OK');
    assert.notEqual(engine.tunnel.socket, before);
  });

  it('fails a request in flight with a clear error when the connection drops, then works again', async () => {
    const engine = engines.transport(node1);
    let aborted = 0;
    for (let attempt = 0; attempt < 5 && aborted === 0; attempt++) {
      await engine.docker.ping();
      const inFlight = engine.docker.listContainers({ all: true });
      await new Promise((r) => setImmediate(r));
      engine.tunnel.socket!.destroy();
      try {
        await inFlight;
      } catch (err) {
        assert.match((err as Error).message, /^node1 \(root@10\.77\.0\.201:22\): SSH connection lost; the Docker request was aborted$/);
        aborted++;
      }
    }
    assert.equal(aborted, 1, 'the request always finished before the connection dropped');
    assert.equal(String(await engine.docker.ping()), 'OK');
  });
});
