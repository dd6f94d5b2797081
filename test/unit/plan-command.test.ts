import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerPlan } from '../../src/commands/plan.js';
import { UserError } from '../../src/errors.js';

const path = (f: string) => fileURLToPath(new URL(`../../${f}`, import.meta.url));

async function run(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  const program = new Command('cloudmatrix').exitOverride();
  registerPlan(program);
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (s: string) => out.push(s);
  console.error = (s: string) => err.push(s);
  try {
    let code: number | undefined;
    try {
      await program.parseAsync(['plan', 'check', ...args], { from: 'user' });
    } catch (e) {
      // an empty message: the errors are printed already (the CLI's catch then prints nothing)
      if (!(e instanceof UserError) || e.message !== '') throw e;
      code = e.exitCode;
    }
    return { out: out.join('\n'), err: err.join('\n'), code };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('plan check on a good plan: one summary line, exit 0', async () => {
  const r = await run([path('plans/hello.yaml')]);
  assert.equal(r.out, `${path('plans/hello.yaml')}: ok, 3 apps, 7 replicas, domain matrix.test`);
  assert.equal(r.code, undefined);
  const legacy = await run([path('plans/applications.plan')]);
  assert.match(legacy.out, /applications\.plan: ok, 2 apps, 2 replicas, domain matrix\.test$/);
});

test('plan check on a bad plan: every error on stderr, exit 2', async () => {
  const r = await run([path('test/fixtures/plans/bad/replicas-negative.yaml')]);
  assert.equal(r.code, 2);
  assert.equal(r.err.split('\n').length, 2);
  assert.match(r.err, /replicas-negative\.yaml:7:5: apps\.web\.replicas: expected a whole number >= 0, got -1$/m);
});

test('plan check --json', async () => {
  const ok = JSON.parse((await run([path('plans/hello.yaml'), '--json'])).out);
  assert.deepEqual([ok.ok, ok.summary], [true, { apps: 3, replicas: 7, domain: 'matrix.test' }]);
  const bad = await run([path('test/fixtures/plans/bad/ports.yaml'), '--json']);
  assert.equal(bad.code, 2);
  assert.equal(JSON.parse(bad.out).errors.length, 3);
});

test('plan check on a missing file is a user error', async () => {
  await assert.rejects(run(['/nonexistent/plan.yaml']), { name: 'UserError', message: '/nonexistent/plan.yaml: no such plan file' });
});
