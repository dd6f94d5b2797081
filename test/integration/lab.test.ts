import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import type { LabManifest } from '../../src/lab/manifest.js';
import { parseLeases } from '../../src/model/leases.js';
import { ensureLab } from './helpers/lab.js';
import { cli, sh } from './helpers/exec.js';
import { knownHostKey, sshExec } from './helpers/ssh.js';

let config: Config;
let lab: LabManifest;

before(async () => {
  ({ config, manifest: lab } = await ensureLab());
});

describe('lab', () => {
  it('names every node with its address in the leases file', () => {
    const parsed = parseLeases(readFileSync(config.leasesFile, 'utf8'), new Date());
    for (const node of lab.nodes) {
      const lease = parsed.nodes.find((n) => n.name === node.name);
      assert.ok(lease, `no lease for ${node.name}`);
      assert.equal(lease.ip, node.ip);
      assert.equal(lease.expired, false);
    }
  });

  it('reports every component healthy in lab status --json', async () => {
    const res = await cli(['lab', 'status', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const status = JSON.parse(res.stdout);
    assert.equal(status.ok, true);
    assert.deepEqual(status.nodes.map((n: { name: string }) => n.name), lab.nodes.map((n) => n.name));
  });

  it('has every node answer SSH with the recorded host key, and refuses a wrong one', async () => {
    for (const node of lab.nodes) {
      const key = knownHostKey(config.ssh.knownHostsFile, node.ip);
      assert.ok(key, `${node.ip} missing from known_hosts`);
      const out = await sshExec({ host: node.ip, key: config.ssh.keyFile, expectedHostKey: key, command: 'echo ok' });
      assert.equal(out.trim(), 'ok');
    }
    const [a, b] = lab.nodes;
    if (!a || !b) return;
    const wrong = knownHostKey(config.ssh.knownHostsFile, b.ip)!;
    await assert.rejects(sshExec({ host: a.ip, key: config.ssh.keyFile, expectedHostKey: wrong, command: 'true' }));
  });

  it('runs docker over SSH against each node\'s own daemon', async () => {
    const ids = new Set<string>();
    for (const node of lab.nodes) {
      const key = knownHostKey(config.ssh.knownHostsFile, node.ip)!;
      const viaSsh = await sshExec({
        host: node.ip,
        key: config.ssh.keyFile,
        expectedHostKey: key,
        command: "docker info --format '{{.ID}}' && docker ps -q >/dev/null",
      });
      const local = await sh('docker', ['info', '--format', '{{.ID}}'], { DOCKER_HOST: `unix://${node.dir}/docker.sock` });
      assert.equal(viaSsh.trim(), local.stdout.trim());
      ids.add(viaSsh.trim());
    }
    assert.equal(ids.size, lab.nodes.length, 'every node has its own daemon ID');
  });

  it('pulls on a node, with the pull credentials, an image pushed from the manager through the write face', async () => {
    const ctx = mkdtempSync(join(tmpdir(), 'cmx-labimg-'));
    copyFileSync('/bin/busybox', join(ctx, 'busybox'));
    writeFileSync(join(ctx, 'stamp'), `${Date.now()}\n`);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY stamp /stamp\nCMD ["/bin/busybox", "true"]\n');
    const tag = `cloud/labtest:${Date.now()}`;
    const pushRef = `${config.registryAccess!.push}/${tag}`;
    const ref = `${config.registry}/${tag}`;
    // The operators' docker CLI login for both faces (a daemon ignores docker login; the CLI sends it).
    const login = ['--config', join(lab.lab, 'docker-cli')];
    const manager = { DOCKER_HOST: `unix://${config.localDocker.socketPath}` };
    assert.equal((await sh('docker', ['build', '-q', '-t', pushRef, ctx], manager)).code, 0);
    const push = await sh('docker', [...login, 'push', pushRef], manager);
    assert.equal(push.code, 0, push.stderr);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
    assert.ok(digest, push.stdout);
    const node = lab.nodes.at(-1)!;
    const onNode = { DOCKER_HOST: `unix://${node.dir}/docker.sock` };
    const pull = await sh('docker', [...login, 'pull', ref], onNode);
    assert.equal(pull.code, 0, pull.stderr);
    const repoDigests = await sh('docker', ['image', 'inspect', '--format', '{{json .RepoDigests}}', ref], onNode);
    assert.match(repoDigests.stdout, new RegExp(digest));
    await sh('docker', ['image', 'rm', ref], onNode);
    await sh('docker', ['image', 'rm', pushRef], manager);
  });
});
