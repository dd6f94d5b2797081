// The lab's router on Varnish 4.1 (`lab up --varnish`): a deploy and `routes` end to end, then the
// lab back on Debian's varnishd. Runs last: it rebuilds the lab twice.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { varnishCacheDir } from '../../../src/adapters/varnish/builds.js';
import { readManifest, type LabManifest } from '../../../src/lab/manifest.js';
import { loadConfig, stateDir } from '../../../src/config.js';
import { VarnishCli } from '../../../src/adapters/varnish.js';
import { ensureLab } from '../helpers/lab.js';
import { cli } from '../helpers/exec.js';
import { waitForAnswer } from '../helpers/varnish-http.js';

const VERSION = '4.1.11';
const varnishd41 = join(varnishCacheDir(), VERSION, 'sbin', 'varnishd');
const built = existsSync(join(varnishCacheDir(), VERSION, '.complete'));
const planFile = join(mkdtempSync(join(tmpdir(), 'cmx-v41-')), 'vfour.yaml');
let lab: LabManifest;

interface Routed { app: string; hosts: string[]; backends: { node: string; port: number; healthy: boolean | null }[] }

before(async () => {
  ({ manifest: lab } = await ensureLab());
  writeFileSync(planFile, [
    'apps:',
    '  vfour:',
    '    image: cloud/hostinfo:1.0',
    '    replicas: 2',
    '    hosts: [vfour.matrix.test]',
    '    director: fallback',
    '    health: { path: /, interval: 1s, timeout: 1s }',
    '',
  ].join('\n'));
});

after(async () => {
  // Back on Debian's varnishd, whatever happened above (the default lab every later run expects).
  const up = await cli(['lab', 'up', '--nodes', String(lab.nodes.length)]);
  assert.equal(up.code, 0, up.stderr);
});

describe(`the lab's router on Varnish ${VERSION}`, { skip: built ? false : `Varnish ${VERSION} is not built (scripts/build-varnish.sh ${VERSION})` }, () => {
  it('refuses a --varnish that is no varnishd (exit 2, the lab untouched)', async () => {
    const r = await cli(['lab', 'up', '--nodes', String(lab.nodes.length), '--varnish', '/bin/true']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--varnish: \/bin\/true -V names no Varnish version/);
    assert.equal(readManifest(stateDir())?.varnishd ?? 'varnishd', 'varnishd');
  });

  it('comes up on 4.1, deploys, lists routes with health, compile-checks and undeploys through it', async () => {
    const up = await cli(['lab', 'up', '--nodes', String(lab.nodes.length), '--varnish', varnishd41]);
    assert.equal(up.code, 0, up.stderr + up.stdout);
    assert.match(up.stdout, new RegExp(`varnishd ${VERSION.replace(/\./g, '\\.')}`));
    const config = loadConfig();
    assert.equal(config.varnish.varnishd, varnishd41, 'the config names the router\'s varnishd for compile checks');
    const admin = new VarnishCli({ admin: config.varnish.admin, secretFile: config.varnish.secretFile });
    try {
      await admin.vclList();
      assert.equal(admin.version?.text, VERSION, 'the running router is 4.1 (its CLI banner)');
    } finally {
      admin.close();
    }

    // The registry's store survives a lab rebuild, but the image may not have been pushed yet.
    assert.equal((await cli(['create-image', 'images/hostinfo', 'hostinfo:1.0'])).code, 0);
    assert.equal((await cli(['install-image', 'hostinfo:1.0'])).code, 0);
    const d = await cli(['deploy-plan', planFile]);
    assert.equal(d.code, 0, d.stderr + d.stdout);

    const rr = await cli(['routes', '--json']);
    assert.equal(rr.code, 0, rr.stderr);
    const route = (JSON.parse(rr.stdout) as Routed[]).find((r) => r.app === 'vfour');
    assert.ok(route, rr.stdout);
    assert.deepEqual(route.hosts, ['vfour.matrix.test']);
    assert.equal(route.backends.length, 2);
    assert.ok(route.backends.every((b) => b.healthy === true), `4.1's plain-text backend.list read as healthy: ${rr.stdout}`);

    const a = await waitForAnswer('vfour.matrix.test', (x) => x.status === 200, 15_000);
    assert.equal(a.status, 200, a.body);

    // A second deploy (a new revision) switches VCL on 4.1 too, and update-proxy --check compiles with 4.1's varnishd.
    const c = await cli(['update-proxy', '--check']);
    assert.equal(c.code, 0, c.stderr + c.stdout);
    const u = await cli(['undeploy', 'vfour']);
    assert.equal(u.code, 0, u.stderr + u.stdout);
    const gone = await waitForAnswer('vfour.matrix.test', (x) => x.status === 404, 15_000);
    assert.equal(gone.status, 404);
  });
});
