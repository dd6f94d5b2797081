import type { CounterSource } from '../adapters/request-counters.js';
import type { LineStream } from '../adapters/status-stream.js';
import { appResolver } from '../model/request-counters.js';
import {
  deployMarks, parseStatusLine, pointsAt, seriesIds, SeriesStore, type AppSeries, type CounterReading, type DeployedApp, type DeployMark, type SeriesVisible,
} from '../model/series.js';
import type { DeployRecord } from '../adapters/store/history.js';
import { abortableSleep } from '../adapters/abortable-sleep.js';

export interface SeriesView {
  stepMs: number;
  keepMs: number;
  now: number;
  /** whether 5xx are counted (the log reader runs) */
  errorsCounted: boolean;
  apps: AppSeries[];
  deploys: DeployMark[];
}

export interface SeriesSamplerDeps {
  counters: CounterSource;
  /** every deployed app with its healthy replicas */
  apps(): Promise<DeployedApp[]>;
  history(): Promise<readonly DeployRecord[]>;
  /** starts the reader of Varnish's answers (`APP STATUS` lines); absent: no 5xx series */
  statuses?(onLine: (line: string) => void, onDown: (why: string) => void): LineStream;
}

export interface SeriesSamplerOptions {
  stepMs?: number;
  keepMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/**
 * serve's sampler for the dashboard's charts: every step it reads Varnish's request counters and
 * the apps' healthy replicas, counts the 5xx answers Varnish logged since the last step, and
 * keeps one point per app in a ring of an hour (in memory: a restart starts an empty chart).
 */
export class SeriesSampler {
  readonly stepMs: number;
  readonly keepMs: number;
  private readonly store: SeriesStore;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private prev: CounterReading | null = null;
  private known: DeployedApp[] = [];
  private errors = new Map<string, number>();
  private lastAt: number | null = null;
  private stream: LineStream | null = null;
  private said = '';

  constructor(private readonly deps: SeriesSamplerDeps, opts: SeriesSamplerOptions = {}) {
    this.stepMs = opts.stepMs ?? 5000;
    this.keepMs = opts.keepMs ?? 3_600_000;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => undefined);
    this.store = new SeriesStore(this.stepMs, this.keepMs);
  }

  /** Starts the reader of Varnish's answers (once). */
  listen(): void {
    this.stream ??= this.deps.statuses?.((l) => this.count(l), (why) => this.log(`series: 5xx not counted: ${why}`)) ?? null;
  }

  close(): void {
    this.stream?.stop();
    this.stream = null;
  }

  /** Samples every step until `signal` aborts; the log reader ends with it. */
  async run(signal: AbortSignal): Promise<void> {
    this.listen();
    try {
      while (!signal.aborted) {
        const started = this.now();
        await this.tick().catch((err: Error) => this.sayOnce(`series: ${err.message}`));
        const wait = Math.max(0, this.stepMs - (this.now() - started));
        await abortableSleep(wait, signal);
      }
    } finally {
      this.close();
    }
  }

  private count(line: string): void {
    const s = parseStatusLine(line);
    if (s && s.status >= 500) this.errors.set(s.app, (this.errors.get(s.app) ?? 0) + 1);
  }

  /** One reading: a point per deployed app. */
  async tick(): Promise<void> {
    const [apps, counters] = await Promise.allSettled([this.deps.apps(), this.deps.counters.read()]);
    const at = this.now();
    if (apps.status === 'fulfilled') this.known = apps.value;
    else this.known = this.known.map((a) => ({ ...a, healthy: null }));
    const failed = [apps, counters].find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) this.sayOnce(`series: ${(failed.reason as Error).message}`);
    else this.said = '';
    const cur: CounterReading = { at, counters: counters.status === 'fulfilled' ? counters.value : null };
    // 5xx since the later of the last point and the reader's (re)start; none while it is down.
    const stream = this.stream;
    const since = stream?.running && stream.since !== null && this.lastAt !== null ? Math.max(this.lastAt, stream.since) : null;
    const ids = seriesIds(this.known);
    const points = pointsAt({
      prev: this.prev, cur, errors: since === null ? null : this.errors, errorsSince: since,
      apps: this.known, appOf: appResolver(ids), maxGapMs: this.stepMs * 3,
    });
    this.errors = new Map();
    this.lastAt = at;
    if (cur.counters) this.prev = cur;
    this.store.add(points, new Map(this.known.map((a, i) => [ids[i]!, { plan: a.plan, app: a.app }])), at);
  }

  async view(visible: SeriesVisible = () => true): Promise<SeriesView> {
    const now = this.now();
    const apps = this.store.view(now, visible);
    // Marks only for apps that have a chart: the user may read them, and they ran this hour.
    const charted = new Set(apps.map((a) => `${a.plan}/${a.app}`));
    const deploys = deployMarks(await this.deps.history(), now - this.keepMs, now)
      .map((d) => ({ ...d, apps: d.apps.filter((app) => charted.has(`${d.plan}/${app}`)) }))
      .filter((d) => d.apps.length > 0);
    return { stepMs: this.stepMs, keepMs: this.keepMs, now, errorsCounted: this.stream?.running === true, apps, deploys };
  }

  private sayOnce(line: string): void {
    if (line !== this.said) this.log(line);
    this.said = line;
  }
}
