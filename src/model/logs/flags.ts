/** A checked flag value, or why not (the caller names the flag: --since, ?since=). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const MAX_AGO_S = 10 * 365 * 86_400;

/**
 * `--since`: a duration before now (`90s`, `10m`, `2h`, `7d`) or a point in time (RFC 3339,
 * e.g. 2026-12-02T01:00:00Z, or a date 2026-12-02 in UTC), as the Unix seconds (with fraction) Docker's `since` takes.
 */
export function parseSince(text: string, nowMs: number): Parsed<number> {
  const d = /^([0-9]{1,9})(s|m|h|d)$/.exec(text);
  if (d) {
    const ago = Number(d[1]) * UNIT_S[d[2]!]!;
    if (ago > MAX_AGO_S) return { ok: false, error: `expected at most 10 years back, got ${JSON.stringify(text)}` };
    return { ok: true, value: (nowMs - ago * 1000) / 1000 };
  }
  if (/^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d))?$/.test(text)) {
    const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    if (!Number.isNaN(ms)) return { ok: true, value: ms / 1000 };
  }
  return { ok: false, error: `expected a duration like 30s, 10m, 2h or 1d, or a time like 2026-12-02T10:00:00Z, got ${JSON.stringify(text)}` };
}

export const MAX_TAIL = 100_000;

/** `--tail`: how many of each replica's last lines ('all' or a whole number 0 to MAX_TAIL). */
export function parseTail(text: string): Parsed<number | 'all'> {
  if (text === 'all') return { ok: true, value: 'all' };
  if (/^[0-9]{1,6}$/.test(text) && Number(text) <= MAX_TAIL) return { ok: true, value: Number(text) };
  return { ok: false, error: `expected a whole number from 0 to ${MAX_TAIL}, or all, got ${JSON.stringify(text)}` };
}
