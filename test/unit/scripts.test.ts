import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return shellScripts(path);
    return path.endsWith('.sh') || name === 'run' || name.endsWith('.script') ? [path] : [];
  });
}

describe('scripts', () => {
  for (const script of [...shellScripts('scripts'), '.ci/run']) {
    it(`${script} parses (bash -n)`, () => {
      const shell = script.endsWith('.script') ? 'sh' : 'bash';
      const res = spawnSync(shell, ['-n', script], { encoding: 'utf8' });
      assert.equal(res.status, 0, res.stderr);
    });
  }

  const hasRuby = spawnSync('ruby', ['--version']).status === 0;
  it('vagrant/Vagrantfile parses (ruby -c)', { skip: hasRuby ? false : 'ruby is not installed' }, () => {
    const out = execFileSync('ruby', ['-c', 'vagrant/Vagrantfile'], { encoding: 'utf8' });
    assert.match(out, /Syntax OK/);
  });

  it('.ci/run calls the test command that README.md names', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync('README.md', 'utf8');
    const ci = readFileSync('.ci/run', 'utf8');
    assert.match(readme, /npm test/);
    assert.match(ci, /^npm test$/m);
  });
});
