import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { LabManifest } from '../../../src/lab/manifest.js';
import { ensureLab } from '../helpers/lab.js';
import { cli, sh } from '../helpers/exec.js';

let lab: LabManifest;

async function leftovers(m: LabManifest): Promise<string[]> {
  const found: string[] = [];
  const netns = (await sh('ip', ['netns', 'list'])).stdout;
  for (const n of m.nodes) if (netns.includes(n.netns)) found.push(`netns ${n.netns}`);
  const links = (await sh('ip', ['-o', 'link', 'show'])).stdout;
  for (const n of m.nodes) if (links.includes(`${n.veth}@`) || links.includes(`${n.veth}:`)) found.push(`veth ${n.veth}`);
  if (links.includes(`: ${m.bridge}:`)) found.push(`bridge ${m.bridge}`);
  const procs = (await sh('pgrep', ['-a', '-f', `${m.lab}/`])).stdout.trim();
  if (procs) found.push(`processes: ${procs.split('\n').length}`);
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1]?.startsWith(`${m.lab}/`));
  if (mounts.length) found.push(`mounts: ${mounts.length}`);
  const tables = (await sh('nft', ['list', 'tables'])).stdout;
  if (m.nftTable && tables.includes(`inet ${m.nftTable}`)) found.push(`nft table ${m.nftTable}`);
  return found;
}

before(async () => {
  ({ manifest: lab } = await ensureLab());
});

describe('lab lifecycle', () => {
  it('comes back after a node\'s dockerd is killed by hand', async () => {
    const node = lab.nodes[0]!;
    const pid = Number(readFileSync(join(node.dir, 'docker.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    const degraded = await cli(['lab', 'status', '--json']);
    assert.equal(degraded.code, 1);
    assert.equal(JSON.parse(degraded.stdout).nodes[0].dockerd, false);
    const up = await cli(['lab', 'up', '--nodes', String(lab.nodes.length)]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await cli(['lab', 'status'])).code, 0);
  });

  it('is idempotent: up twice in a row leaves a healthy lab running; --recreate rebuilds it', async () => {
    const before = readFileSync(join(lab.nodes[0]!.dir, 'docker.pid'), 'utf8');
    const up = await cli(['lab', 'up', '--nodes', String(lab.nodes.length)]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /already up/);
    assert.equal(readFileSync(join(lab.nodes[0]!.dir, 'docker.pid'), 'utf8'), before, 'the running daemons were left alone');
    const again = await cli(['lab', 'up', '--recreate', '--nodes', String(lab.nodes.length)]);
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual(readFileSync(join(lab.nodes[0]!.dir, 'docker.pid'), 'utf8'), before);
    assert.equal((await cli(['lab', 'status'])).code, 0);
  });

  it('after a crash, cleans stale namespaces, veths, pid files and daemons on up', async (t) => {
    // A crash: every lab process killed at once, nothing cleaned, plus a namespace of an older run.
    await sh('pkill', ['-KILL', '-f', `${lab.lab}/`]);
    const stale = `${lab.bridge}-node99`;
    await sh('ip', ['netns', 'add', stale]);
    await sh('ip', ['link', 'add', `${lab.bridge}-v99`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', stale]);
    writeFileSync(join(lab.lab, 'dnsmasq.pid'), '999999\n');
    // The killed containerd's pid file now names a live process (pids wrap at 32768 here): dockerd
    // would take it for its containerd and wait 60 s for nothing, unless up removes the pid file.
    const stranger = spawn('sleep', ['120'], { stdio: 'ignore' });
    t.after(() => stranger.kill());
    writeFileSync(join(lab.lab, 'manager', 'exec', 'containerd', 'containerd.pid'), String(stranger.pid));
    writeFileSync(join(lab.nodes[0]!.dir, 'exec', 'containerd', 'containerd.pid'), String(stranger.pid));
    const up = await cli(['lab', 'up', '--nodes', String(lab.nodes.length)]);
    assert.equal(up.code, 0, up.stderr);
    assert.doesNotMatch((await sh('ip', ['netns', 'list'])).stdout, new RegExp(`${stale}\\b`));
    assert.equal((await cli(['lab', 'status'])).code, 0);
  });

  it('down leaves no namespace, veth, bridge, mount or lab process behind; up brings it back', async () => {
    const down = await cli(['lab', 'down']);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await leftovers(lab), []);
    assert.equal(existsSync(join(lab.lab, 'lab.json')), false);
    const up = await cli(['lab', 'up', '--nodes', String(lab.nodes.length)]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await cli(['lab', 'status'])).code, 0);
  });

  it('rejects bad input with one line and exit 2, changing nothing', async () => {
    for (const args of [['--nodes', '0'], ['--nodes', '300'], ['--subnet', '10.77.0.0/16'], ['--subnet', '127.0.9.0/24']]) {
      const res = await cli(['lab', 'up', ...args]);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    }
    assert.equal((await cli(['lab', 'status'])).code, 0);
  });
});
