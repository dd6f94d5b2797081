import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { History } from '../../src/adapters/store/history.js';
import { createApp } from '../../src/api/app.js';
import { readToken } from '../../src/api/listen.js';
import { liveDeps } from '../../src/api/live-deps.js';
import type { Config } from '../../src/config.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { metaFile, repoDir } from '../../src/git/paths.js';
import type { LabManifest } from '../../src/lab/manifest.js';
import { cli } from './helpers/exec.js';
import { ensureLab } from './helpers/lab.js';
import { waitForAnswer } from './helpers/varnish-http.js';

// Names of this file only: users uwebdev, uotherdev, uviewer; apps uweb and uother in plans
// uwebplan and uotherplan; hosts uweb.matrix.test and uother.matrix.test; images cloud/uweb:*, cloud/uother:*.
const dir = mkdtempSync(join(tmpdir(), 'cmx-users-git-'));
const APPS = ['uweb', 'uother'] as const;
const USERS = ['uwebdev', 'uotherdev', 'uviewer'];
const planText = (app: string) => `domain: matrix.test
apps:
  ${app}:
    image: cloud/${app}:0   # set by each push
    replicas: 1
    hosts: [${app}.matrix.test]
    health: { path: /, interval: 1s, timeout: 500ms }
`;
let config: Config;
let manifest: LabManifest;
const tokens: string[] = [];
const tokenOf: Record<string, string> = {};

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, timeout: 300_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

const work = (app: string) => join(dir, `work-${app}`);
const git = (app: string, ...args: string[]) => run('git', ['-c', 'user.name=cmx test', '-c', 'user.email=test@cloudmatrix.invalid', ...args], { cwd: work(app) });

/** ssh as `user`'s key against the lab's git sshd, its host key checked against the lab's git_known_hosts. */
function sshCommand(user: string): string {
  return `ssh -i ${join(dir, user)} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${manifest.git!.knownHosts} -o ConnectTimeout=5`;
}
const gitUrl = (path: string) => `ssh://${manifest.git!.user}@${manifest.git!.listen}/${path}`;

async function pushAs(user: string, app: string, path = `${app}.git`, label = `${user}-${app}`): Promise<{ code: number; out: string; ms: number }> {
  const t0 = Date.now();
  const r = await run('git', ['push', gitUrl(path), 'main'], { cwd: work(app), env: { GIT_SSH_COMMAND: sshCommand(user) } });
  mkdirSync('artifacts', { recursive: true });
  writeFileSync(join('artifacts', `users-git-${label}.txt`), r.out);
  return { ...r, ms: Date.now() - t0 };
}

function ssh(user: string, command?: string): Promise<{ code: number; out: string }> {
  const [host, port] = manifest.git!.listen.split(':');
  const args = ['-i', join(dir, user), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${manifest.git!.knownHosts}`, '-o', 'ConnectTimeout=5', '-p', port!, `${manifest.git!.user}@${host}`];
  return run('ssh', command === undefined ? args : [...args, command]);
}

async function commitPage(app: string, text: string): Promise<string> {
  writeFileSync(join(work(app), 'www', 'index.html'), `${text}\n`);
  assert.equal((await git(app, 'add', '-A')).code, 0);
  assert.equal((await git(app, 'commit', '-q', '-m', text)).code, 0);
  return (await git(app, 'rev-parse', 'HEAD')).out.trim();
}

const refsOf = (app: string) => execFileSync('git', ['--git-dir', repoDir(config, app), 'for-each-ref'], { encoding: 'utf8' });

async function addUser(name: string, role: string, app: string): Promise<void> {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@workstation`, '-f', join(dir, name)]);
  const r = await cli(['user', 'add', name, '--role', role, '--apps', app, '--ssh-key', join(dir, `${name}.pub`)]);
  assert.equal(r.code, 0, r.stderr);
  const token = r.stdout.trim().split('\n').pop()!;
  assert.match(token, /^cmx_[0-9a-f]{16}\./);
  tokens.push(token);
  tokenOf[name] = token;
}

before(async () => {
  ({ config, manifest } = await ensureLab());
  assert.ok(manifest.git, 'the lab runs the git sshd');
  for (const u of USERS) await cli(['user', 'rm', u]);
  await addUser('uwebdev', 'deployer', 'uweb');
  await addUser('uotherdev', 'deployer', 'uother');
  await addUser('uviewer', 'viewer', 'uweb');
  for (const app of APPS) {
    writeFileSync(join(dir, `${app}plan.yaml`), planText(app));
    const r = await cli(['git', 'init', app, '--plan', join(dir, `${app}plan.yaml`)]);
    assert.equal(r.code, 0, r.stderr);
    mkdirSync(join(work(app), 'www'), { recursive: true });
    for (const f of ['Dockerfile', 'prepare.sh', '.dockerignore']) copyFileSync(join('images/simplewebapp1', f), join(work(app), f));
    writeFileSync(join(work(app), '.gitignore'), 'busybox\n');
    assert.equal((await git(app, 'init', '-q', '-b', 'main')).code, 0);
  }
});

after(async () => {
  if (config) {
    for (const app of APPS) {
      for (let i = 0; i < 120; i++) {
        const err = await undeploy(config, `${app}plan`).then(() => null, (e: Error) => e.message);
        if (!err || /is not deployed/.test(err)) break;
        if (!/holds the lock|taking the lock/.test(err)) throw new Error(`cleanup: ${err}`);
        await sleep(1000);
      }
      rmSync(repoDir(config, app), { recursive: true, force: true });
      rmSync(metaFile(config, app), { force: true });
    }
    for (const u of USERS) await cli(['user', 'rm', u]);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('users and git over SSH', () => {
  it('a deployer of uweb pushes over SSH: it builds, pushes, deploys (remote: lines) and answers through Varnish; history names the user', async (t) => {
    const sha = await commitPage('uweb', 'uweb v1');
    const r = await pushAs('uwebdev', 'uweb');
    t.diagnostic(`push over SSH to live: ${r.ms} ms`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`remote: cloudmatrix: uweb: building main at ${sha.slice(0, 12)}`));
    assert.match(r.out, /remote: cloudmatrix: uweb [0-9a-f]{12} is live/);
    assert.equal((await waitForAnswer('uweb.matrix.test', (a) => a.body === 'uweb v1\n')).body, 'uweb v1\n');
    const rec = new History(config.stateDir).list('uweb').at(-1)!;
    assert.equal(rec.user, 'uwebdev');
    assert.equal(rec.via, 'git');
  });

  it('for comparison: the same push through the file remote on the manager (root, via cli)', async (t) => {
    await commitPage('uweb', 'uweb v2');
    const t0 = Date.now();
    const r = await run('git', ['push', repoDir(config, 'uweb'), 'main'], { cwd: work('uweb') });
    t.diagnostic(`push over the file remote to live: ${Date.now() - t0} ms`);
    assert.match(r.out, /is live/, r.out);
    assert.equal((await waitForAnswer('uweb.matrix.test', (a) => a.body === 'uweb v2\n')).body, 'uweb v2\n');
    assert.equal(new History(config.stateDir).list('uweb').at(-1)!.via, 'cli');
  });

  it('the same user pushing another app, asking for a shell, or naming ../x.git is refused with one line, and nothing changes', async () => {
    await commitPage('uother', 'uother by the wrong user');
    const historyBefore = new History(config.stateDir).list().length;
    const refsBefore = refsOf('uother');
    const other = await pushAs('uwebdev', 'uother', 'uother.git', 'refused-other');
    assert.notEqual(other.code, 0);
    assert.match(other.out, /cloudmatrix: user uwebdev \(deployer\) may not push to uother\.git/);
    const traversal = await pushAs('uwebdev', 'uother', '../x.git', 'refused-traversal');
    assert.notEqual(traversal.code, 0);
    assert.match(traversal.out, /cloudmatrix: the repository path contains "\.\."/);
    const shell = await ssh('uwebdev', 'sh');
    assert.notEqual(shell.code, 0);
    assert.equal(shell.out.trim(), "cloudmatrix: only git-receive-pack 'APP.git' and git-upload-pack 'APP.git' (git push and git fetch) are accepted here");
    const bare = await ssh('uwebdev');
    assert.notEqual(bare.code, 0);
    assert.match(bare.out, /this account has no shell/);
    for (const cmd of ["git-receive-pack 'uweb.git'; id", "git-receive-pack 'uwеb.git'", `git-receive-pack '${'a'.repeat(400)}.git'`, 'git-upload-archive uweb.git']) {
      const r = await ssh('uwebdev', cmd);
      assert.notEqual(r.code, 0, cmd);
      assert.equal(r.out.trim().split('\n').length, 1, r.out);
    }
    const viewer = await pushAs('uviewer', 'uweb', 'uweb.git', 'refused-viewer');
    assert.match(viewer.out, /user uviewer \(viewer\) may not push to uweb\.git/);
    assert.equal(refsOf('uother'), refsBefore);
    assert.equal(new History(config.stateDir).list().length, historyBefore);
    assert.equal((await waitForAnswer('uweb.matrix.test', (a) => a.body === 'uweb v2\n')).body, 'uweb v2\n');
  });

  it('a viewer may fetch (clone) its app\'s repository over SSH, not another\'s', async () => {
    const env = { GIT_SSH_COMMAND: sshCommand('uviewer') };
    const ok = await run('git', ['clone', '-q', gitUrl('uweb.git'), join(dir, 'clone-uweb')], { env });
    assert.equal(ok.code, 0, ok.out);
    assert.equal(readFileSync(join(dir, 'clone-uweb', 'www', 'index.html'), 'utf8'), 'uweb v2\n');
    const no = await run('git', ['clone', '-q', gitUrl('uother.git'), join(dir, 'clone-uother')], { env });
    assert.notEqual(no.code, 0);
    assert.match(no.out, /cloudmatrix: user uviewer \(viewer\) may not fetch uother\.git/);
  });

  it('another user deploys another app; history names each', async () => {
    await commitPage('uother', 'uother v1');
    const r = await pushAs('uotherdev', 'uother');
    assert.equal(r.code, 0, r.out);
    assert.equal((await waitForAnswer('uother.matrix.test', (a) => a.body === 'uother v1\n')).body, 'uother v1\n');
    const h = new History(config.stateDir);
    assert.equal(h.list('uother').at(-1)!.user, 'uotherdev');
    assert.equal(h.list('uweb').find((x) => x.via === 'git')!.user, 'uwebdev');
    const text = (await cli(['history', 'uother'])).stdout;
    assert.match(text, /by uotherdev \(git\)/);
  });

  it('the API on the lab: a viewer sees only its app and may not deploy; a rotated token stops at once', async () => {
    const server: Server = createApp(liveDeps(config, readToken(config), 'test', () => undefined)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const get = (path: string, token: string) => fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      const apps = (await (await get('/api/apps', tokenOf.uviewer!)).json()) as { apps: { app: string }[] };
      assert.deepEqual(apps.apps.map((a) => a.app), ['uweb']);
      const deploys = (await (await get('/api/deploys', tokenOf.uviewer!)).json()) as { deploys: { apps: { app: string }[]; user?: string }[] };
      assert.ok(deploys.deploys.length > 0 && deploys.deploys.every((d) => d.apps.every((a) => a.app === 'uweb')));
      const post = (token: string, name: string, plan: string) =>
        fetch(`${base}/api/deploys`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name, plan }) });
      const deployed = readFileSync(join(dir, 'uotherplan.yaml'), 'utf8');
      assert.equal((await post(tokenOf.uviewer!, 'uwebplan', readFileSync(join(dir, 'uwebplan.yaml'), 'utf8').replace('replicas: 1', 'replicas: 2'))).status, 403);
      const foreign = await post(tokenOf.uwebdev!, 'uotherplan', deployed.replace('replicas: 1', 'replicas: 2'));
      assert.equal(foreign.status, 403);
      assert.match(((await foreign.json()) as { error: string }).error, /may not deploy app "uother"/);
      const rotated = await cli(['user', 'token', 'uviewer']);
      tokens.push(rotated.stdout.trim().split('\n').pop()!);
      assert.equal((await get('/api/apps', tokenOf.uviewer!)).status, 401);
      assert.equal((await get('/api/apps', tokens.at(-1)!)).status, 200);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('the state dir holds no token in clear', async () => {
    const args = ['-rlF', '--exclude-dir=docker', '--exclude-dir=exec', '--exclude-dir=registry', ...tokens.flatMap((t) => ['-e', t.split('.')[1]!]), config.stateDir];
    const r = await run('grep', args);
    assert.equal(r.code, 1, `found in: ${r.out}`);
  });
});
