import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerNodes } from '../../src/commands/nodes.js';

const LEASES = fileURLToPath(new URL('../fixtures/leases/lab.leases', import.meta.url));

async function run(args: string[]): Promise<{ out: string; err: string }> {
  process.env.CLOUDMATRIX_CONFIG = '/nonexistent/cloudmatrix-config.json';
  const program = new Command('cloudmatrix').exitOverride();
  registerNodes(program);
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (s: string) => out.push(s);
  console.error = (s: string) => err.push(s);
  try {
    await program.parseAsync(['nodes', ...args], { from: 'user' });
  } finally {
    console.log = log;
    console.error = error;
  }
  return { out: out.join('\n'), err: err.join('\n') };
}

test('nodes --json: live named nodes only, warnings on stderr', async () => {
  const { out, err } = await run(['--leases', LEASES, '--json']);
  const rows = JSON.parse(out) as { name: string; expired: boolean }[];
  assert.deepEqual(rows.map((r) => r.name), ['node1', 'node2']);
  assert.deepEqual(Object.keys(rows[0]), ['name', 'ip', 'mac', 'expiresAt', 'clientId', 'expired']);
  assert.equal((rows[0] as unknown as { expiresAt: string }).expiresAt, '2027-01-01T00:00:00.000Z');
  assert.match(err, /lab\.leases:5: ignoring malformed lease/);
});

test('nodes --all: expired and nameless leases too, as a table', async () => {
  const { out } = await run(['--leases', LEASES, '--all']);
  const lines = out.split('\n');
  assert.match(lines[0], /^NAME +IP +MAC +EXPIRES +STATE$/);
  assert.equal(lines.length, 5);
  assert.match(lines[3], /^node3 .* expired$/);
  assert.match(lines[4], /^\* +10\.77\.0\.14 .* never +nameless$/);
});

test('nodes --leases on a missing file: no nodes, and a warning that says why', async () => {
  const { out, err } = await run(['--leases', '/nonexistent/leases', '--json']);
  assert.deepEqual(JSON.parse(out), []);
  assert.match(err, /\/nonexistent\/leases: no such leases file \(is dnsmasq running\?\)/);
});
