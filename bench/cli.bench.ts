import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './lib.js';

// Whole-process start-up of the CLI, median of hyperfine runs, each beside baselines of the same run.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = 'node bin/cloudmatrix.js';
const GOAL_MS = 150;

function ensureBuild(): void {
  const stale = !existsSync(join(ROOT, 'dist/.built'))
    || execFileSync('find', ['src', '-newer', 'dist/.built', '-print', '-quit'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
  if (stale) execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/** Median ms of each command, measured together (hyperfine -N: no shell in between). */
function hyperfine(commands: string[]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-bench-'));
  try {
    const out = join(dir, 'out.json');
    const r = spawnSync('hyperfine', ['-N', '-i', '-w', '3', '-r', '25', '--export-json', out, ...commands], { cwd: ROOT, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`hyperfine failed (${r.error?.message ?? `exit ${r.status}`}); apt-get install -y hyperfine`);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { results: { median: number }[] };
    return json.results.map((x) => x.median * 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  ensureBuild();
  const lab = existsSync(process.env.CLOUDMATRIX_CONFIG ?? '/var/lib/cloudmatrix/config.json');
  const cmds = ['docker --version', 'node -e 0', `${CLI} --version`, `${CLI} --help`, ...(lab ? [`${CLI} nodes --json`] : [])];
  const [docker, node, ...cli] = hyperfine(cmds);
  const row = (name: string, value: number, base: { name: string; value: number }, goal: string, ok: boolean): BenchResult => ({
    name, value, unit: 'ms', baseline: base, ratio: value / base.value, goal, ok,
  });
  const dockerBase = { name: 'docker --version', value: docker! };
  const nodeBase = { name: 'node -e 0', value: node! };
  const rows = [
    row('cloudmatrix --version', cli[0]!, dockerBase, `< ${GOAL_MS} ms`, cli[0]! < GOAL_MS),
    row('cloudmatrix --version over node -e 0', cli[0]!, nodeBase, 'near 1x', cli[0]! < node! * 1.5),
    row('cloudmatrix --help', cli[1]!, dockerBase, `< ${GOAL_MS} ms`, cli[1]! < GOAL_MS),
    row('cloudmatrix --help over node -e 0', cli[1]!, nodeBase, 'near 1x', cli[1]! < node! * 1.5),
  ];
  if (lab) rows.push(row('cloudmatrix nodes --json (lab)', cli[2]!, nodeBase, 'report', true));
  return rows;
}
