import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EnvError } from '../../src/errors.js';
import { keeperPaths, keeperWanted, KeeperUnavailable, openViaKeeper, parseKeeperAnswer } from '../../src/adapters/docker/keeper.js';
import { runKeeper } from '../../src/adapters/docker/keeper-daemon.js';

// The keeper's protocol and lifecycle without SSH (the lab test runs it against real nodes).
const dir = mkdtempSync(join(tmpdir(), 'cmx-keeper-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ssh = { user: 'root', port: 22, keyFile: join(dir, 'key'), knownHostsFile: join(dir, 'known_hosts'), dockerSocket: '/run/docker.sock' };
const req = { node: 'node1', ip: '10.0.0.1', socketPath: '/run/docker.sock' };

/** A stand-in keeper on a unix socket that answers each request with `answer` (and then echoes). */
async function fakeKeeper(name: string, answer: string | null): Promise<{ path: string; server: Server; requests: string[] }> {
  const path = join(dir, `${name}.sock`);
  const requests: string[] = [];
  const server = createServer((s) => {
    s.once('data', (chunk: Buffer) => {
      requests.push(chunk.toString().split('\n')[0]!);
      if (answer === null) return void s.destroy();
      s.write(answer);
      s.on('data', (c: Buffer) => s.write(c));
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { path, server, requests };
}

describe('SSH keeper: a command\'s side', () => {
  it('asks for the node\'s socket in one line, and the bytes after "ok" belong to the stream', async () => {
    const k = await fakeKeeper('ok', 'ok\nHTTP/1.1 200 OK\r\n');
    try {
      const stream = await openViaKeeper(k.path, req);
      assert.deepEqual(k.requests, [`CMXK1 ${JSON.stringify(req)}`]);
      const first = await new Promise<string>((resolve) => stream.once('data', (c: Buffer) => resolve(c.toString())));
      assert.equal(first, 'HTTP/1.1 200 OK\r\n');
      stream.write('ping');
      assert.equal(await new Promise<string>((resolve) => stream.once('data', (c: Buffer) => resolve(c.toString()))), 'ping');
      stream.destroy();
    } finally {
      k.server.close();
    }
  });

  it('the keeper\'s error is the error (unknown host key: no direct retry); no keeper or a closed stream is KeeperUnavailable', async () => {
    const k = await fakeKeeper('err', 'err node1 (10.0.0.1): host key is unknown; refusing to connect (known hosts: /x)\n');
    const gone = await fakeKeeper('gone', null);
    try {
      await assert.rejects(openViaKeeper(k.path, req), (err: unknown) => err instanceof EnvError && /^node1 \(10\.0\.0\.1\): host key is unknown/.test((err as Error).message));
      await assert.rejects(openViaKeeper(join(dir, 'nobody.sock'), req), KeeperUnavailable);
      await assert.rejects(openViaKeeper(gone.path, req), KeeperUnavailable);
    } finally {
      k.server.close();
      gone.server.close();
    }
  });

  it('parses the answer line only once it is whole', () => {
    assert.equal(parseKeeperAnswer(Buffer.from('o')), null);
    assert.deepEqual(parseKeeperAnswer(Buffer.from('ok\nrest')), { line: 'ok', rest: Buffer.from('rest') });
  });

  it('one keeper per SSH setup, in the state dir; used only where the CLI asks for it and keepMs is not 0', () => {
    const a = keeperPaths({ ssh, stateDir: dir });
    assert.equal(a.socket, keeperPaths({ ssh: { ...ssh }, stateDir: dir }).socket);
    assert.notEqual(a.socket, keeperPaths({ ssh: { ...ssh, keyFile: '/other' }, stateDir: dir }).socket);
    assert.notEqual(a.socket, keeperPaths({ ssh: { ...ssh, knownHostsFile: '/other' }, stateDir: dir }).socket);
    assert.ok(a.socket.startsWith(join(dir, 'run') + '/') && a.socket.length < 100, 'a unix socket path fits');
    assert.equal(keeperWanted({ ssh, stateDir: dir }, { CMX_SSH_KEEPER: '1' }), true);
    assert.equal(keeperWanted({ ssh, stateDir: dir }, {}), false);
    assert.equal(keeperWanted({ ssh: { ...ssh, keepMs: 0 }, stateDir: dir }, { CMX_SSH_KEEPER: '1' }), false);
    assert.equal(keeperWanted({ ssh: { ...ssh } }, { CMX_SSH_KEEPER: '1' }), false);
  });
});

describe('SSH keeper: the keeper', () => {
  it('listens alone (0700 dir, 0600 socket), refuses what is not a request, says why a node cannot be reached, and ends when unused', async () => {
    const stateDir = join(dir, 'state1');
    rmSync(ssh.keyFile, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', ssh.keyFile]);
    writeFileSync(ssh.knownHostsFile, '');
    const config = { ssh: { ...ssh, port: 1 }, stateDir };
    const paths = keeperPaths(config);
    const running = runKeeper(config, { keepMs: 400 });
    // The pid file is written once the socket is ready (mode set).
    for (let i = 0; i < 100 && !existsSync(paths.pid); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(statSync(paths.dir).mode & 0o777, 0o700);
    assert.equal(statSync(paths.socket).mode & 0o777, 0o600);
    assert.equal(await runKeeper(config, { keepMs: 400 }), false, 'a second keeper of the same setup steps aside');

    const raw = await new Promise<string>((resolve) => {
      const s = connect(paths.socket, () => s.write('GET / HTTP/1.1\n'));
      let got = '';
      s.on('data', (c: Buffer) => (got += c.toString())).on('close', () => resolve(got));
    });
    assert.equal(raw, 'err not a keeper request\n');
    // Nothing listens on 127.0.0.1:1: the keeper's SSH connection fails, and it says so, naming the node.
    await assert.rejects(openViaKeeper(paths.socket, { node: 'nodeZ', ip: '127.0.0.1', socketPath: '/run/docker.sock' }),
      (err: unknown) => err instanceof EnvError && /^nodeZ \(root@127\.0\.0\.1:1\): /.test((err as Error).message));
    assert.equal(await running, true, 'it ended after keepMs without streams');
    assert.ok(!existsSync(paths.socket) && !existsSync(paths.pid), 'its socket and pid file are gone');
  });

  it('takes over the socket file a dead keeper left', async () => {
    const stateDir = join(dir, 'state2');
    const config = { ssh, stateDir };
    const paths = keeperPaths(config);
    // A socket file nobody listens on any more (its keeper was killed).
    mkdirSync(paths.dir, { recursive: true });
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(paths.socket, r));
    await new Promise<void>((r) => dead.close(() => r()));
    if (!existsSync(paths.socket)) writeFileSync(paths.socket, '');
    assert.equal(await runKeeper(config, { keepMs: 100 }), true);
  });
});
