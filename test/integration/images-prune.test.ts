import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { NodeEngines } from '../../src/adapters/docker.js';
import { listNodes } from '../../src/adapters/nodes.js';
import { pullEndpoint, pushEndpoint } from '../../src/adapters/registry-access.js';
import { RegistryClient } from '../../src/adapters/registry.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { createImage } from '../../src/images/create.js';
import { installImage } from '../../src/images/install.js';
import type { RegistryRepo } from '../../src/images/list.js';
import type { PruneReport } from '../../src/images/prune.js';
import { collectGarbage } from '../../src/images/registry-gc.js';
import { ensureLab } from './helpers/lab.js';
import { cli, sh } from './helpers/exec.js';
import { configCopy } from './helpers/config-copy.js';
import { waitForAnswer } from './helpers/varnish-http.js';

// Repository cloud/it-prune-web, plan itprune, app itprune-web: nothing else of the lab is pruned.
const NAME = 'it-prune-web';
const REPO = `cloud/${NAME}`;
const PLAN = 'itprune';
const APP = 'itprune-web';
const HOST = `${APP}.matrix.test`;
const dir = mkdtempSync(join(tmpdir(), 'cmx-it-prune-'));
const planFile = join(dir, `${PLAN}.yaml`);
let labConfig: Config;
let config: Config;
let env: Record<string, string>;
const digests = new Map<string, string>();
const blobs = new Map<string, Buffer>();
const quiet = () => undefined;

async function build(tag: string, content: string): Promise<void> {
  const ctx = join(dir, `ctx-${content}`);
  cpSync('images/simplewebapp1', ctx, { recursive: true });
  writeFileSync(join(ctx, 'www', 'version.txt'), `${content}\n`);
  // 600 KiB that do not compress: each version's layer is its own, and its size shows in du.
  if (!blobs.has(content)) blobs.set(content, randomBytes(600 * 1024));
  writeFileSync(join(ctx, 'www', 'blob.bin'), blobs.get(content)!);
  await createImage({ appDir: ctx, name: `${NAME}:${tag}`, config, progress: quiet });
  digests.set(tag, (await installImage({ name: `${NAME}:${tag}`, config, progress: quiet })).digest);
}

async function deploy(tag: string): Promise<void> {
  writeFileSync(planFile, `domain: matrix.test
apps:
  ${APP}:
    image: ${REPO}:${tag}
    replicas: 1
    hosts: [${HOST}]
    health: { path: /version.txt, interval: 1s, timeout: 500ms }
`);
  const r = await cli(['deploy-plan', planFile], env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

const registryTags = async () => (await new RegistryClient(config.registry, pullEndpoint(config)).tags(REPO)).sort();
const registryBytes = async () => Number((await sh('du', ['-sb', join(config.stateDir, 'registry')])).stdout.split(/\s/)[0]);

/** node -> the registry digests of REPO its daemon has images of */
async function nodeDigests(): Promise<Map<string, string[]>> {
  const engines = new NodeEngines(config);
  try {
    const out = new Map<string, string[]>();
    for (const n of await listNodes(config)) {
      const images = await engines.get(n).listImages();
      out.set(n.name, images.flatMap((i) => i.RepoDigests ?? []).filter((d) => d.startsWith(`${config.registry}/${REPO}@`)).map((d) => d.split('@')[1]!).sort());
    }
    return out;
  } finally {
    engines.closeAll();
  }
}

before(async () => {
  ({ config: labConfig } = await ensureLab());
  const mode = (m: string) => ['env', `CMX_STATE_DIR=${labConfig.stateDir}`, resolve('scripts/lab/registry-mode.sh'), m];
  const copy = configCopy(dir, {
    images: { keep: 2, pushGraceMinutes: 0 },
    registryGc: { configFile: join(labConfig.stateDir, 'lab', 'registry-push.yml'), readOnly: mode('ro'), readWrite: mode('rw') },
  });
  config = copy.config;
  env = { CLOUDMATRIX_CONFIG: copy.file };
  await undeploy(labConfig, PLAN).catch(() => undefined);
  for (const v of ['v1', 'v2', 'v3', 'v4']) await build(v, v);
  await build('v4b', 'v4'); // the same content: the same digest as v4
  assert.equal(digests.get('v4b'), digests.get('v4'));
  for (const v of ['v1', 'v2', 'v3']) await deploy(v);
});

after(async () => {
  try {
    await undeploy(labConfig, PLAN).catch(() => undefined);
    const writer = new RegistryClient(pushEndpoint(config).address, pushEndpoint(config));
    for (const d of new Set(digests.values())) await writer.deleteManifest(REPO, d).catch(() => false);
    await collectGarbage(config.registryGc!, quiet);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('images prune', () => {
  it('images --json shows sizes and what holds each tag', async () => {
    const r = await cli(['images', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const repo = (JSON.parse(r.stdout) as RegistryRepo[]).find((x) => x.repository === REPO)!;
    const tag = (t: string) => repo.tags.find((x) => x.tag === t)!;
    assert.ok(tag('v3').heldBy!.includes(`deployed ${PLAN}/${APP}`));
    assert.ok(tag('v3').heldBy!.some((h) => h.startsWith(`${PLAN}/${APP} history #1`)));
    assert.ok(tag('v2').heldBy!.some((h) => h.startsWith(`${PLAN}/${APP} history #2`)));
    for (const t of ['v1', 'v4', 'v4b']) assert.deepEqual([tag(t).heldBy, tag(t).prunable], [[], true], t);
    for (const t of repo.tags) assert.ok((t.size ?? 0) > 600 * 1024, `${t.tag}: size ${t.size}`);
  });

  it('--dry-run says what would go and changes nothing', async () => {
    const [tags, bytes, nodes] = [await registryTags(), await registryBytes(), await nodeDigests()];
    const r = await cli(['images', 'prune', NAME, '--dry-run', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as PruneReport;
    assert.deepEqual(report.registry.map((e) => [e.digest, e.tags]).sort(), [[digests.get('v1'), ['v1']], [digests.get('v4'), ['v4', 'v4b']]].sort());
    assert.equal(report.gc, null);
    assert.ok(report.nodes.some((n) => n.removed.some((i) => i.names.some((x) => x.includes(digests.get('v1')!)))), 'v1 would leave the node that ran it');
    assert.deepEqual(await registryTags(), tags);
    assert.deepEqual(await nodeDigests(), nodes);
    assert.equal(await registryBytes(), bytes);
  });

  it('deletes exactly what nothing holds, collects the garbage (du drops), keeps a rollback image on its node, and the rollback works', async (t) => {
    const before = await registryBytes();
    const ranV2 = [...(await nodeDigests())].filter(([, ds]) => ds.includes(digests.get('v2')!)).map(([n]) => n);
    assert.ok(ranV2.length > 0, 'v2 ran on a node');
    const r = await cli(['images', 'prune', NAME, '--json'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as PruneReport;
    assert.ok(report.gc && report.gc.blobsDeleted >= 2, `gc: ${JSON.stringify(report.gc)}`);
    assert.deepEqual(await registryTags(), ['v2', 'v3']);
    const after = await registryBytes();
    assert.ok(before - after > 1024 * 1024, `registry ${before} -> ${after} bytes`);
    t.diagnostic(`registry store ${before} -> ${after} bytes; ${report.gc!.blobsDeleted} blob(s) collected`);
    const nodes = await nodeDigests();
    for (const [node, ds] of nodes) assert.ok(!ds.includes(digests.get('v1')!), `${node} still has v1`);
    for (const n of ranV2) assert.ok(nodes.get(n)!.includes(digests.get('v2')!), `${n} lost v2, a rollback's image`);
    const back = await cli(['rollback', APP], env);
    assert.equal(back.code, 0, back.stdout + back.stderr);
    await waitForAnswer(HOST, (a) => a.status === 200 && a.body.trim() === 'v2', 15_000, '/version.txt');
  });

  it('while the write face is read-only (as during the garbage collection) a push fails cleanly, and succeeds once it is back', async () => {
    const mode = config.registryGc!;
    assert.equal((await sh(mode.readOnly[0]!, mode.readOnly.slice(1))).code, 0);
    try {
      await assert.rejects(() => build('v6', 'v6'));
      assert.ok(!(await registryTags()).includes('v6'));
    } finally {
      assert.equal((await sh(mode.readWrite[0]!, mode.readWrite.slice(1))).code, 0);
    }
    await build('v6', 'v6');
    assert.ok((await registryTags()).includes('v6'));
  });
});
