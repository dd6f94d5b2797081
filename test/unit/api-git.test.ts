import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config.js';
import { hookScript, initRepo } from '../../src/git/init.js';
import { readGitApp } from '../../src/git/paths.js';
import { setAppImage } from '../../src/git/plan-edit.js';
import { deployRef, parseRefLines } from '../../src/git/refs.js';
import { reachLines } from '../../src/git/receive.js';

const PLAN = `# the plan (this comment stays)
domain: matrix.test
apps:
  web:
    image: cloud/web:0   # replaced by each push
    replicas: 2
    paths: [/web/]
  other: { image: cloud/other:1 }
`;
const sha = (c: string) => c.repeat(40);

test('setAppImage changes only the image characters; comments and spacing stay', () => {
  const out = setAppImage(PLAN, 'p.yaml', 'web', 'cloud/web:0123456789ab');
  assert.equal(out, PLAN.replace('cloud/web:0   #', 'cloud/web:0123456789ab   #'));
  assert.equal(setAppImage(out, 'p.yaml', 'other', 'cloud/other:2'), out.replace('cloud/other:1', 'cloud/other:2'));
  const quoted = setAppImage(PLAN.replace('cloud/web:0', '"cloud/web:0"'), 'p.yaml', 'web', 'cloud/web:9');
  assert.match(quoted, /image: "cloud\/web:9"   # replaced/);
});

test('setAppImage refuses an app that is not in the plan, a legacy plan, a broken plan', () => {
  assert.throws(() => setAppImage(PLAN, 'p.yaml', 'nope', 'cloud/nope:1'), /p\.yaml: app "nope" is not in the plan \(apps: other, web\)/);
  assert.throws(() => setAppImage('web\tnode1\t8081\t8080\n', 'p.plan', 'web', 'cloud/web:1'), /legacy \.plan names no image/);
  assert.throws(() => setAppImage('apps: [\n', 'p.yaml', 'web', 'cloud/web:1'), /the plan has errors/);
});

test('the ref lines: main deploys, else master; deletes and other branches do not', () => {
  const lines = `${sha('0')} ${sha('a')} refs/heads/feature\n${sha('b')} ${sha('c')} refs/heads/master\n${sha('c')} ${sha('d')} refs/heads/main\n`;
  assert.equal(deployRef(parseRefLines(lines))?.new, sha('d'));
  assert.equal(deployRef(parseRefLines(lines.split('\n').slice(0, 2).join('\n')))?.ref, 'refs/heads/master');
  assert.equal(deployRef(parseRefLines(`${sha('a')} ${sha('0')} refs/heads/main\n`)), null);
  assert.equal(deployRef(parseRefLines('garbage\n\n')), null);
});

test('the hook quotes its paths and hands stdin to git receive', () => {
  const s = hookScript({ node: '/usr/bin/node', cli: "/opt/it's/bin/cloudmatrix.js", config: '/etc/c.json', app: 'web' });
  assert.match(s, /^#!\/bin\/sh\n/);
  assert.match(s, /\nexec '\/usr\/bin\/node' '\/opt\/it'\\''s\/bin\/cloudmatrix\.js' git receive 'web'\n$/);
  assert.match(s, /CLOUDMATRIX_CONFIG='\/etc\/c\.json'\nexport CLOUDMATRIX_CONFIG/);
  assert.equal(execFileSync('sh', ['-n'], { input: s }).length, 0);
});

test('initRepo makes a bare repo with an executable hook and records the plan; refuses apps not in it', async () => {
  const state = mkdtempSync(join(tmpdir(), 'cmx-git-'));
  const planFile = join(state, 'p.yaml');
  writeFileSync(planFile, PLAN);
  const config = { stateDir: state, varnish: { listen: '127.0.0.1:6081' } } as Config;
  const r = await initRepo(config, 'web', planFile);
  assert.equal(r.dir, join(state, 'git', 'web.git'));
  assert.equal(execFileSync('git', ['--git-dir', r.dir, 'rev-parse', '--is-bare-repository']).toString().trim(), 'true');
  assert.equal(execFileSync('git', ['--git-dir', r.dir, 'symbolic-ref', 'HEAD']).toString().trim(), 'refs/heads/main');
  assert.ok(statSync(join(r.dir, 'hooks', 'post-receive')).mode & 0o100);
  assert.match(readFileSync(join(r.dir, 'hooks', 'post-receive'), 'utf8'), /git receive 'web'/);
  assert.equal(readGitApp(config, 'web').planFile, planFile);
  assert.equal((await initRepo(config, 'web', planFile)).existed, true);
  await assert.rejects(initRepo(config, 'nope', planFile), /app "nope" is not in the plan/);
  assert.equal(existsSync(join(state, 'git', 'nope.git')), false);
  await assert.rejects(initRepo(config, 'Bad Name', planFile), /an app name is 1-63 of a-z/);
  await assert.rejects(initRepo(config, 'web', join(state, 'none.yaml')), /no such plan file/);
});

test('reachLines: a curl line per host and per path', () => {
  const config = { varnish: { listen: '127.0.0.1:6081' } } as Config;
  assert.deepEqual(reachLines(config, { hosts: ['web.matrix.test'], paths: ['/web/'] }), [
    "  curl -H 'Host: web.matrix.test' http://127.0.0.1:6081/", '  curl http://127.0.0.1:6081/web/',
  ]);
});
