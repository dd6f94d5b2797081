// The VM lab's settings, without bringing anything up (no root): scripts/vagrant/settings.sh and
// vagrant/Vagrantfile agree on every default, the defaults stay clear of the namespace lab, and
// the pinned MACs are distinct and locally administered.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';

const VARS = ['CMX_NODES', 'CMX_PREFIX', 'CMX_VAGRANT_BRIDGE', 'CMX_VAGRANT_NAT_BRIDGE', 'CMX_VAGRANT_NAT_PREFIX', 'CMX_VAGRANT_NAME'];
const clean = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

function shellDefaults(): Record<string, string> {
  const out = execFileSync('bash', ['-c', `source scripts/vagrant/settings.sh; for v in ${VARS.join(' ')}; do echo "$v=\${!v}"; done`], { env: clean, encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
}

/** Loads the Vagrantfile with a stand-in `Vagrant.configure` and runs `ruby` code after it. */
function ruby(code: string): string {
  const stub = 'module Vagrant; def self.configure(_); end; end; load "vagrant/Vagrantfile"; ';
  return execFileSync('ruby', ['-e', stub + code], { env: clean, encoding: 'utf8' }).trim();
}

const hasRuby = spawnSync('ruby', ['--version']).status === 0;
const hasVagrant = spawnSync('vagrant', ['--version'], { env: { ...clean, VAGRANT_CHECKPOINT_DISABLE: '1' } }).status === 0;

describe('VM lab settings', () => {
  it('settings.sh and the Vagrantfile have the same defaults', { skip: hasRuby ? false : 'ruby is not installed' }, () => {
    const sh = shellDefaults();
    const rb = JSON.parse(ruby('require "json"; puts JSON.generate([NODES.to_s, PREFIX, LXC_BRIDGE, NAT_BRIDGE, NAT_PREFIX, LXC_NAME])')) as string[];
    assert.deepEqual(rb, VARS.map((v) => sh[v]));
  });

  it('the defaults do not collide with the namespace lab', () => {
    const sh = shellDefaults();
    const lab = execFileSync('bash', ['-c', 'source scripts/lab/common.sh; echo "$BRIDGE $NET_PREFIX"'], { env: clean, encoding: 'utf8' }).trim().split(' ');
    assert.equal(lab.length, 2);
    const [labBridge, labPrefix] = lab;
    for (const b of [sh.CMX_VAGRANT_BRIDGE, sh.CMX_VAGRANT_NAT_BRIDGE]) assert.notEqual(b, labBridge);
    for (const p of [sh.CMX_PREFIX, sh.CMX_VAGRANT_NAT_PREFIX]) assert.notEqual(p, labPrefix);
    assert.notEqual(sh.CMX_PREFIX, sh.CMX_VAGRANT_NAT_PREFIX);
  });

  it('pinned MACs are locally administered unicast and distinct per machine and interface', { skip: hasRuby ? false : 'ruby is not installed' }, () => {
    const macs = ruby('puts [PREFIX, NAT_PREFIX].each_with_index.flat_map { |p, i| (0..99).map { |k| mac(p, 1 - i, k) } }').split('\n');
    assert.equal(macs.length, 200);
    assert.equal(new Set(macs).size, 200);
    for (const m of macs) {
      assert.match(m, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      assert.equal(parseInt(m.slice(0, 2), 16) & 0b11, 0b10, `${m}: locally administered, unicast`);
    }
  });

  it('vagrant validate accepts the Vagrantfile (lxc, and the default provider)', { skip: hasVagrant ? false : 'vagrant is not installed', timeout: 120_000 }, () => {
    for (const provider of ['lxc', '']) {
      const env = { ...process.env, VAGRANT_CHECKPOINT_DISABLE: '1', CMX_NODES: '3', ...(provider ? { VAGRANT_DEFAULT_PROVIDER: provider } : {}) };
      const r = spawnSync('vagrant', ['validate'], { cwd: 'vagrant', env, encoding: 'utf8' });
      assert.equal(r.status, 0, `${provider || 'default'}: ${r.stdout}${r.stderr}`);
    }
  });
});
