import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { createImage } from '../../src/images/create.js';
import { installImage } from '../../src/images/install.js';
import { listRegistryImages } from '../../src/images/list.js';
import { RegistryClient } from '../../src/adapters/registry.js';
import { pullEndpoint } from '../../src/adapters/registry-access.js';
import { ensureLab } from './helpers/lab.js';
import { cli } from './helpers/exec.js';

// Repository names of this file only: it-images-*.
let config: Config;
const tmp = mkdtempSync(join(tmpdir(), 'cmx-images-'));
const quiet = () => undefined;

before(async () => {
  ({ config } = await ensureLab());
});

after(() => rmSync(tmp, { recursive: true, force: true }));

describe('create-image and install-image', () => {
  it('builds, tags with the context hash, pushes, and the registry serves that digest', async () => {
    const created = await createImage({ appDir: 'images/simplewebapp1', name: 'it-images-web', config, progress: quiet });
    assert.match(created.ref, /^10\.77\.0\.1:5000\/cloud\/it-images-web:[0-9a-f]{12}$/);
    assert.equal(created.image.tag, created.contextHash);
    const installed = await installImage({ name: `it-images-web:${created.contextHash}`, config, progress: quiet });
    assert.match(installed.digest, /^sha256:[0-9a-f]{64}$/);
    const registry = new RegistryClient(config.registry, pullEndpoint(config));
    assert.equal(await registry.digest('cloud/it-images-web', created.contextHash), installed.digest);
    const listed = (await listRegistryImages(config)).find((r) => r.repository === 'cloud/it-images-web');
    assert.ok(listed?.tags.some((t) => t.tag === created.contextHash && t.digest === installed.digest));
  });

  it('honours .dockerignore: an ignored file changes neither the context nor the tag', async () => {
    const app = join(tmp, 'app');
    cpSync('images/simplewebapp1', app, { recursive: true });
    const first = await createImage({ appDir: app, name: 'it-images-ignore', config, progress: quiet });
    writeFileSync(join(app, 'NOTES.md'), 'ignored by *.md\n');
    const second = await createImage({ appDir: app, name: 'it-images-ignore', config, progress: quiet });
    assert.equal(second.contextHash, first.contextHash);
    writeFileSync(join(app, 'www', 'extra.html'), 'not ignored\n');
    const third = await createImage({ appDir: app, name: 'it-images-ignore', config, progress: quiet });
    assert.notEqual(third.contextHash, first.contextHash);
  });

  it('install-image without a tag pushes the newest local tag', async () => {
    const created = await createImage({ appDir: 'images/simplewebapp2', name: 'it-images-web2', config, progress: quiet });
    const installed = await installImage({ name: 'it-images-web2', config, progress: quiet });
    assert.equal(installed.ref, created.ref);
  });

  it('images --json lists repositories, tags and digests', async () => {
    const res = await cli(['images', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const repos = JSON.parse(res.stdout) as { repository: string; tags: { tag: string; digest: string }[] }[];
    const web = repos.find((r) => r.repository === 'cloud/it-images-web');
    assert.ok(web && web.tags.length > 0 && web.tags.every((t) => t.digest.startsWith('sha256:')));
  });
});

describe('create-image and install-image errors, through the CLI', () => {
  it('a broken Dockerfile fails with exit 1 and shows the failing step', async () => {
    const app = join(tmp, 'broken');
    cpSync('images/simplewebapp1', app, { recursive: true });
    writeFileSync(join(app, 'Dockerfile'), 'FROM scratch\nCOPY www /www\nCOPY no-such-file /x\n');
    const res = await cli(['create-image', app, 'it-images-broken:1']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /cloudmatrix: build of .*it-images-broken:1 failed at Step 3\/3 : COPY no-such-file \/x: .*no-such-file/);
  });

  it('bad names, a missing directory or Dockerfile exit 2 with one line', async () => {
    const noDockerfile = join(tmp, 'empty');
    cpSync('images/simplewebapp1/www', noDockerfile, { recursive: true });
    for (const args of [
      ['create-image', 'images/simplewebapp1', 'Bad/Name'],
      ['create-image', 'images/simplewebapp1', 'web:bad:tag'],
      ['create-image', 'images/simplewebapp1', 'web@sha256:1234'],
      ['create-image', join(tmp, 'nope'), 'web:1'],
      ['create-image', noDockerfile, 'web:1'],
      ['install-image', 'it-images-never-built:1'],
    ]) {
      const res = await cli(args);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /^cloudmatrix: [^\n]+\n$/, args.join(' '));
    }
  });

  it('create-image prints the reference it tagged', async () => {
    const res = await cli(['create-image', 'images/simplewebapp1', 'it-images-cli:v1']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '10.77.0.1:5000/cloud/it-images-cli:v1\n');
    assert.match(res.stderr, /Step 1\/\d+ : FROM scratch/);
  });
});
