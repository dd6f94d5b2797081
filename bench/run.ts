import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { formatTable } from '../src/model/table.js';
import type { BenchResult } from './lib.js';

// Runs every bench/*.bench.ts (or those named on the command line) and prints one table.
// Benchmarks never gate anything: the exit status is 0 unless a benchmark throws.
const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3));
const rows: string[][] = [['benchmark', 'value', 'baseline (same run)', 'ratio', 'goal', 'ok']];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { run: () => Promise<BenchResult[]> };
  for (const r of await mod.run()) {
    rows.push([
      r.name,
      `${fmt(r.value)} ${r.unit}`,
      r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)} ${r.unit}` : '',
      r.ratio === undefined ? '' : `${fmt(r.ratio)}x`,
      r.goal,
      r.ok ? 'yes' : 'NO',
    ]);
  }
}
console.log(formatTable(rows));
