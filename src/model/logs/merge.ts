import { timeNs, type TimedLine } from './lines.js';

interface Keyed<T> {
  line: T;
  ns: bigint;
  seq: number;
}

const byTime = <T>(a: Keyed<T>, b: Keyed<T>): number => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.seq - b.seq);

/**
 * The lines of several streams in one time order. Equal times keep the order of the streams as
 * given, and each stream its own order (a stream's lines are in order already).
 */
export function mergeByTime<T extends TimedLine>(streams: readonly (readonly T[])[]): T[] {
  let seq = 0;
  const all: Keyed<T>[] = [];
  for (const s of streams) for (const line of s) all.push({ line, ns: timeNs(line.time), seq: seq++ });
  return all.sort(byTime).map((k) => k.line);
}

/**
 * Time order for lines that arrive live from several streams: each line waits `windowMs`
 * after it arrived, so that a line of another stream written a little earlier (but delivered
 * later) can still go before it. When a line's wait is over, it goes out with every held line
 * that is not later than it. The wait is counted on the local clock from arrival, never
 * against the nodes' clocks, so a node whose clock is off delays nothing.
 */
export class ReorderBuffer<T extends TimedLine> {
  private held: (Keyed<T> & { at: number })[] = [];
  private seq = 0;

  constructor(private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.held.length;
  }

  push(line: T): void {
    this.held.push({ line, ns: timeNs(line.time), seq: this.seq++, at: this.now() });
  }

  /** The lines whose wait is over, in time order, with the held ones that go before them. */
  take(): T[] {
    const now = this.now();
    const due = this.held.filter((h) => now - h.at >= this.windowMs);
    if (due.length === 0) return [];
    const sorted = [...this.held].sort(byTime);
    const last = due.reduce((m, h) => (byTime(h, m) > 0 ? h : m));
    const cut = sorted.indexOf(last) + 1;
    this.held = sorted.slice(cut);
    return sorted.slice(0, cut).map((h) => h.line);
  }

  /** Every held line, in time order (the end of the output). */
  drain(): T[] {
    const out = [...this.held].sort(byTime).map((h) => h.line);
    this.held = [];
    return out;
  }

  /** When the next line's wait is over (ms from now), or null when none is held. */
  nextDueIn(): number | null {
    if (this.held.length === 0) return null;
    const first = Math.min(...this.held.map((h) => h.at));
    return Math.max(0, first + this.windowMs - this.now());
  }
}
