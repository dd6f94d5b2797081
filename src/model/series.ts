import { requestDeltas, type Counters } from './request-counters.js';
import { routeIds } from './vcl.js';

/**
 * The dashboard's traffic series: per app, requests per second (Varnish's per-backend request
 * counters), 5xx answers per second (the responses Varnish sent, by the X-Cloudmatrix-App header
 * it sets) and healthy replicas, one point per step, for the last hour. Pure: serve reads the
 * counters and the log, this turns readings into points and keeps them.
 */

/** null: not known at that time (no reading, a gap, or the source was down) */
export interface SeriesPoint {
  at: number;
  rps: number | null;
  errors: number | null;
  replicas: number | null;
}

/** A reading of the counters: when, and the values (null when the read failed). */
export interface CounterReading {
  at: number;
  counters: Counters | null;
}

/** The app a deployed plan holds, with its replicas serving now (null: the nodes could not be read). */
export interface DeployedApp {
  plan: string;
  app: string;
  healthy: number | null;
}

/**
 * Each app's key in the series: the id Varnish knows it by (vcl.ts routeIds), its name, or
 * `plan/app` when two plans hold an app of that name. Backend names and the X-Cloudmatrix-App
 * header carry the same id.
 */
export function seriesIds(apps: readonly DeployedApp[]): string[] {
  return routeIds(apps.map((a) => ({ name: a.app, plan: a.plan })));
}

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * `count` events over (from, to] as a rate per second; null over an interval that is not
 * positive or longer than `maxGapMs` (an average over a long gap would hide what happened in it).
 */
export function perSecond(count: number, from: number, to: number, maxGapMs: number): number | null {
  const span = to - from;
  if (!(span > 0) || span > maxGapMs) return null;
  return round((count * 1000) / span);
}

/**
 * One point per deployed app at `cur.at`, keyed by its series id (`appOf` answers those ids). Requests come from the counter deltas since the last
 * good reading (a reset counts from zero, a new backend from zero: never negative); 5xx from the
 * answers counted since the previous point (null: the log reader was down).
 */
export function pointsAt(input: {
  prev: CounterReading | null;
  cur: CounterReading;
  errors: ReadonlyMap<string, number> | null;
  /** since when `errors` counts */
  errorsSince: number | null;
  apps: readonly DeployedApp[];
  appOf: (backend: string) => string | null;
  maxGapMs: number;
}): Map<string, SeriesPoint> {
  const { prev, cur, errors, errorsSince, apps, appOf, maxGapMs } = input;
  const deltas = prev?.counters && cur.counters ? requestDeltas(prev.counters, cur.counters, appOf) : null;
  const out = new Map<string, SeriesPoint>();
  const ids = seriesIds(apps);
  apps.forEach((a, i) => {
    const id = ids[i]!;
    const rps = deltas && prev ? perSecond(deltas.get(id) ?? 0, prev.at, cur.at, maxGapMs) : null;
    const fivexx = errors && errorsSince !== null ? perSecond(errors.get(id) ?? 0, errorsSince, cur.at, maxGapMs) : null;
    out.set(id, { at: cur.at, rps, errors: fivexx, replicas: a.healthy });
  });
  return out;
}

/** `ID STATUS` as varnishncsa prints it with `-F '%{X-Cloudmatrix-App}o %s'` (ID: app or plan/app); `-` when no app answered. */
export function parseStatusLine(line: string): { app: string; status: number } | null {
  const m = /^(\S+) ([1-5][0-9]{2})$/.exec(line.trim());
  if (!m || m[1] === '-') return null;
  return { app: m[1]!, status: Number(m[2]) };
}

/** A fixed-size ring of points, oldest first when read; pushing into a full ring drops the oldest. */
export class PointRing {
  private readonly slots: (SeriesPoint | undefined)[];
  private start = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, not ${capacity}`);
    this.slots = new Array(capacity);
  }

  push(p: SeriesPoint): void {
    if (this.length < this.capacity) {
      this.slots[(this.start + this.length) % this.capacity] = p;
      this.length++;
    } else {
      this.slots[this.start] = p;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  get size(): number {
    return this.length;
  }

  /** Points at or after `from`, oldest first. */
  points(from = -Infinity): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    for (let i = 0; i < this.length; i++) {
      const p = this.slots[(this.start + i) % this.capacity]!;
      if (p.at >= from) out.push(p);
    }
    return out;
  }

  last(): SeriesPoint | undefined {
    return this.length ? this.slots[(this.start + this.length - 1) % this.capacity] : undefined;
  }
}

/** How many points an hour (or `keepMs`) of `stepMs` steps needs, with room for a late tick or two. */
export const ringCapacity = (keepMs: number, stepMs: number): number => Math.ceil(keepMs / stepMs) + 2;

/** Whether a user may see an app's series: by its plan and name. */
export type SeriesVisible = (plan: string, app: string) => boolean;

/** The rings of every app seen in the last `keepMs`, by series id; an app gone from the plans is dropped once its last point is older. */
export class SeriesStore {
  private readonly rings = new Map<string, { plan: string; app: string; ring: PointRing }>();

  constructor(readonly stepMs: number, readonly keepMs: number) {}

  /** `names`: each id's plan and app */
  add(points: ReadonlyMap<string, SeriesPoint>, names: ReadonlyMap<string, { plan: string; app: string }>, at: number): void {
    for (const [id, p] of points) {
      const name = names.get(id) ?? { plan: '', app: id };
      let entry = this.rings.get(id);
      if (!entry) this.rings.set(id, (entry = { ...name, ring: new PointRing(ringCapacity(this.keepMs, this.stepMs)) }));
      Object.assign(entry, name);
      entry.ring.push(p);
    }
    for (const [id, e] of this.rings) if ((e.ring.last()?.at ?? -Infinity) < at - this.keepMs) this.rings.delete(id);
  }

  view(now: number, visible: SeriesVisible = () => true): AppSeries[] {
    const from = now - this.keepMs;
    return [...this.rings.entries()]
      .filter(([, e]) => visible(e.plan, e.app))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, e]) => ({ id, plan: e.plan, app: e.app, points: e.ring.points(from).map((p) => [p.at, p.rps, p.errors, p.replicas] as SeriesRow) }));
  }
}

/** `[at, rps, errors, replicas]`: compact on the wire (720 points an app). */
export type SeriesRow = [number, number | null, number | null, number | null];

export interface AppSeries {
  /** the app's series id: its name, or plan/app when two plans hold one of that name */
  id: string;
  plan: string;
  app: string;
  points: SeriesRow[];
}

/** A deploy as the chart marks it: when it ended, what kind, how, which plan and apps it changed. */
export interface DeployMark {
  id: string;
  at: number;
  kind: string;
  result: string;
  plan: string;
  apps: string[];
}

/** The deploys that ended inside [from, to] and changed an app, oldest first. */
export function deployMarks(
  records: readonly { id: string; kind: string; plan: string; finishedAt: string; result: string; apps: readonly { app: string; result: string }[] }[],
  from: number, to: number,
): DeployMark[] {
  return records
    .map((r) => ({ id: r.id, at: Date.parse(r.finishedAt), kind: r.kind, result: r.result, plan: r.plan, apps: r.apps.filter((a) => a.result !== 'unchanged').map((a) => a.app) }))
    .filter((m) => Number.isFinite(m.at) && m.at >= from && m.at <= to && m.apps.length > 0)
    .sort((a, b) => a.at - b.at);
}
