import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../src/config.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { metaFile, repoDir } from '../../src/git/paths.js';
import { ensureLab } from './helpers/lab.js';

// Names of this file only: plan gitplan, app gitweb, host gitweb.matrix.test, images cloud/gitweb:*.
const dir = mkdtempSync(join(tmpdir(), 'cmx-gitpush-'));
const planFile = join(dir, 'gitplan.yaml');
const work = join(dir, 'work');
const PLAN = `# git push test plan: the first push replaces the placeholder image
domain: matrix.test
apps:
  gitweb:
    image: cloud/gitweb:0   # set by each push
    replicas: 1
    hosts: [gitweb.matrix.test]
    health: { path: /, interval: 1s, timeout: 500ms }
`;
let config: Config;

function run(cmd: string, args: string[], cwd = work, timeoutMs = 300_000): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

const git = (...args: string[]) => run('git', ['-c', 'user.name=cmx test', '-c', 'user.email=test@cloudmatrix.invalid', ...args]);

/** Pushes main to the app's repository; the output is kept under artifacts/ to read. */
async function push(name: string): Promise<{ code: number; out: string }> {
  const r = await git('push', repoDir(config, 'gitweb'), 'main');
  mkdirSync('artifacts', { recursive: true });
  writeFileSync(join('artifacts', `git-push-${name}.txt`), r.out);
  return r;
}

async function commitPage(text: string): Promise<string> {
  writeFileSync(join(work, 'www', 'index.html'), `${text}\n`);
  assert.equal((await git('add', '-A')).code, 0);
  assert.equal((await git('commit', '-q', '-m', text)).code, 0);
  return (await git('rev-parse', 'HEAD')).out.trim();
}

/** GET through Varnish by host, a few bounded tries until `want` answers. */
async function varnishBody(host: string, want: string): Promise<string> {
  const [vhost, vport] = config.varnish.listen.split(':');
  let body = '';
  for (let i = 0; i < 40 && body !== want; i++) {
    if (i) await sleep(250);
    body = await new Promise<string>((done) => {
      const req = request({ host: vhost, port: Number(vport), path: '/', headers: { Host: host }, timeout: 3000 }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => done(res.statusCode === 200 ? b : `HTTP ${res.statusCode}`));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', (e) => done(e.message));
      req.end();
    });
  }
  return body;
}

before(async () => {
  ({ config } = await ensureLab());
  writeFileSync(planFile, PLAN);
  mkdirSync(join(work, 'www'), { recursive: true });
  for (const f of ['Dockerfile', 'prepare.sh', '.dockerignore']) copyFileSync(join('images/simplewebapp1', f), join(work, f));
  writeFileSync(join(work, '.gitignore'), 'busybox\n');
  assert.equal((await git('init', '-q', '-b', 'main')).code, 0);
});

after(async () => {
  if (config) {
    for (let i = 0; i < 120; i++) {
      const err = await undeploy(config, 'gitplan').then(() => null, (e: Error) => e.message);
      if (!err || /is not deployed/.test(err)) break;
      if (!/holds the lock|taking the lock/.test(err)) throw new Error(`cleanup: ${err}`);
      await sleep(1000);
    }
    rmSync(repoDir(config, 'gitweb'), { recursive: true, force: true });
    rmSync(metaFile(config, 'gitweb'), { force: true });
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('git push deploys', () => {
  it('git init refuses an app that is not in the plan, then makes the repository', async () => {
    const cli = resolve('bin/cloudmatrix.js');
    const bad = await run(process.execPath, [cli, 'git', 'init', 'nothere', '--plan', planFile], process.cwd());
    assert.equal(bad.code, 2);
    assert.match(bad.out, /app "nothere" is not in the plan \(apps: gitweb\)/);
    const ok = await run(process.execPath, [cli, 'git', 'init', 'gitweb', '--plan', planFile], process.cwd());
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, new RegExp(`created ${repoDir(config, 'gitweb')}`));
  });

  it('the first push builds, pushes and deploys; the push output shows it and how to reach the app', async (t) => {
    const sha = await commitPage('gitweb v1');
    const t0 = Date.now();
    const r = await push('first');
    t.diagnostic(`first push to live: ${Date.now() - t0} ms`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`remote: cloudmatrix: gitweb: building main at ${sha.slice(0, 12)}`));
    assert.match(r.out, /remote: +Step 1\/\d+ : FROM scratch/);
    assert.match(r.out, /remote: +\[gitweb\] node\d: healthy/);
    assert.match(r.out, /remote: cloudmatrix: gitweb [0-9a-f]{12} is live/);
    assert.match(r.out, /remote: +curl -H 'Host: gitweb\.matrix\.test' http:\/\/127\.0\.0\.1:6081\//);
    assert.equal(await varnishBody('gitweb.matrix.test', 'gitweb v1\n'), 'gitweb v1\n');
    assert.equal(readFileSync(planFile, 'utf8'), PLAN.replace('cloud/gitweb:0   #', `cloud/gitweb:${sha.slice(0, 12)}   #`));
  });

  it('a second push replaces the running version', async (t) => {
    const sha = await commitPage('gitweb v2');
    const t0 = Date.now();
    const r = await push('second');
    t.diagnostic(`second push to live: ${Date.now() - t0} ms`);
    assert.match(r.out, /is live/, r.out);
    assert.equal(await varnishBody('gitweb.matrix.test', 'gitweb v2\n'), 'gitweb v2\n');
    assert.match(readFileSync(planFile, 'utf8'), new RegExp(`image: cloud/gitweb:${sha.slice(0, 12)} `));
  });

  it('a push whose build fails says so and leaves what runs and the plan as they were', async () => {
    const planBefore = readFileSync(planFile, 'utf8');
    writeFileSync(join(work, 'Dockerfile'), 'FROM scratch\nCOPY no-such-file /x\n');
    await commitPage('gitweb broken');
    const r = await push('build-fails');
    assert.match(r.out, /remote: cloudmatrix: build FAILED: build of .*cloud\/gitweb:[0-9a-f]{12} failed/, r.out);
    assert.match(r.out, /remote: cloudmatrix: gitweb was not deployed; what runs is unchanged/);
    assert.equal(await varnishBody('gitweb.matrix.test', 'gitweb v2\n'), 'gitweb v2\n');
    assert.equal(readFileSync(planFile, 'utf8'), planBefore);
  });

  it('a push whose deploy fails (the container exits) keeps the old version serving and the plan as it was', async () => {
    const planBefore = readFileSync(planFile, 'utf8');
    writeFileSync(join(work, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nEXPOSE 8080\nCMD ["/bin/busybox", "false"]\n');
    await commitPage('gitweb crashes');
    const r = await push('deploy-fails');
    assert.match(r.out, /remote: cloudmatrix: deploy FAILED: /, r.out);
    assert.match(r.out, /what runs is unchanged and .*gitplan\.yaml is as it was/);
    assert.equal(await varnishBody('gitweb.matrix.test', 'gitweb v2\n'), 'gitweb v2\n');
    assert.equal(readFileSync(planFile, 'utf8'), planBefore);
  });
});
