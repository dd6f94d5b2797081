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
