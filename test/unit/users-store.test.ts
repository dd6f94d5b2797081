import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { UserStore, authorizedKeysPath, usersPath } from '../../src/adapters/store/users.js';
import { Authenticator } from '../../src/users/authenticate.js';
import { newToken, tokenId, verifyToken } from '../../src/users/tokens.js';
import { addKey, addUser, listUsers, removeKey, removeUser, rotateToken, setUser } from '../../src/users/users.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cmx-users-'));

function key(d: string, name: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(d, name)]);
  return join(d, `${name}.pub`);
}

test('a token verifies against its hash only; another token, a changed one or one of another id does not', async () => {
  const a = await newToken();
  const b = await newToken();
  assert.match(a.token, /^cmx_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
  assert.equal(tokenId(a.token), a.stored.id);
  assert.equal(await verifyToken(a.token, a.stored), true);
  assert.equal(await verifyToken(b.token, a.stored), false);
  assert.equal(await verifyToken(`${a.token.slice(0, -1)}${a.token.endsWith('A') ? 'B' : 'A'}`, a.stored), false);
  // the right secret under another id
  assert.equal(await verifyToken(`cmx_${b.stored.id}.${a.token.split('.')[1]}`, a.stored), false);
  assert.equal(await verifyToken('garbage', a.stored), false);
  assert.ok(!JSON.stringify(a.stored).includes(a.token.split('.')[1]!));
});

test('users.json is 0600 and holds no token in clear; authorized_keys follows every change', async () => {
  const d = dir();
  const alice = key(d, 'alice');
  const { token } = await addUser(d, { name: 'alice', role: 'deployer', apps: 'web', keyFiles: [alice] });
  assert.equal(statSync(usersPath(d)).mode & 0o777, 0o600);
  const secret = token.split('.')[1]!;
  for (const f of readdirSync(d, { recursive: true }) as string[]) {
    const p = join(d, f);
    if (statSync(p).isFile()) assert.ok(!readFileSync(p, 'utf8').includes(secret), f);
  }
  assert.match(readFileSync(authorizedKeysPath(d), 'utf8'), /command="cloudmatrix git shell alice",no-pty/);
  const bob = key(d, 'bob');
  const fp = addKey(d, 'alice', bob);
  assert.equal(readFileSync(authorizedKeysPath(d), 'utf8').split('\n').filter((l) => l.startsWith('command=')).length, 2);
  assert.equal(removeKey(d, 'alice', fp), fp);
  assert.equal(removeKey(d, 'alice', alice), removeKeyFp(d, alice));
  assert.ok(!readFileSync(authorizedKeysPath(d), 'utf8').includes('command='));
  removeUser(d, 'alice');
  assert.deepEqual(listUsers(d), []);
});

function removeKeyFp(_d: string, file: string): string {
  return execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' }).split(' ')[1]!;
}

test('bad input is a UserError naming the flag and changes nothing', async () => {
  const d = dir();
  await addUser(d, { name: 'alice', role: 'viewer', apps: 'web' });
  const before = readFileSync(usersPath(d), 'utf8');
  const cases: [Parameters<typeof addUser>[1], RegExp][] = [
    [{ name: 'alice' }, /^NAME: user alice exists/],
    [{ name: 'Alice' }, /^NAME /],
    [{ name: 'a'.repeat(40) }, /^NAME /],
    [{ name: 'bob', role: 'root' }, /^--role: /],
    [{ name: 'bob', apps: 'web,../x' }, /^--apps: /],
    [{ name: 'bob', role: 'admin', apps: 'web' }, /^--apps: /],
    [{ name: 'bob', keyFiles: ['/nonexistent.pub'] }, /^--ssh-key \/nonexistent\.pub: cannot read/],
  ];
  for (const [input, msg] of cases) await assert.rejects(addUser(d, input), (e: Error) => e instanceof UserError && msg.test(e.message));
  assert.throws(() => removeUser(d, 'nobody'), /NAME: no user nobody/);
  await assert.rejects(rotateToken(d, 'nobody'), /NAME: no user nobody/);
  assert.equal(readFileSync(usersPath(d), 'utf8'), before);
});

test('two writers at once never lose an update (flock around read-modify-write)', async () => {
  const d = dir();
  const script = `import { addUser } from ${JSON.stringify(new URL('../../src/users/users.ts', import.meta.url).pathname)};
    for (let i = 0; i < 5; i++) await addUser(process.argv[1], { name: process.argv[2] + i, role: 'viewer', apps: 'web' });`;
  const run = (prefix: string) => new Promise<number>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, d, prefix], { stdio: 'inherit' });
    p.on('close', (c) => resolve(c ?? 1));
  });
  assert.deepEqual(await Promise.all([run('a'), run('b'), run('c')]), [0, 0, 0]);
  assert.equal(listUsers(d).length, 15);
});

test('the authenticator: a user token is that user; a rotated token stops at once; a removed user at once', async () => {
  const d = dir();
  const store = new UserStore(d);
  const auth = new Authenticator(store, 'builtin-token-0123456789');
  const { token } = await addUser(d, { name: 'alice', role: 'deployer', apps: 'web' });
  assert.deepEqual(await auth.principal(token), { name: 'alice', role: 'deployer', apps: ['web'] });
  assert.equal((await auth.principal('builtin-token-0123456789'))?.role, 'admin');
  // the second check is served from the cache of checked tokens: far cheaper than scrypt
  let t0 = performance.now();
  await auth.principal(token);
  const cached = performance.now() - t0;
  assert.ok(listUsers(d)[0]!.lastUsedAt, 'last use noted');
  const fresh = await rotateToken(d, 'alice');
  assert.equal(await auth.principal(token), null);
  t0 = performance.now();
  assert.equal((await auth.principal(fresh))?.name, 'alice');
  const scrypted = performance.now() - t0;
  assert.ok(cached < scrypted, `cached ${cached} ms, scrypt ${scrypted} ms`);
  removeUser(d, 'alice');
  assert.equal(await auth.principal(fresh), null);
  assert.equal(await auth.principal(`cmx_0123456789abcdef.${'A'.repeat(43)}`), null);
  assert.equal(await auth.principal(''), null);
});

test('user set changes role and apps, keeps the token; the authenticator sees it on the next request', async () => {
  const d = dir();
  const auth = new Authenticator(new UserStore(d), null);
  const { token } = await addUser(d, { name: 'alice', role: 'viewer', apps: 'web' });
  assert.deepEqual(await auth.principal(token), { name: 'alice', role: 'viewer', apps: ['web'] });
  assert.deepEqual(setUser(d, 'alice', { role: 'deployer', apps: 'web,api' }).apps, ['api', 'web']);
  assert.deepEqual(await auth.principal(token), { name: 'alice', role: 'deployer', apps: ['api', 'web'] });
  assert.deepEqual(setUser(d, 'alice', { apps: '' }).apps, []);
  assert.equal(setUser(d, 'alice', { role: 'admin' }).role, 'admin');
  const before = readFileSync(usersPath(d), 'utf8');
  assert.throws(() => setUser(d, 'alice', {}), /give --role and\/or --apps/);
  assert.throws(() => setUser(d, 'alice', { apps: 'web' }), /^UserError: --apps: an admin/);
  assert.throws(() => setUser(d, 'alice', { role: 'god' }), /--role: /);
  assert.throws(() => setUser(d, 'bob', { role: 'viewer' }), /NAME: no user bob/);
  assert.equal(readFileSync(usersPath(d), 'utf8'), before);
});
