import type { EventStream, NodeEngines } from '../adapters/docker.js';
import type { LogStream } from '../adapters/docker/log-stream.js';
import type { NodeRef } from '../adapters/nodes.js';
import { messageOf } from '../errors.js';
import type { CloudContainer } from '../model/cloud-container.js';
import { timeNs, type AppLogLine, type TimedLine } from '../model/logs/lines.js';
import { ReorderBuffer } from '../model/logs/merge.js';
import { targetLabels, type AppTarget } from './replicas.js';

export interface LogSink {
  line(line: AppLogLine): void;
  /** what the reader should know besides the lines: a node lost or back, a replica that came */
  note(message: string): void;
}

export interface FollowOptions {
  since?: number;
  tail?: number | 'all';
  /** how long a line waits for earlier lines of other replicas (default 300 ms) */
  orderWindowMs?: number;
  /** first wait before a lost node is tried again; doubles up to 30 s (default 2 s) */
  retryMs?: number;
}

interface Followed {
  node: string;
  name: string;
  stream: LogStream | null;
  /** the last line's time, to go on from there when the container starts again or its node comes back */
  lastNs: bigint;
}

interface NodeWatch {
  ref: NodeRef;
  events: EventStream | null;
  lost: boolean;
  retry: NodeJS.Timeout | null;
  backoffMs: number;
}

const MAX_RETRY_MS = 30_000;
const toSince = (ns: bigint): number => Number(ns / 1000n) / 1e6;

/**
 * Follows an app's replicas on the given nodes until `signal` aborts: each container's log
 * stream, plus each node's container start events (so that replicas a deploy starts are
 * followed as they come). A node that stops answering (its event stream's heartbeat ping or a
 * log stream's fails, each within the engine's deadlines) is reported, its streams closed, and
 * tried again with a backoff; when it answers, its replicas go on from their last line.
 */
export class LogFollower {
  private readonly buffer: ReorderBuffer<AppLogLine>;
  private readonly followed = new Map<string, Followed>();
  private readonly watches = new Map<string, NodeWatch>();
  private flushTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly engines: NodeEngines,
    private readonly target: AppTarget,
    private readonly sink: LogSink,
    private readonly redact: (text: string) => string,
    private readonly opts: FollowOptions = {},
  ) {
    this.buffer = new ReorderBuffer(opts.orderWindowMs ?? 300);
  }

  /**
   * Runs until `signal` aborts; `initial` are the containers listed at the start (their logs
   * from --since/--tail), `unreachable` the nodes that did not answer that listing (`quiet`: said
   * already, tried again without a note).
   */
  async run(nodes: readonly NodeRef[], initial: readonly CloudContainer[], unreachable: readonly { node: string; message: string; quiet?: boolean }[], signal: AbortSignal): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    for (const ref of nodes) this.watches.set(ref.name, { ref, events: null, lost: false, retry: null, backoffMs: this.opts.retryMs ?? 2000 });
    await Promise.all(
      nodes.map(async (ref) => {
        const u = unreachable.find((x) => x.node === ref.name);
        const failed = u ? u.message : await this.attach(ref.name, initial.filter((c) => c.node === ref.name));
        if (failed !== null) this.lose(ref.name, failed, u?.quiet === true);
      }),
    );
    await stopped;
    this.stop();
  }

  private watch(node: string): NodeWatch {
    return this.watches.get(node)!;
  }

  /**
   * Events first, then the listing: a replica that starts in between is in one or the other.
   * Says why when the node did not answer (null when it did).
   */
  private async attach(node: string, listed: readonly CloudContainer[] | null): Promise<string | null> {
    const w = this.watch(node);
    const engine = this.engines.get(w.ref);
    let events: EventStream;
    let containers: { id: string; name: string }[];
    try {
      events = await engine.events({ type: ['container'], event: ['start'], label: targetLabels(this.target) });
      try {
        containers = listed
          ? listed.map((c) => ({ id: c.id, name: c.name }))
          : (await engine.listContainers({ all: true, filters: { label: targetLabels(this.target) } })).map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, '') }));
      } catch (err) {
        events.close();
        throw err;
      }
    } catch (err) {
      return messageOf(err);
    }
    if (this.stopped) {
      events.close();
      return null;
    }
    const wasLost = w.lost;
    w.events = events;
    w.lost = false;
    w.backoffMs = this.opts.retryMs ?? 2000;
    events.on('event', (e) => {
      const id = e.Actor?.ID ?? e.id;
      if (e.Action !== 'start' || !id) return;
      const name = e.Actor?.Attributes?.name ?? id.slice(0, 12);
      if (!this.followed.has(id)) this.sink.note(`${node}/${name} started: following it`);
      void this.open(node, id, name, false);
    });
    events.on('end', (why) => {
      if (w.events === events) this.lose(node, `its event stream ${why}`);
    });
    if (wasLost) this.sink.note(`${node}: answering again; following its replicas from their last line`);
    await Promise.all(containers.map((c) => this.open(node, c.id, c.name, listed !== null)));
    return null;
  }

  /** Starts following one container: from --since/--tail when listed at the start, else from its last line seen (or its first). */
  private async open(node: string, id: string, name: string, initial: boolean): Promise<void> {
    const known = this.followed.get(id);
    if (this.stopped || known?.stream || this.watch(node).lost) return;
    const f: Followed = known ?? { node, name, stream: null, lastNs: -1n };
    this.followed.set(id, f);
    const since = f.lastNs >= 0n ? toSince(f.lastNs) : this.opts.since;
    const tail = initial ? this.opts.tail : undefined;
    let stream: LogStream | null = null;
    let ended = false;
    // A placeholder while opening, so that a start event and a listing do not open it twice.
    const opening: LogStream = { close: () => undefined };
    f.stream = opening;
    try {
      stream = await this.engines.get(this.watch(node).ref).streamLogs(id, { follow: true, since, tail }, {
        line: (l) => this.take(f, l),
        end: (err) => {
          ended = true;
          if (f.stream === stream || f.stream === opening) f.stream = null;
          if (err && !this.stopped) this.lose(node, `${name}: ${messageOf(err)}`);
        },
      });
    } catch (err) {
      if (f.stream === opening) f.stream = null;
      return this.lose(node, `${name}: ${messageOf(err)}`);
    }
    // Gone meanwhile (removed, or its whole log already read), lost, or stopped:
    if (stream === null || ended || f.stream !== opening || this.stopped) {
      if (f.stream === opening) f.stream = null;
      return void stream?.close();
    }
    f.stream = stream;
  }

  private take(f: Followed, l: TimedLine): void {
    const ns = timeNs(l.time);
    // Reopened from its last line: Docker's since includes that line's time itself.
    if (ns >= 0n && ns <= f.lastNs) return;
    if (ns >= 0n) f.lastNs = ns;
    this.buffer.push({ ...l, text: this.redact(l.text), node: f.node, container: f.name });
    this.schedule();
  }

  private schedule(): void {
    if (this.flushTimer || this.stopped) return;
    const due = this.buffer.nextDueIn();
    if (due === null) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      for (const l of this.buffer.take()) this.sink.line(l);
      this.schedule();
    }, due);
  }

  /** A node that failed: said once (unless `quiet`), its streams closed, tried again later. */
  private lose(node: string, why: string, quiet = false): void {
    const w = this.watch(node);
    if (this.stopped || w.lost) return;
    w.lost = true;
    w.events?.close();
    w.events = null;
    for (const f of this.followed.values()) {
      if (f.node !== node || !f.stream) continue;
      f.stream.close();
      f.stream = null;
    }
    if (!quiet) this.sink.note(`${node}: not following it: ${why}; its replicas' lines stop here; trying again in ${Math.round(w.backoffMs / 1000)} s`);
    this.retry(node);
  }

  /** Tried again after a backoff, quietly until it answers. */
  private retry(node: string): void {
    const w = this.watch(node);
    w.retry = setTimeout(async () => {
      w.retry = null;
      if (this.stopped) return;
      if ((await this.attach(node, null)) === null || this.stopped) return;
      w.backoffMs = Math.min(w.backoffMs * 2, MAX_RETRY_MS);
      this.retry(node);
    }, w.backoffMs);
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const w of this.watches.values()) {
      if (w.retry) clearTimeout(w.retry);
      w.events?.close();
    }
    for (const f of this.followed.values()) f.stream?.close();
    for (const l of this.buffer.drain()) this.sink.line(l);
  }
}

