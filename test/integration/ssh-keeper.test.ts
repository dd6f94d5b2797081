import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { keeperPaths, stopKeepers } from '../../src/adapters/docker/keeper.js';
import { ensureLab } from './helpers/lab.js';
import { configCopy } from './helpers/config-copy.js';
import { cli } from './helpers/exec.js';

// The SSH keeper on the lab: commands after the first reuse its connections (no new SSH login on
// the nodes), it checks host keys again when known_hosts changes, a dead keeper costs nothing but
// a direct connection, and it ends when unused or told to.
let config: Config;
let nodeLogs: string[];
const tmp = mkdtempSync(join(tmpdir(), 'cmx-keeper-lab-'));
const KEEP_MS = '4000';

const logins = () => nodeLogs.reduce((n, f) => n + (readFileSync(f, 'utf8').match(/Accepted publickey/g)?.length ?? 0), 0);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pidOf = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0);
async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (const t0 = Date.now(); !ok(); ) {
    if (Date.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  let manifest;
  ({ config, manifest } = await ensureLab());
  nodeLogs = manifest.nodes.map((n) => join(n.dir, 'sshd.log'));
  stopKeepers(config.stateDir);
});

after(() => {
  stopKeepers(config.stateDir);
  rmSync(tmp, { recursive: true, force: true });
});

describe('SSH keeper on the lab', () => {
  it('the first command connects directly and starts a keeper; the next ones log in on no node', async () => {
    const env = { CMX_SSH_KEEP_MS: KEEP_MS };
    const paths = keeperPaths(config);
    const first = await cli(['ps'], env);
    assert.equal(first.code, 0, first.stderr);
    await until('a keeper answers', () => existsSync(paths.socket) && pidOf(paths.pid) > 0);
    const before = logins();
    for (let i = 0; i < 3; i++) {
      const r = await cli(['ps', '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual((JSON.parse(r.stdout) as { errors: unknown[] }).errors, []);
    }
    // The keeper's first streams open its connections: at most one login per node, then none.
    const afterWarm = logins();
    assert.ok(afterWarm - before <= nodeLogs.length, `${afterWarm - before} logins for ${nodeLogs.length} nodes`);
    const r = await cli(['ps'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(logins(), afterWarm, 'a warm keeper: no new SSH login on any node');
  });

  it('checks the host key again when known_hosts changes: a changed key is refused, naming the node', async () => {
    const known = join(tmp, 'known_hosts');
    copyFileSync(config.ssh.knownHostsFile, known);
    const copy = configCopy(tmp, { ssh: { ...config.ssh, knownHostsFile: known } });
    const env = { CLOUDMATRIX_CONFIG: copy.file, CMX_SSH_KEEP_MS: KEEP_MS };
    const paths = keeperPaths(copy.config);
    assert.equal((await cli(['ps'], env)).code, 0);
    await until('the copy\'s keeper answers', () => pidOf(paths.pid) > 0);
    assert.equal((await cli(['ps'], env)).code, 0);
    // node1's line now carries node2's key.
    const lines = readFileSync(known, 'utf8').split('\n');
    const node2Key = lines.find((l) => l.startsWith('node2,'))!.split(' ').slice(1).join(' ');
    writeFileSync(known, lines.map((l) => (l.startsWith('node1,') ? `${l.split(' ')[0]} ${node2Key}` : l)).join('\n'));
    const r = await cli(['ps'], env);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /node1 \(10\.77\.0\.201\): HOST KEY HAS CHANGED; refusing to connect/);
    assert.ok(alive(pidOf(paths.pid)), 'the keeper itself goes on');
  });

  it('a killed keeper costs one direct connection and a new keeper; --stop ends it; unused, it ends by itself', async () => {
    const env = { CMX_SSH_KEEP_MS: KEEP_MS };
    const paths = keeperPaths(config);
    if (!pidOf(paths.pid)) {
      assert.equal((await cli(['ps'], env)).code, 0);
      await until('a keeper answers', () => pidOf(paths.pid) > 0);
    }
    const killed = pidOf(paths.pid);
    process.kill(killed, 'SIGKILL');
    await until('the keeper is gone', () => !alive(killed));
    const r = await cli(['ps'], env);
    assert.equal(r.code, 0, r.stderr);
    await until('a new keeper answers', () => pidOf(paths.pid) > 0 && pidOf(paths.pid) !== killed && alive(pidOf(paths.pid)));
    const second = pidOf(paths.pid);
    const stop = await cli(['ssh-keeper', '--stop']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /keeper\(s\) stopped/);
    await until('--stop ended it', () => !alive(second));
    assert.ok(!existsSync(paths.socket));
    // Unused for KEEP_MS, the next one ends by itself.
    assert.equal((await cli(['ps'], env)).code, 0);
    await until('a keeper answers', () => pidOf(paths.pid) > 0);
    const third = pidOf(paths.pid);
    await until('unused, it ended', () => !alive(third), Number(KEEP_MS) + 10_000);
    assert.ok(!existsSync(paths.socket) && !existsSync(paths.pid));
  });
});
