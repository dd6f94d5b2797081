import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { NodeEngines, type NodeEngine } from '../../src/adapters/docker.js';
import { findNode } from '../../src/adapters/nodes.js';
import { RegistryClient } from '../../src/adapters/registry.js';
import { pullEndpoint, readCredentials } from '../../src/adapters/registry-access.js';
import { runContainer } from '../../src/containers/run.js';
import type { LabManifest } from '../../src/lab/manifest.js';
import { tcpOpen } from '../../src/lab/probe.js';
import { readPushes } from '../../src/images/push-log.js';
import { busyboxImage } from './faults/helpers.js';
import { removeApps } from './helpers/cloud.js';
import { ensureLab } from './helpers/lab.js';
import { sh } from './helpers/exec.js';

// Apps (image names) of this file only: it-priv-*.
const APPS = ['it-priv-app', 'it-priv-pull'];
const IMPOSTOR = '10.77.0.202:5443';
let config: Config;
let lab: LabManifest;
let engines: NodeEngines;
let appContainer: { node: string; name: string };
const tmp = mkdtempSync(join(tmpdir(), 'cmx-priv-'));
const quiet = () => undefined;

const nodeDir = (name: string) => lab.nodes.find((n) => n.name === name)!.dir;
const onNode = (name: string) => ['-H', `unix://${nodeDir(name)}/docker.sock`];
const access = () => config.registryAccess!;
const userPass = (file: string) => {
  const c = readCredentials(file);
  return `${c.username}:${c.password}`;
};

/** What busybox wget in the app container got: 'answered' (any HTTP status), or how it failed to. */
async function fromApp(url: string, postData?: string): Promise<{ code: number; out: string }> {
  const wget = ['/bin/busybox', 'timeout', '4', '/bin/busybox', 'wget', '-q', '-O-', '--no-check-certificate'];
  const args = postData === undefined ? [...wget, url] : [...wget, '--post-data', postData, url];
  const r = await sh('docker', [...onNode(appContainer.node), 'exec', appContainer.name, ...args]);
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}

async function engineOf(node: string): Promise<NodeEngine> {
  return engines.get(await findNode(config, node));
}

async function pull(node: string, repo: string, tag: string, auth: Record<string, string>): Promise<void> {
  await (await engineOf(node)).pullImage(repo, tag, { serveraddress: repo.split('/')[0]!, ...auth }, quiet);
}

before(async () => {
  ({ config, manifest: lab } = await ensureLab());
  assert.ok(config.registryAccess, 'the lab config names the registry access');
  engines = new NodeEngines(config);
  await removeApps(config, APPS);
  await busyboxImage('it-priv-app', '1');
  await busyboxImage('it-priv-pull', '1');
  const r = await runContainer({ node: 'node1', image: 'it-priv-app:1', config, engines, progress: quiet });
  appContainer = { node: 'node1', name: r.name };
});

after(async () => {
  engines.closeAll();
  await removeApps(config, APPS);
  rmSync(tmp, { recursive: true, force: true });
});

describe('from inside an app container on a node', () => {
  it('the write face is out of reach: no catalog, no upload', async () => {
    const push = access().push.replace('127.0.0.1', lab.managerIp);
    const catalog = await fromApp(`http://${push}/v2/_catalog`);
    assert.notEqual(catalog.code, 0, catalog.out);
    assert.doesNotMatch(catalog.out, /repositories|server returned error/);
    const upload = await fromApp(`http://${push}/v2/cloud/it-priv-app/blobs/uploads/`, '');
    assert.notEqual(upload.code, 0, upload.out);
    assert.doesNotMatch(upload.out, /server returned error/);
  });

  it('the read-only face asks for credentials: catalog 401, upload 401', async () => {
    const catalog = await fromApp(`https://${config.registry}/v2/_catalog`);
    assert.match(catalog.out, /401 Unauthorized/);
    const upload = await fromApp(`https://${config.registry}/v2/cloud/it-priv-app/blobs/uploads/`, '');
    assert.match(upload.out, /401 Unauthorized/);
    const plain = await fromApp(`http://${config.registry}/v2/_catalog`);
    assert.doesNotMatch(plain.out, /repositories/);
  });

  it("Varnish's admin port and the API are filtered; Varnish's HTTP port answers", async () => {
    for (const port of [6082, 8700, 22]) {
      const r = await fromApp(`http://${lab.managerIp}:${port}/`);
      assert.notEqual(r.code, 0);
      assert.doesNotMatch(r.out, /server returned error|Connection reset|refused/, `port ${port}: ${r.out}`);
    }
    const varnish = await fromApp(`http://${lab.managerIp}:6081/`);
    assert.ok(varnish.code === 0 || /server returned error/.test(varnish.out), varnish.out);
  });
});

describe('the read-only face, from the manager', () => {
  it('refuses an upload with the pull credentials (405) and does not know the push credentials', async () => {
    const ca = ['--cacert', access().caFile!];
    const url = `https://${config.registry}/v2/cloud/it-priv-app/blobs/uploads/`;
    const upload = await sh('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...ca, '-u', userPass(access().pullCredentialsFile!), '-X', 'POST', url]);
    assert.equal(upload.stdout, '405');
    const asPusher = await sh('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...ca, '-u', userPass(access().pushCredentialsFile!), `https://${config.registry}/v2/`]);
    assert.equal(asPusher.stdout, '401');
    const noCa = await sh('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `https://${config.registry}/v2/`]);
    assert.notEqual(noCa.code, 0, 'curl without the lab CA refuses the certificate');
  });

  it('the write face does not take the pull credentials', async () => {
    const r = await sh('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', userPass(access().pullCredentialsFile!), `http://${access().push}/v2/`]);
    assert.equal(r.stdout, '401');
  });

  it('our client verifies the CA: without it the registry is unreachable', async () => {
    const tags = await new RegistryClient(config.registry, pullEndpoint(config)).tags('cloud/it-priv-app');
    assert.deepEqual(tags, ['1']);
    const { credentials } = pullEndpoint(config);
    const noCa = new RegistryClient(`https://${config.registry}`, { address: config.registry, credentials }, 5000);
    await assert.rejects(noCa.tags('cloud/it-priv-app'), /unreachable: .*certificate/);
    const noCreds = new RegistryClient(config.registry, { ...pullEndpoint(config), credentials: undefined }, 5000);
    await assert.rejects(noCreds.tags('cloud/it-priv-app'), /HTTP 401/);
  });
});

describe('pushes and pulls', () => {
  it('install-image pushed through the write face and recorded who did', async () => {
    const digest = await new RegistryClient(config.registry, pullEndpoint(config)).digest('cloud/it-priv-pull', '1');
    assert.match(digest ?? '', /^sha256:/);
    const record = readPushes(config.stateDir).get(`cloud/it-priv-pull:1@${digest}`);
    assert.ok(record && record.user.length > 0 && !Number.isNaN(Date.parse(record.time)));
  });

  it('a node daemon pulls with the pull credentials and not without', async () => {
    const repo = `${config.registry}/cloud/it-priv-pull`;
    const digest = (await new RegistryClient(config.registry, pullEndpoint(config)).digest('cloud/it-priv-pull', '1'))!;
    await sh('docker', [...onNode('node3'), 'image', 'rm', '-f', `${repo}@${digest}`]);
    await assert.rejects(pull('node3', repo, digest, {}), /no basic auth credentials|unauthorized|401/i);
    const c = readCredentials(access().pullCredentialsFile!);
    await pull('node3', repo, digest, { username: c.username, password: c.password });
    assert.ok(await (await engineOf('node3')).inspectImage(`${repo}@${digest}`));
    await sh('docker', [...onNode('node3'), 'image', 'rm', '-f', `${repo}@${digest}`]);
  });

  it("an operator's docker CLI pulls on a node with the lab's docker config", async () => {
    const ref = `${config.registry}/cloud/it-priv-pull:1`;
    const r = await sh('docker', ['--config', join(lab.lab, 'docker-cli'), ...onNode('node2'), 'pull', ref]);
    assert.equal(r.code, 0, r.stderr);
    await sh('docker', [...onNode('node2'), 'image', 'rm', ref]);
  });
});

describe('TLS and daemon flags', () => {
  let impostor: ChildProcess | undefined;
  after(() => {
    impostor?.kill();
    rmSync(join(nodeDir('node1'), 'etc-docker', 'certs.d', IMPOSTOR), { recursive: true, force: true });
  });

  it('a node daemon refuses a registry whose certificate comes from another CA', async () => {
    const dir = join(tmp, 'impostor');
    mkdirSync(join(dir, 'store'), { recursive: true });
    const made = await sh('bash', ['-c', `source scripts/provision/render-configs.sh && make_registry_ca "$1" && make_registry_cert "$1" "$2" &&
      write_registry_config "$1/config.yml" "$3" "$1/store" true "" "$1/registry.crt" "$1/registry.key"`, '_', dir, IMPOSTOR.split(':')[0]!, IMPOSTOR]);
    assert.equal(made.code, 0, made.stderr);
    const ns = lab.nodes.find((n) => n.name === 'node2')!.netns;
    impostor = spawn('nsenter', [`--net=/var/run/netns/${ns}`, 'docker-registry', 'serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !(await tcpOpen('10.77.0.202', 5443, 200)); i++) await new Promise((r) => setTimeout(r, 100));
    // node1 trusts our CA for that address too: only the chain is wrong.
    const certs = join(nodeDir('node1'), 'etc-docker', 'certs.d', IMPOSTOR);
    mkdirSync(certs, { recursive: true });
    writeFileSync(join(certs, 'ca.crt'), readFileSync(access().caFile!));
    await assert.rejects(pull('node1', `${IMPOSTOR}/cloud/it-priv-pull`, 'latest', {}), /x509|certificate/);
    const client = new RegistryClient(IMPOSTOR, { address: IMPOSTOR, ca: readFileSync(access().caFile!) }, 5000);
    await assert.rejects(client.ping(), /unreachable: .*(certificate|issuer)/);
  });

  it('no daemon runs with --insecure-registry, nor has one in its config file', async () => {
    const pids = (await sh('pgrep', ['-x', 'dockerd'])).stdout.trim().split('\n').filter(Boolean);
    assert.ok(pids.length >= lab.nodes.length + 1);
    for (const pid of pids) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.ok(!argv.some((a) => a.includes('insecure-registr')), argv.join(' '));
      const file = argv[argv.indexOf('--config-file') + 1];
      if (argv.includes('--config-file') && file) assert.doesNotMatch(readFileSync(file, 'utf8'), /insecure/);
    }
  });

  it('keys and credentials are readable by root only', () => {
    for (const dir of [join(lab.lab, 'registry-tls'), join(lab.lab, 'registry-auth')]) {
      for (const f of readdirSync(dir).filter((n) => !n.endsWith('.crt') && !n.endsWith('.srl'))) {
        assert.equal(statSync(join(dir, f)).mode & 0o077, 0, `${dir}/${f}`);
      }
    }
  });
});
