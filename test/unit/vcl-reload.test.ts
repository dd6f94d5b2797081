import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reload, rollback, vclHash8, VclCompileError, type BackendInfo, type VarnishAdmin, type VclInfo } from '../../src/adapters/varnish.js';
import { EnvError } from '../../src/errors.js';

/** An in-memory Varnish: the VCLs it holds, the commands it saw, and failures to inject. */
class FakeAdmin implements VarnishAdmin {
  vcls: VclInfo[] = [{ name: 'boot', status: 'active', state: 'auto', temperature: 'warm', busy: 0 }];
  calls: string[] = [];
  failInline = false;
  failUse = false;
  busy = new Set<string>();
  async vclInline(name: string, vcl: string) {
    this.calls.push(`inline ${name}`);
    if (this.failInline || vcl.includes('syntax error')) throw new VclCompileError([{ line: 1, column: 1, message: 'Expected', text: vcl }]);
    this.vcls.push({ name, status: 'available', state: 'auto', temperature: 'warm', busy: 0 });
  }
  async vclUse(name: string) {
    this.calls.push(`use ${name}`);
    if (this.failUse) throw new EnvError('vcl.use failed');
    for (const v of this.vcls) v.status = v.name === name ? 'active' : 'available';
  }
  async vclDiscard(name: string) {
    this.calls.push(`discard ${name}`);
    if (this.busy.has(name)) throw new EnvError(`${name} is busy`);
    this.vcls = this.vcls.filter((v) => v.name !== name);
  }
  async vclList() {
    return structuredClone(this.vcls);
  }
  async backendList(): Promise<BackendInfo[]> {
    return [];
  }
  close() {}
  active() {
    return this.vcls.find((v) => v.status === 'active')!.name;
  }
}

const clock = () => {
  let t = 1_700_000_000_000;
  return () => t++;
};

test('reload loads under cmx_<ms>_<hash8>, uses it and keeps the previous VCL', async () => {
  const admin = new FakeAdmin();
  const r = await reload(admin, 'vcl A', { now: clock() });
  assert.equal(r.name, `cmx_1700000000000_${vclHash8('vcl A')}`);
  assert.deepEqual(r, { changed: true, name: r.name, previous: 'boot', discarded: [], warnings: [] });
  assert.deepEqual(admin.calls, [`inline ${r.name}`, `use ${r.name}`]);
  assert.equal(admin.active(), r.name);
});

test('the same VCL again is a no-op', async () => {
  const admin = new FakeAdmin();
  const now = clock();
  const first = await reload(admin, 'vcl A', { now });
  admin.calls = [];
  const again = await reload(admin, 'vcl A', { now });
  assert.deepEqual(again, { changed: false, name: first.name, discarded: [], warnings: [] });
  assert.deepEqual(admin.calls, []);
});

test('many reloads leave the active and the previous cloudmatrix VCL only; other VCLs are not ours to discard', async () => {
  const admin = new FakeAdmin();
  const now = clock();
  for (let i = 0; i < 50; i++) await reload(admin, `vcl ${i}`, { now });
  const ours = admin.vcls.filter((v) => v.name.startsWith('cmx_'));
  assert.equal(ours.length, 2);
  assert.ok(admin.vcls.some((v) => v.name === 'boot'));
  assert.equal(admin.active(), ours.find((v) => v.name.endsWith(vclHash8('vcl 49')))!.name);
});

test('a VCL that does not compile never replaces the active one', async () => {
  const admin = new FakeAdmin();
  const now = clock();
  const good = await reload(admin, 'vcl A', { now });
  await assert.rejects(reload(admin, 'syntax error', { now }), VclCompileError);
  assert.equal(admin.active(), good.name);
  const compile = async () => ({ ok: false, errors: [{ line: 3, column: 2, message: "Expected ';'", text: 'x' }] });
  await assert.rejects(reload(admin, 'vcl B', { now, compile }), /line 3:2: Expected ';' at: x/);
  assert.ok(!admin.calls.some((c) => c.includes(vclHash8('vcl B'))), 'a failed pre-check loads nothing');
  assert.equal(admin.active(), good.name);
});

test('a failed vcl.use discards the new VCL and keeps the active one', async () => {
  const admin = new FakeAdmin();
  const now = clock();
  const good = await reload(admin, 'vcl A', { now });
  admin.failUse = true;
  await assert.rejects(reload(admin, 'vcl B', { now }), /vcl.use failed/);
  assert.equal(admin.active(), good.name);
  assert.deepEqual(admin.vcls.map((v) => v.name), ['boot', good.name]);
});

test('an already loaded copy is switched to without loading again', async () => {
  const admin = new FakeAdmin();
  const now = clock();
  const a = await reload(admin, 'vcl A', { now });
  await reload(admin, 'vcl B', { now });
  admin.calls = [];
  const back = await reload(admin, 'vcl A', { now });
  assert.equal(back.name, a.name);
  assert.deepEqual(admin.calls, [`use ${a.name}`]);
});

test('a VCL that cannot be discarded (busy) is a warning, not a failure', async () => {
  const admin = new FakeAdmin();
  const now = clock();
  const a = await reload(admin, 'vcl A', { now });
  await reload(admin, 'vcl B', { now });
  admin.busy.add(a.name);
  const r = await reload(admin, 'vcl C', { now });
  assert.equal(r.changed, true);
  assert.match(r.warnings[0]!, /could not discard cmx_.*busy/);
});

test('a fresh name never clashes with a discarded VCL that is still busy', async () => {
  const admin = new FakeAdmin();
  const stale = `cmx_5_${vclHash8('vcl A')}`;
  admin.vcls.push({ name: stale, status: 'discarded', state: 'auto', temperature: 'cooling', busy: 1 });
  const a = await reload(admin, 'vcl A', { now: () => 5 });
  assert.equal(a.name, `cmx_6_${vclHash8('vcl A')}`);
});

test('rollback uses the newest other cloudmatrix VCL', async () => {
  const admin = new FakeAdmin();
  const now = clock();
  const a = await reload(admin, 'vcl A', { now });
  await reload(admin, 'vcl B', { now });
  assert.equal(await rollback(admin), a.name);
  assert.equal(admin.active(), a.name);
  await assert.rejects(rollback(new FakeAdmin()), /no previous cloudmatrix VCL/);
});
