// The VM lab on LXC, end to end (npm run test:vagrant, as root): `npm run vagrant:up` brings up the
// manager and CMX_NODES nodes (default 2), the demo's main job runs inside the manager, every app of
// plans/hello.yaml answers through the manager's Varnish reached from this host at the manager's
// lab address, the nodes' addresses come from the manager's dnsmasq; then `npm run vagrant:down`
// leaves no LXC container, bridge or nft table of ours. Never touches the namespace lab (cmx0).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { parseLeases } from '../../src/model/leases.js';
import { sh, type RunResult } from '../integration/helpers/exec.js';

const NODES = Number(process.env.CMX_NODES ?? '2');
const PREFIX = process.env.CMX_PREFIX ?? '10.78.0';
const NAME = process.env.CMX_VAGRANT_NAME ?? 'cmxv';
const BRIDGES = [process.env.CMX_VAGRANT_BRIDGE ?? 'cmxv0', process.env.CMX_VAGRANT_NAT_BRIDGE ?? 'cmxvnat0'];
const NFT_TABLE = `cmxvagrant_${BRIDGES[1]}`;
const MANAGER = `${PREFIX}.1`;
const NODE_NAMES = Array.from({ length: NODES }, (_, i) => `node${i + 1}`);
const isRoot = process.getuid?.() === 0;
process.env.VAGRANT_CHECKPOINT_DISABLE = '1'; // no call home from `vagrant ssh`

/** Runs a lab script, its output shown as it comes (a slow `up` is followed live), and times it. */
function script(name: 'up' | 'down'): Promise<{ result: RunResult; seconds: number }> {
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn('bash', [`scripts/vagrant/${name}.sh`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => ((stdout += d), process.stderr.write(d)));
    child.stderr.on('data', (d: Buffer) => ((stderr += d), process.stderr.write(d)));
    child.on('close', (code) => {
      const seconds = Math.round((Date.now() - start) / 100) / 10;
      console.log(`vagrant:${name} took ${seconds} s`);
      resolve({ result: { code: code ?? 1, stdout, stderr }, seconds });
    });
  });
}

/** A shell command inside a machine as root, through Vagrant's own SSH (as a user would). */
function onMachine(machine: string, command: string): Promise<RunResult> {
  return sh('bash', ['-c', `cd vagrant && vagrant ssh ${machine} -c "$0"`, `sudo bash -euo pipefail -c ${quote(command)}`]);
}

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

interface Answer {
  status: number;
  body: string;
  backend: string;
}

/** One GET to the manager's Varnish at its lab address, from this host. */
function get(host: string, path = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: MANAGER, port: 6081, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, backend: String(res.headers['x-cloudmatrix-backend'] ?? '') }));
    });
    req.setTimeout(3000, () => req.destroy(new Error('no answer within 3000 ms')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls until an answer passes `ok` (Varnish's probes may still be warming), at most maxMs. */
async function answer(host: string, path: string, ok: (a: Answer) => boolean, maxMs = 20_000): Promise<Answer> {
  const deadline = Date.now() + maxMs;
  let last: Answer = { status: 0, body: '', backend: '' };
  while (Date.now() < deadline) {
    last = await get(host, path).catch((e: Error) => ({ status: 0, body: e.message, backend: '' }));
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

/** What of ours is left on this host: LXC containers, bridges, the nft table. */
async function leftovers(): Promise<string[]> {
  const left: string[] = [];
  const ls = await sh('lxc-ls', ['-1']);
  for (const c of ls.stdout.split(/\s+/)) if (new RegExp(`^${NAME}-(manager|node\\d+)$`).test(c)) left.push(`LXC container ${c}`);
  for (const b of BRIDGES) if ((await sh('ip', ['link', 'show', b])).code === 0) left.push(`bridge ${b}`);
  if ((await sh('nft', ['list', 'table', 'ip', NFT_TABLE])).code === 0) left.push(`nft table ip ${NFT_TABLE}`);
  return left;
}

describe('the VM lab on LXC (vagrant:up, the demo inside, vagrant:down)', { skip: isRoot ? false : 'needs root (LXC)' }, () => {
  let up: RunResult | undefined;
  const stray = `${NAME}-node9`;

  before(async () => {
    // What a crashed run may leave (when no lab of ours is up): an LXC container Vagrant does not
    // know, and Vagrant's record of a machine whose container is gone. vagrant:up must clean both.
    if ((await leftovers()).length === 0) {
      assert.equal((await sh('lxc-create', ['-n', stray, '-t', 'none'])).code, 0);
      mkdirSync('vagrant/.vagrant/machines/node1/lxc', { recursive: true });
      writeFileSync('vagrant/.vagrant/machines/node1/lxc/id', `${NAME}-node1-gone`);
    }
    up = (await script('up')).result;
  }, { timeout: 1_200_000 });

  after(async () => {
    // Down again in any case (idempotent): a test that failed before the last one must not leave the lab up.
    if ((await leftovers()).length > 0) await script('down');
  }, { timeout: 300_000 });

  it('vagrant:up cleans a crashed run\'s leftovers and brings up the manager and every node', async () => {
    assert.equal(up?.code, 0, `vagrant:up failed:\n${up?.stderr.slice(-3000)}`);
    const ls = await sh('lxc-ls', ['-1', '--running']);
    for (const m of ['manager', ...NODE_NAMES]) assert.match(ls.stdout, new RegExp(`^${NAME}-${m}$`, 'm'));
    assert.doesNotMatch((await sh('lxc-ls', ['-1'])).stdout, new RegExp(`^${stray}$`, 'm'), 'a stray container of a crashed run is removed');
  });

  it('vagrant:up again leaves a lab that is up alone', { timeout: 120_000 }, async () => {
    const again = await script('up');
    assert.equal(again.result.code, 0, again.result.stderr.slice(-2000));
    assert.match(again.result.stderr, /already up/);
  });

  it('each node got its lab address from the manager\'s dnsmasq', { timeout: 120_000 }, async () => {
    const leasesFile = await onMachine('manager', 'cat /var/lib/cloudmatrix/dnsmasq.leases');
    assert.equal(leasesFile.code, 0, leasesFile.stderr);
    const leases = parseLeases(leasesFile.stdout, new Date());
    for (const name of NODE_NAMES) {
      const lease = leases.nodes.find((n) => n.name === name);
      assert.ok(lease, `no lease for ${name} in:\n${leasesFile.stdout}`);
      assert.ok(lease.ip.startsWith(`${PREFIX}.`), `${name} leased ${lease.ip}`);
      const own = await sh('lxc-attach', ['-n', `${NAME}-${name}`, '--', 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth1']);
      assert.match(own.stdout, new RegExp(` inet ${lease.ip.replaceAll('.', '\\.')}/24 `), `${name}'s eth1: ${own.stdout}`);
      const link = await sh('lxc-attach', ['-n', `${NAME}-${name}`, '--', 'cat', '/sys/class/net/eth1/address']);
      assert.equal(link.stdout.trim(), lease.mac, `${name}'s lease is for its eth1`);
    }
  });

  it('the demo\'s main job runs inside the manager: build, push, deploy plans/hello.yaml', { timeout: 600_000 }, async () => {
    const job = [
      'cd /cloudmatrix',
      'for app in simplewebapp1 simplewebapp2 hostinfo; do',
      '  cloudmatrix create-image images/$app $app:1.0 | tail -n 1',
      '  cloudmatrix install-image $app:1.0 | tail -n 1',
      'done',
      'cloudmatrix nodes',
      'cloudmatrix deploy-plan plans/hello.yaml',
      'cloudmatrix routes',
    ].join('\n');
    const start = Date.now();
    const r = await onMachine('manager', job);
    console.log(`the job took ${Math.round((Date.now() - start) / 1000)} s\n${r.stdout}`);
    assert.equal(r.code, 0, `the job failed:\n${r.stdout}\n${r.stderr}`);
    for (const name of NODE_NAMES) assert.match(r.stdout, new RegExp(`\\b${name}\\b`), `cloudmatrix nodes lists ${name}`);
  });

  it('every app answers through Varnish at the manager\'s lab address, from this host', { timeout: 120_000 }, async () => {
    for (const app of ['simplewebapp1', 'simplewebapp2', 'hostinfo']) {
      const byHost = await answer(`${app}.matrix.test`, '/', (a) => a.status === 200);
      assert.equal(byHost.status, 200, `${app} by host: ${byHost.status} ${byHost.body.slice(0, 200)}`);
    }
    for (const app of ['simplewebapp1', 'simplewebapp2']) {
      const byPath = await answer(MANAGER, `/${app}/`, (a) => a.status === 200);
      assert.equal(byPath.status, 200, `${app} by path: ${byPath.status} ${byPath.body.slice(0, 200)}`);
    }
    const unknown = await get('unknown.matrix.test');
    assert.equal(unknown.status, 404);
    // hostinfo's replicas run on every node: round robin reaches each within a bounded number of
    // tries (Varnish names the backend, and the backend's name carries its node's).
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < NODES; i++) {
      const a = await get('hostinfo.matrix.test');
      if (a.status === 200) for (const name of NODE_NAMES) if (new RegExp(`${name}(?!\\d)`).test(a.backend)) seen.add(name);
    }
    assert.deepEqual([...seen].sort(), [...NODE_NAMES].sort(), 'hostinfo answered from every node');
  });

  it('vagrant:down leaves no LXC container, bridge or nft table of ours', { timeout: 300_000 }, async () => {
    const down = await script('down');
    assert.equal(down.result.code, 0, down.result.stderr.slice(-2000));
    assert.deepEqual(await leftovers(), []);
    const again = await script('down');
    assert.equal(again.result.code, 0, 'vagrant:down twice');
  });
});
