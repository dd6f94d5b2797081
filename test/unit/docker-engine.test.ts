import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { DeadlineError, DockerEngine } from '../../src/adapters/docker.js';
import { StreamAgent } from '../../src/adapters/docker/stream-agent.js';

// The engine's deadlines against a daemon that accepts and then says nothing (a SIGSTOPped
// dockerd looks like this from the client): an HTTP server on a unix socket that we steer.
let server: Server;
let socketPath: string;
let answering = true;
let slowStartMs = 0;
const held: ServerResponse[] = [];
let eventsStream: ServerResponse | null = null;

before(async () => {
  socketPath = join(mkdtempSync(join(tmpdir(), 'cmx-engine-')), 'docker.sock');
  server = createServer((req, res) => {
    if (req.url?.includes('/events')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('');
      eventsStream = res;
      return;
    }
    if (!answering) return void held.push(res);
    // A busy daemon: this start answers late, that one never, while pings answer at once.
    if (req.url?.includes('/containers/slow/start')) return void setTimeout(() => res.writeHead(204).end(), slowStartMs);
    if (req.url?.includes('/containers/stuck/start')) return void held.push(res);
    if (req.url?.includes('/_ping')) return void res.end('OK');
    if (req.url?.includes('/containers/json')) return void res.end('[]');
    if (req.url?.includes('/images/create')) return void held.push(res.writeHead(200) as ServerResponse);
    res.writeHead(404).end('{"message":"no such thing"}');
  }).listen(socketPath);
  await new Promise((r) => server.once('listening', r));
});

after(() => {
  for (const r of held) r.destroy();
  eventsStream?.destroy();
  server.close();
});

const engine = (over = {}) => new DockerEngine('nodeX', new Docker({ socketPath }), { callMs: 300, idleMs: 300, transferMs: 5000, heartbeatMs: 100, ...over });

describe('DockerEngine deadlines', () => {
  it('answers normally, and maps 404 to null', async () => {
    answering = true;
    const e = engine();
    await e.ping();
    assert.deepEqual(await e.listContainers(), []);
    assert.equal(await e.inspectContainer('nope'), null);
  });

  it('a call to a daemon that does not answer fails with a DeadlineError at the deadline, and the next fails at once', async () => {
    answering = false;
    try {
      const e = engine();
      const t0 = Date.now();
      await assert.rejects(e.listContainers(), (err: unknown) => err instanceof DeadlineError && /nodeX: docker list containers: no answer within 300 ms/.test((err as Error).message));
      const took = Date.now() - t0;
      assert.ok(took >= 280 && took < 1500, `took ${took} ms`);
      const t1 = Date.now();
      await assert.rejects(e.ping(), DeadlineError);
      assert.ok(Date.now() - t1 < 50, 'a node that missed a deadline fails fast for a while');
    } finally {
      answering = true;
    }
  });

  it('a pull that makes no progress is dropped at the idle deadline', async () => {
    const e = engine();
    const t0 = Date.now();
    await assert.rejects(e.pullImage('cloud/x', 'sha256:1', {}, () => undefined), (err: unknown) => err instanceof DeadlineError && /no progress/.test((err as Error).message));
    assert.ok(Date.now() - t0 < 2500);
  });

  it('an event stream ends when its heartbeat ping misses the deadline, though the stream itself stays open', async () => {
    answering = true;
    const e = engine();
    const stream = await e.events({ type: ['container'] });
    const ended = new Promise<string>((resolve) => stream.on('end', resolve));
    const got: string[] = [];
    stream.on('event', (ev) => got.push(ev.Action ?? ''));
    await new Promise((r) => setTimeout(r, 50));
    eventsStream!.write('{"Action":"start"}\n');
    await new Promise((r) => setTimeout(r, 150));
    answering = false;
    try {
      assert.match(await ended, /failed its heartbeat: .*no answer within 300 ms/);
      assert.deepEqual(got, ['start']);
    } finally {
      answering = true;
    }
  });
});

describe('DockerEngine: a busy daemon is not a hung one', () => {
  it('a start that answers after three deadlines succeeds while the daemon answers pings', async () => {
    slowStartMs = 1000;
    const e = engine({ busyMs: 3000 });
    const t0 = Date.now();
    await e.startContainer('slow');
    const took = Date.now() - t0;
    assert.ok(took >= 950 && took < 2500, `took ${took} ms`);
    await e.ping();
  });

  it('a start that never answers fails at busyMs, saying the daemon answers pings', async () => {
    const e = engine({ busyMs: 1000 });
    const t0 = Date.now();
    await assert.rejects(e.startContainer('stuck'), (err: unknown) => err instanceof DeadlineError && /docker start stuck: no answer within 1 s \(the node's dockerd answers pings but not this call\)/.test((err as Error).message));
    const took = Date.now() - t0;
    assert.ok(took >= 950 && took < 2500, `took ${took} ms`);
  });

  it('a patient call to a daemon that answers nothing, not even a ping, fails as hung within two deadlines', async () => {
    answering = false;
    try {
      const e = engine({ busyMs: 60_000 });
      const t0 = Date.now();
      await assert.rejects(e.startContainer('slow'), (err: unknown) => err instanceof DeadlineError && /no answer within 300 ms \(the node's dockerd or its SSH link is not answering\)/.test((err as Error).message));
      const took = Date.now() - t0;
      assert.ok(took >= 550 && took < 1500, `took ${took} ms`);
    } finally {
      answering = true;
    }
  });

  it('a list (not patient) gets no second deadline', async () => {
    answering = false;
    try {
      const e = engine({ busyMs: 60_000 });
      const t0 = Date.now();
      await assert.rejects(e.listContainers(), DeadlineError);
      assert.ok(Date.now() - t0 < 550);
    } finally {
      answering = true;
    }
  });

  it('the deadline settles a call whose transport never opens (an SSH channel that is never confirmed)', async () => {
    const never = new StreamAgent(() => new Promise(() => undefined));
    const docker = new Docker({ protocol: 'http', host: 'nodeX', port: 2375, agent: never } as Docker.DockerOptions);
    const e = new DockerEngine('nodeX', docker, { callMs: 300, idleMs: 300, transferMs: 5000, heartbeatMs: 100, busyMs: 600 });
    const t0 = Date.now();
    await assert.rejects(e.startContainer('x'), DeadlineError);
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
  });
});

