import type { CounterSource } from '../adapters/request-counters.js';
import { appResolver, requestDeltas, requestRate, trimIntervals, type Counters, type RequestInterval } from '../model/request-counters.js';

/**
 * Requests per second per app as Varnish counts them: each read of the counters adds the
 * requests since the previous read; a rate is taken over the last `window` of those.
 */
export class RequestSensor {
  private last: { at: number; counters: Counters } | null = null;
  private intervals: RequestInterval[] = [];

  constructor(private readonly source: CounterSource, private readonly now: () => number = Date.now) {}

  /** Reads the counters once; `apps` are every deployed app (a backend is attributed by its name). */
  async sample(apps: readonly string[], keepMs: number, known?: ReadonlyMap<string, string>): Promise<number> {
    const counters = await this.source.read();
    const at = this.now();
    if (this.last) {
      this.intervals.push({ from: this.last.at, to: at, requests: requestDeltas(this.last.counters, counters, appResolver(apps, known)) });
      this.intervals = trimIntervals(this.intervals, at, keepMs);
    }
    this.last = { at, counters };
    return at;
  }

  /** null until two reads were made */
  rate(app: string, windowMs: number, at: number = this.now()): number | null {
    return requestRate(this.intervals, app, at, windowMs);
  }
}
