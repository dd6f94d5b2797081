// Memory sizes and CPU counts as plans and flags write them, and as Docker takes them.

/** `256M`, `1.5G`, `512K` (binary units, as Docker's `--memory`; lower case too) or a whole number of bytes. */
export const MEMORY_SIZE = /^([0-9]{1,10}(?:\.[0-9]{1,3})?)([KMGkmg])$/;
export const MIN_MEMORY = 6 * 1024 * 1024; // Docker refuses limits under 6 MiB
export const MAX_MEMORY = 1024 ** 4; // 1 TiB: far above any node here, below float trouble
export const MIN_CPUS = 0.01;
export const MAX_CPUS = 1024;

const UNIT: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes of a memory size, or null when it is not one (NaN-free: whole bytes only). */
export function parseMemory(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? v : null;
  if (typeof v !== 'string') return null;
  if (/^[0-9]{1,13}$/.test(v)) return Number(v);
  const m = MEMORY_SIZE.exec(v);
  return m ? Math.floor(Number(m[1]) * UNIT[m[2].toLowerCase()]) : null;
}

/** Why a memory size is refused, or null. */
export function badMemory(v: unknown): string | null {
  const bytes = parseMemory(v);
  if (bytes === null) return 'expected a memory size like 256M, 1.5G or 512K (K, M, G = 1024-based), or a whole number of bytes';
  if (bytes < MIN_MEMORY) return `must be at least 6M (Docker's smallest limit), got ${formatBytes(bytes)}`;
  if (bytes > MAX_MEMORY) return 'must be at most 1024G';
  return null;
}

/** Why a CPU count is refused, or null: a number from 0.01 to 1024, at most 2 decimals... of a billionth. */
export function badCpus(v: unknown): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'expected a number of CPUs like 0.5 or 2';
  if (v < MIN_CPUS || v > MAX_CPUS) return `expected a number of CPUs from ${MIN_CPUS} to ${MAX_CPUS}, got ${v}`;
  return null;
}

/** Docker's NanoCpus of a CPU count. */
export function nanoCpus(cpus: number): number {
  return Math.round(cpus * 1e9);
}

/** A byte count the short way: `8G`, `2.1G`, `256M`, `512K`, `100B`. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
    if (bytes >= size) {
      const n = bytes / size;
      const text = n >= 100 || Number.isInteger(n) ? String(Math.floor(n)) : (Math.floor(n * 10) / 10).toFixed(1).replace(/\.0$/, '');
      return `${text}${unit}`;
    }
  }
  return `${bytes}B`;
}

/** CPUs from NanoCpus, the short way: `0.5`, `2`, `0.25`. */
export function formatCpus(nano: number): string {
  return String(Math.floor(nano / 1e7) / 100);
}
