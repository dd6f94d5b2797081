import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import { StreamAgent } from '../../src/adapters/docker/stream-agent.js';

/** A plain Duplex (no socket methods) over a loopback TCP socket, like an SSH channel. */
function plainDuplex(sock: Socket): Duplex {
  const d = new Duplex({
    read: () => void sock.resume(),
    write: (chunk, enc, cb) => void sock.write(chunk, enc, cb),
    final: (cb) => { sock.end(); cb(); },
    destroy: (err, cb) => { sock.destroy(); cb(err); },
  });
  sock.on('data', (c) => { if (!d.push(c)) sock.pause(); });
  sock.on('end', () => d.push(null));
  return d;
}

function get(agent: StreamAgent, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: 'node-under-test', port: 2375, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
    });
    req.on('error', reject).end();
  });
}

test('requests go over streams from open(), kept alive and reused; errors of open() reach the request', async (t) => {
  const server = createServer((req, res) => res.end(`you asked ${req.url}`)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  let opens = 0;
  const agent = new StreamAgent(async () => {
    opens++;
    return plainDuplex(connect(port, '127.0.0.1'));
  });
  t.after(() => agent.destroy());
  for (let i = 0; i < 5; i++) assert.equal(await get(agent, `/_ping?i=${i}`), `you asked /_ping?i=${i}`);
  assert.equal(opens, 1);
  const parallel = await Promise.all([1, 2, 3].map((i) => get(agent, `/p${i}`)));
  assert.deepEqual(parallel, ['you asked /p1', 'you asked /p2', 'you asked /p3']);
  assert.ok(opens <= 3);

  const failing = new StreamAgent(async () => { throw new Error('node1: host key has changed'); });
  await assert.rejects(get(failing, '/_ping'), /node1: host key has changed/);
});

test('inspecting the agent (docker-modem does it on every request, depth unlimited) stays one short line', async (t) => {
  const server = createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const agent = new StreamAgent(async () => plainDuplex(connect(port, '127.0.0.1')));
  t.after(() => agent.destroy());
  await Promise.all([1, 2, 3].map((i) => get(agent, `/p${i}`)));
  const text = inspect({ method: 'GET', agent }, { showHidden: true, depth: null });
  assert.match(text, /StreamAgent \{ sockets: 0, free: [1-3], requests: 0 \}/);
  assert.ok(text.length < 200, `inspect output is ${text.length} characters`);
});
