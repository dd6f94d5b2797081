import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_GIT_COMMAND, parseGitCommand } from '../../src/model/users/git-command.js';

test('what git sends over SSH is accepted, in each of its spellings', () => {
  const ok = [
    ["git-receive-pack 'web.git'", 'git-receive-pack', 'web'],
    ["git-upload-pack 'web.git'", 'git-upload-pack', 'web'],
    ["git-receive-pack '/web.git'", 'git-receive-pack', 'web'],
    ["git-receive-pack '~/web.git'", 'git-receive-pack', 'web'],
    ["git receive-pack 'web'", 'git-receive-pack', 'web'],
    ['git-upload-pack web.git', 'git-upload-pack', 'web'],
    ["git-receive-pack 'my_app-2.git'", 'git-receive-pack', 'my_app-2'],
  ] as const;
  for (const [cmd, service, app] of ok) assert.deepEqual(parseGitCommand(cmd), { service, app }, cmd);
});

test('hostile commands are refused with one line that does not echo them whole', () => {
  const bad = [
    undefined, '', 'sh', 'bash -i', 'git-receive-pack', "git-receive-pack '../x.git'", "git-receive-pack 'a/../../etc.git'",
    "git-receive-pack '/etc/passwd'", "git-receive-pack 'web.git'; sh", "git-receive-pack 'web.git' extra", "git-upload-archive 'web.git'",
    "git-receive-pack 'web.git\0'", "git-receive-pack 'wеb.git'" /* Cyrillic е */, "git-receive-pack 'ｗｅｂ.git'", "git-receive-pack 'web.git\n'",
    "git-receive-pack \"web.git\"", "git-receive-pack 'Web.git'", "git-receive-pack '-x.git'", "git-receive-pack '.git'",
    `git-receive-pack '${'a'.repeat(300)}.git'`, "git-receive-pack 'web .git'", "git-receive-pack $(id).git", 'git-receive-pack `id`.git',
    "git-receive-pack '--upload-pack=sh.git'", "git-receive-pack 'sub/web.git'",
  ];
  for (const cmd of bad) {
    const r = parseGitCommand(cmd);
    assert.ok('error' in r, JSON.stringify(cmd));
    assert.ok(!r.error.includes('\n') && r.error.length < 300, r.error);
  }
  assert.match((parseGitCommand("git-receive-pack '../x.git'") as { error: string }).error, /"\.\."/);
});

test('any input: either a plain app name and a known service, or an error; never a path or a long answer', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 80 }).map((s) => `git-receive-pack '${s}.git'`)), (cmd) => {
    const r = parseGitCommand(cmd);
    if ('error' in r) return assert.ok(r.error.length < 300 && !r.error.includes('\n'));
    assert.match(r.app, /^[a-z0-9][a-z0-9_-]{0,62}$/);
    assert.ok(cmd.length <= MAX_GIT_COMMAND);
  }));
});

test('git shell decides by the user\'s role and apps, before looking for the repository', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { UserStore } = await import('../../src/adapters/store/users.js');
  const { gitShellDecision } = await import('../../src/git/shell.js');
  const { addUser } = await import('../../src/users/users.js');
  const { Forbidden } = await import('../../src/errors.js');
  const d = mkdtempSync(join(tmpdir(), 'cmx-gitshell-'));
  const config = { stateDir: d } as Parameters<typeof gitShellDecision>[0];
  for (const app of ['web', 'other']) {
    mkdirSync(join(d, 'git', `${app}.git`), { recursive: true });
    writeFileSync(join(d, 'git', `${app}.git`, 'HEAD'), 'ref: refs/heads/main\n');
  }
  await addUser(d, { name: 'dan', role: 'deployer', apps: 'web,nothere' });
  await addUser(d, { name: 'vera', role: 'viewer', apps: 'web' });
  const store = new UserStore(d);
  assert.deepEqual(gitShellDecision(config, store, 'dan', "git-receive-pack 'web.git'"), { service: 'git-receive-pack', dir: join(d, 'git', 'web.git') });
  assert.deepEqual(gitShellDecision(config, store, 'vera', "git-upload-pack 'web.git'"), { service: 'git-upload-pack', dir: join(d, 'git', 'web.git') });
  const refused: [string, string | undefined, RegExp][] = [
    ['dan', "git-receive-pack 'other.git'", /user dan \(deployer\) may not push to other\.git/],
    ['dan', "git-upload-pack 'other.git'", /may not fetch other\.git/],
    ['vera', "git-receive-pack 'web.git'", /user vera \(viewer\) may not push to web\.git/],
    ['dan', 'sh', /only git-receive-pack/],
    ['dan', undefined, /this account has no shell/],
    ['dan', "git-receive-pack '../x.git'", /"\.\."/],
    ['dan', "git-receive-pack 'nothere.git'", /no repository nothere\.git/],
    ['ghost', "git-receive-pack 'web.git'", /user ghost is gone/],
    ['Dan;sh', "git-receive-pack 'web.git'", /no valid user/],
  ];
  for (const [user, cmd, msg] of refused) {
    assert.throws(() => gitShellDecision(config, store, user, cmd), (e: Error) => e instanceof Forbidden && msg.test(e.message) && !e.message.includes('\n'), `${user} ${cmd}`);
  }
});
