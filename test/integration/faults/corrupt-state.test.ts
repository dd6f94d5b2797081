import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../../src/config.js';
import { History } from '../../../src/adapters/store/history.js';
import { undeploy } from '../../../src/deploy/undeploy.js';
import { cli } from '../helpers/exec.js';
import { ensureLab } from '../helpers/lab.js';
import { removeApps } from '../helpers/cloud.js';
import { loadLoop, waitForAnswer } from '../helpers/varnish-http.js';
import { busyboxImage } from './helpers.js';

// A corrupt state file (a crash mid-write on an older version, a full disk, a hand edit) is
// reported with its path and set aside; it never turns a good deploy into a failure and never
// unroutes what serves.
let config: Config;
const dir = mkdtempSync(join(tmpdir(), 'cmx-fault-state-'));
const planFile = join(dir, 'faultstate.yaml');
const HOST = 'fstate.matrix.test';
const saved = new Map<string, string | null>();
const stateFiles = () => ['history.json', 'history.jsonl', 'known-good.json'].map((f) => join(config.stateDir, f));

function writePlan(tag: string): void {
  writeFileSync(planFile, `domain: matrix.test\napps:\n  fstate:\n    image: cloud/faultstate:${tag}\n    replicas: 2\n    hosts: [${HOST}]\n`);
}

function setAside(file: string): string[] {
  const base = file.split('/').pop()!;
  return readdirSync(config.stateDir).filter((f) => f.startsWith(`${base}.corrupt-`)).map((f) => join(config.stateDir, f));
}

before(async () => {
  ({ config } = await ensureLab());
  for (const f of stateFiles()) saved.set(f, existsSync(f) ? readFileSync(f, 'utf8') : null);
  await undeploy(config, 'faultstate').catch(() => undefined);
  await busyboxImage('faultstate', '1');
  await busyboxImage('faultstate', '2');
  writePlan('1');
  assert.equal((await cli(['deploy-plan', planFile])).code, 0);
});

after(async () => {
  await undeploy(config, 'faultstate').catch(() => undefined);
  await removeApps(config, ['fstate']);
  // Put back what the other tests recorded.
  for (const [f, text] of saved) {
    for (const aside of setAside(f)) rmSync(aside, { force: true });
    if (text === null) rmSync(f, { force: true });
    else writeFileSync(f, text);
  }
  // Route the other plans from the restored record again.
  await cli(['watch', '--once']);
});

describe('corrupt state files', () => {
  it('a corrupt history (an earlier version\'s history.json): the deploy succeeds, says where the file was set aside, and records itself', async () => {
    const history = new History(config.stateDir).legacyPath;
    writeFileSync(history, '[{"id": "broken", "apps": [');
    writePlan('2');
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(`${history} is corrupt .*set aside as ${history}\\.corrupt-`));
    assert.equal(setAside(history).length, 1);
    assert.equal(existsSync(history), false);
    assert.equal(new History(config.stateDir).list().at(-1)?.plan, 'faultstate');
    assert.match((await waitForAnswer(HOST, (a) => a.body.includes('faultstate 2'))).body, /faultstate 2/);
  });

  it('a corrupt known-good record: watch and the next deploy fall back to the history, and nothing is unrouted', async () => {
    const known = join(config.stateDir, 'known-good.json');
    writeFileSync(known, '{"version": 1, "containers": {');
    const watch = await cli(['watch', '--once']);
    assert.equal(watch.code, 0, watch.stdout + watch.stderr);
    assert.match(watch.stdout + watch.stderr, /known-good\.json is corrupt/);
    const load = await loadLoop(HOST, { rps: 20, until: new Promise(() => undefined), maxMs: 8000, maxRequests: 60 });
    assert.equal(load.failed, 0, load.failures.join('; '));
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no changes/, 'the serving containers are known-good again (from the history), nothing restarted');
    assert.ok(existsSync(known), 'the deploy wrote the record anew');
  });
});
