import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { ChallengeResponder } from '../../src/adapters/tls/responder.js';
import { EnvError } from '../../src/errors.js';
import { redact } from '../../src/adapters/tls/acme.js';

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as AddressInfo;
    s.close(() => resolve(port));
  });
});

test('the responder answers a token it holds, 404 for any other, and nothing once stopped', async () => {
  const port = await freePort();
  const r = new ChallengeResponder(`127.0.0.1:${port}`);
  await r.start();
  try {
    r.set('tok1', 'tok1.thumb');
    const get = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${port}${path}`, { method });
    const ok = await get('/.well-known/acme-challenge/tok1');
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'tok1.thumb');
    assert.equal((await get('/.well-known/acme-challenge/other')).status, 404);
    assert.equal((await get('/tok1')).status, 404);
    assert.equal((await get('/.well-known/acme-challenge/tok1', 'POST')).status, 404);
    r.delete('tok1');
    assert.equal((await get('/.well-known/acme-challenge/tok1')).status, 404);
  } finally {
    await r.stop();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
});

test('an address in use is an environment error naming acme.responder', async () => {
  const port = await freePort();
  const a = new ChallengeResponder(`127.0.0.1:${port}`);
  const b = new ChallengeResponder(`127.0.0.1:${port}`);
  await a.start();
  try {
    await assert.rejects(b.start(), (e: Error) => e instanceof EnvError && /acme\.responder/.test(e.message) && /in use/.test(e.message));
  } finally {
    await a.stop();
  }
});

test('ACME errors lose tokens and key authorizations, and stay one line', () => {
  const msg = 'Invalid response from http://web.test/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0: "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"\nmore';
  const out = redact(msg);
  assert.ok(!out.includes('LoqXcYV8q5ONbJQxbmR7'));
  assert.ok(!out.includes('\n'));
  assert.match(out, /^Invalid response from http:\/\/web\.test\/\.well-known\/acme-challenge\/…/);
});
