import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { NodeEngines } from '../../src/adapters/docker.js';
import { listNodes } from '../../src/adapters/nodes.js';
import { createVarnish } from '../../src/adapters/varnish.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { updateProxy } from '../../src/deploy/update-proxy.js';
import { ensureLab } from './helpers/lab.js';
import { cli } from './helpers/exec.js';
import { viaVarnish, waitForAnswer } from './helpers/varnish-http.js';

let config: Config;
const dir = mkdtempSync(join(tmpdir(), 'cmx-proxy-'));
const planFile = join(dir, 'uptest.yaml');
const PLAN = `apps:
  upa:
    image: cloud/simplewebapp1:1.0
    replicas: 2
    hosts: [upa.matrix.test]
    paths: [/upa/]
    health: { path: /, interval: 1s, timeout: 500ms, window: 3, threshold: 2 }
  upb:
    image: cloud/simplewebapp2:1.0
    replicas: 2
    hosts: [upb.matrix.test]
    paths: [/upb/]
    health: { path: /, interval: 1s, timeout: 500ms, window: 3, threshold: 2 }
`;

/** Loaded (not discarded) VCLs of ours by kind: single VCLs, dispatch VCLs, app VCLs, labels. */
async function loadedCloudmatrixVcls(): Promise<{ single: number; tops: number; apps: number; labels: number }> {
  const v = createVarnish({ admin: config.varnish.admin, secretFile: config.varnish.secretFile });
  try {
    const names = (await v.vclList()).filter((x) => x.status !== 'discarded').map((x) => x.name);
    const count = (re: RegExp) => names.filter((n) => re.test(n)).length;
    return { single: count(/^cmx_/), tops: count(/^cmxt_/), apps: count(/^cmxa_/), labels: count(/^cmx-/) };
  } finally {
    v.close();
  }
}

/** The templates the reload renders: the single VCL (4.1) or one VCL per app and the dispatch VCL (5.0+). */
const RENDERED = ['main.vcl.mustache', 'app.vcl.mustache', 'top.vcl.mustache'];

async function stopContainers(app: string, count: number): Promise<string[]> {
  const ps = JSON.parse((await cli(['ps', '--json'])).stdout);
  const mine = ps.containers.filter((c: { plan: string; app: string; state: string }) => c.plan === 'uptest' && c.app === app && c.state === 'running').slice(0, count);
  const engines = new NodeEngines(config);
  try {
    const nodes = await listNodes(config);
    for (const c of mine) await engines.get(nodes.find((n) => n.name === c.node)!).stopContainer(c.id, 1);
  } finally {
    engines.closeAll();
  }
  return mine.map((c: { name: string; node: string }) => `${c.node}/${c.name}`);
}

before(async () => {
  ({ config } = await ensureLab());
  for (const app of ['simplewebapp1', 'simplewebapp2']) {
    await cli(['create-image', `images/${app}`, `${app}:1.0`]);
    assert.equal((await cli(['install-image', `${app}:1.0`])).code, 0);
  }
  await undeploy(config, 'uptest').catch(() => undefined);
  writeFileSync(planFile, PLAN);
  const r = await cli(['deploy-plan', planFile]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
});

after(async () => {
  await undeploy(config, 'uptest').catch(() => undefined);
});

describe('update-proxy against the lab\'s Varnish', () => {
  it('routes by Host to the right app and alternates between its replicas', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const a = await viaVarnish('upa.matrix.test');
      assert.equal(a.status, 200);
      assert.match(a.body, /Hello world!/);
      seen.add(a.backend);
    }
    assert.equal(seen.size, 2, `backends seen: ${[...seen].join(', ')}`);
    assert.match((await viaVarnish('UPB.Matrix.Test:6081')).body, /Hello world 2!/);
  });

  it('routes by path prefix and answers 404 for an unknown host', async () => {
    // The path goes to the app unchanged (these images only serve / and /<their own name>/).
    assert.match((await viaVarnish('127.0.0.1:6081', '/upb/')).backend, /upb/);
    assert.match((await viaVarnish('anything.example', '/upa/x')).backend, /upa/);
    assert.equal((await viaVarnish('nobody.matrix.test')).status, 404);
  });

  it('is a no-op when routing is unchanged', async () => {
    const r = await cli(['update-proxy']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /routing unchanged/);
  });

  it('fails over to the other replica when one stops, and answers 503 when none is left', async () => {
    await stopContainers('upa', 1);
    // Without update-proxy: the probes alone take the dead backend out.
    const healthy = await waitForAnswer('upa.matrix.test', () => false, 4000).catch(() => null);
    void healthy;
    for (let i = 0; i < 10; i++) assert.equal((await viaVarnish('upa.matrix.test')).status, 200, `request ${i}`);
    await stopContainers('upa', 1);
    const down = await waitForAnswer('upa.matrix.test', (a) => a.status === 503, 8000);
    assert.equal(down.status, 503);
    assert.match((await viaVarnish('upb.matrix.test')).body, /Hello world 2!/, 'the other app is not affected');
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((await waitForAnswer('upa.matrix.test', (a) => a.status === 200, 8000)).status, 200);
  });

  it('keeps the active VCL when a template edit breaks it, and traffic flows', async () => {
    const templates = join(dir, 'templates');
    cpSync('vcl-templates', templates, { recursive: true });
    for (const f of RENDERED) appendFileSync(join(templates, f), '\nsub vcl_recv { this is not vcl }\n');
    const r = await cli(['update-proxy', '--templates', templates]);
    assert.equal(r.code, 1, 'a template that renders VCL Varnish rejects is no bad input of the user: exit 1');
    assert.match(r.stderr, /does not compile/);
    assert.match(r.stderr, /line \d+/);
    assert.equal((await viaVarnish('upa.matrix.test')).status, 200);
  });

  it('leaves at most 2 routing VCLs and one VCL per app label loaded after 50 reloads', async () => {
    const original = Object.fromEntries(RENDERED.map((f) => [f, readFileSync(`vcl-templates/${f}`, 'utf8')]));
    for (let i = 0; i < 50; i++) {
      // Templates are read once per dir, so each reload gets its own (slightly different) copy.
      const templates = join(dir, `templates-${i}`);
      cpSync('vcl-templates', templates, { recursive: true });
      for (const f of RENDERED) writeFileSync(join(templates, f), `${original[f]}\n# reload ${i}\n`);
      const r = await updateProxy(config, undefined, { templates });
      assert.equal(r.changed, true);
    }
    const loaded = await loadedCloudmatrixVcls();
    // Each app VCL is held by its label, nothing more; at most the active and the previous router.
    assert.ok(loaded.single + loaded.tops <= 2, JSON.stringify(loaded));
    assert.ok(loaded.apps <= loaded.labels, JSON.stringify(loaded));
    await updateProxy(config, undefined, {});
    assert.equal((await viaVarnish('upa.matrix.test')).status, 200);
  });

  it('rejects hostile hosts and paths before rendering', async () => {
    for (const [field, value] of [['hosts', '["evil\\"; } sub vcl_recv { .matrix.test"]'], ['paths', '["/a\\"{ }"]'], ['hosts', '["a\\nb.test"]']]) {
      const bad = join(dir, 'hostile.yaml');
      writeFileSync(bad, `apps:\n  hostile:\n    image: cloud/simplewebapp1:1.0\n    ${field}: ${value}\n`);
      const r = await cli(['update-proxy', bad, '--check']);
      assert.equal(r.code, 2, `${field} ${value}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`hostile\\.yaml:\\d+:\\d+: apps\\.hostile\\.${field}`));
    }
  });
});
