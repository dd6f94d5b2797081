import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo, ImageInfo, ImageInspectInfo } from 'dockerode';
import { EnvError } from '../../errors.js';
import type { ProgressEvent } from '../../model/progress-events.js';
import { demuxLogs } from './demux.js';
import { HijackedExec, startHijacked, type ExecAttach, type ExecOptions, type ExecState, type TerminalSize } from './exec.js';
import { DockerLogStream, openLogs, type LogHandlers, type LogOptions, type LogStream } from './log-stream.js';
import { followProgress } from './progress.js';
import { Slots } from './slots.js';

/** How long Docker may take before cloudmatrix gives up on a node (config `timeouts`, in ms). */
export interface EngineDeadlines {
  /** one ordinary Engine API call: ping, list, inspect, create, start, remove, tag, logs */
  callMs: number;
  /** a pull or push that reports no progress for this long is dropped */
  idleMs: number;
  /** a pull or push, start to end */
  transferMs: number;
  /** an event stream is checked with a ping this often; a missed ping drops it */
  heartbeatMs: number;
  /**
   * a create, start, stop or remove on a node whose dockerd still answers (a ping) may take this
   * long: a busy daemon is not a hung one (absent: callMs, no patience)
   */
  busyMs?: number;
}

export const DEFAULT_DEADLINES: EngineDeadlines = { callMs: 10_000, idleMs: 60_000, transferMs: 600_000, heartbeatMs: 10_000, busyMs: 120_000 };

/** Container creates, starts and removes in flight on one node at once; a call's deadline starts when it is sent. */
export const LIFECYCLE_SLOTS = 4;

/** A Docker call that got no answer in time: the node's daemon (or the way to it) is hung. */
export class DeadlineError extends EnvError {
  constructor(readonly node: string, what: string, ms: number, busy = false) {
    super(
      busy
        ? `${node}: docker ${what}: no answer within ${seconds(ms)} (the node's dockerd answers pings but not this call)`
        : `${node}: docker ${what}: no answer within ${seconds(ms)} (the node's dockerd or its SSH link is not answering)`,
    );
    this.name = 'DeadlineError';
  }
}

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
export const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number } | null)?.statusCode;

export interface VolumeRow {
  name: string;
  labels: Record<string, string>;
  createdAt: string;
}

export interface ListFilters {
  all?: boolean;
  filters?: Record<string, string[]>;
}

export interface EventStream {
  /** one decoded event per call (Docker's JSON events) */
  on(event: 'event', cb: (e: DockerEvent) => void): EventStream;
  /** the stream is gone (ended, failed, a missed heartbeat); called once */
  on(event: 'end', cb: (why: string) => void): EventStream;
  close(): void;
}

export interface DockerEvent {
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  id?: string;
  time?: number;
}

/**
 * Everything cloudmatrix asks of one Docker daemon (a node's over SSH, or the manager's own).
 * Every call has a deadline that fires on a hung daemon; Docker's "not found" and "not modified"
 * answers are results, not errors, where the caller wants them so.
 */
export interface NodeEngine {
  readonly node: string;
  ping(): Promise<void>;
  listContainers(opts?: ListFilters): Promise<ContainerInfo[]>;
  /** null when there is no such container */
  inspectContainer(id: string): Promise<ContainerInspectInfo | null>;
  createContainer(spec: ContainerCreateOptions): Promise<string>;
  /** already running is fine */
  startContainer(id: string): Promise<void>;
  /** waits up to graceSeconds for the container to exit; gone or already stopped is fine */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** forced; gone is fine */
  removeContainer(id: string): Promise<void>;
  /** the last lines it wrote (stdout and stderr), as text */
  logs(id: string, tail: number): Promise<string>;
  events(filters: Record<string, string[]>): Promise<EventStream>;
  /**
   * A container's log as lines (null: no such container). Opening has the call deadline; then,
   * following, the node is pinged every heartbeatMs and a missed ping cuts the stream; reading
   * what is there, no bytes for callMs cuts it.
   */
  streamLogs(id: string, opts: LogOptions, handlers: LogHandlers): Promise<LogStream | null>;
  /** an exec in a running container (Docker answers 409 when it is not running) */
  createExec(id: string, opts: ExecOptions): Promise<string>;
  /** the exec started and attached: the call deadline runs until Docker switched protocols; the attached connection has none */
  startExec(execId: string, opts: { tty: boolean; stdin: boolean }): Promise<ExecAttach>;
  inspectExec(execId: string): Promise<ExecState>;
  resizeExec(execId: string, size: TerminalSize): Promise<void>;
  /** the daemon's memory (bytes) and CPUs (NanoCpus), from docker info */
  capacity(): Promise<{ memory: number; nanoCpus: number }>;
  /**
   * Runs argv inside a running container, detached, and waits up to `ms` for it to end: its exit
   * code, or null when it still ran at the deadline (a hung daemon is a DeadlineError as usual).
   */
  execCheck(id: string, cmd: string[], ms: number): Promise<number | null>;
  /** null when the daemon has no such image */
  inspectImage(ref: string): Promise<ImageInspectInfo | null>;
  listImages(filters?: Record<string, string[]>): Promise<ImageInfo[]>;
  /** not forced: 'in-use' when a container uses it (Docker's 409), 'gone' when it was not there */
  removeImage(id: string): Promise<'removed' | 'in-use' | 'gone'>;
  pullImage(repo: string, tag: string, auth: Record<string, string>, onEvent: (e: ProgressEvent) => void): Promise<void>;
  pushImage(repo: string, tag: string, auth: Record<string, string>, onEvent: (e: ProgressEvent) => void): Promise<void>;
  buildImage(context: Readable, opts: Record<string, unknown>, onEvent: (e: ProgressEvent) => void): Promise<void>;
  tagImage(ref: string, repo: string, tag: string): Promise<void>;
  /** creates a named volume with these labels; one that exists already is fine (its labels stay) */
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  listVolumes(filters?: Record<string, string[]>): Promise<VolumeRow[]>;
  /** gone is fine; in use by a container is an error (409) */
  removeVolume(name: string): Promise<void>;
  /** each volume's size in bytes, from docker system df (-1 when Docker does not know) */
  volumeSizes(): Promise<Map<string, number>>;
  /** a tar of `path` in the container (running or not), given to `sink` as it streams; the whole transfer has its deadline */
  getArchive(id: string, path: string, sink: (tar: Readable) => Promise<void>): Promise<void>;
  /** extracts a tar into `path` of the container (running or not) */
  putArchive(id: string, path: string, tar: () => Readable): Promise<void>;
  close(): void;
}

/** NodeEngine over dockerode; `onClose` releases the transport (the pooled SSH connection). */
export class DockerEngine implements NodeEngine {
  /** while set, calls fail at once: the node missed a deadline and is unreachable for a while */
  private downUntil = 0;
  private downError: DeadlineError | null = null;
  private readonly lifecycle = new Slots(LIFECYCLE_SLOTS);
  /** when the node's dockerd last answered anything (a result or an HTTP error) */
  private lastAnswer = 0;
  /** the ping in flight that tells a busy daemon from a hung one, shared by the calls that ask */
  private probing: Promise<boolean> | null = null;

  constructor(
    readonly node: string,
    private readonly docker: Docker,
    private readonly deadlines: EngineDeadlines = DEFAULT_DEADLINES,
    private readonly onClose: () => void = () => undefined,
  ) {}

  /**
   * Runs one call with an AbortSignal that fires at the deadline; a missed deadline marks the node
   * down. The deadline settles the call itself: a request whose transport never closes after the
   * abort (an SSH channel whose peer does not answer the close) must not hold the caller forever.
   *
   * A `patient` call (create, start, stop, remove) that reaches its deadline on a node whose dockerd
   * still answers, another call within the deadline or a ping now, gets another deadline, up to
   * `busyMs` in all: dockerd serialises much of a start, and a busy daemon is not a hung one.
   */
  private async call<T>(what: string, run: (signal: AbortSignal) => Promise<T>, ms = this.deadlines.callMs, patient = false): Promise<T> {
    if (this.downError && Date.now() < this.downUntil) throw this.downError;
    const ctl = new AbortController();
    const t0 = Date.now();
    const busyMs = patient ? (this.deadlines.busyMs ?? ms) : ms;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const running = run(ctl.signal).then(
      (value) => ((this.lastAnswer = Date.now()), value),
      (err: unknown) => {
        if (statusOf(err) !== undefined) this.lastAnswer = Date.now();
        throw err;
      },
    );
    running.catch(() => undefined);
    const deadline = new Promise<never>((_, reject) => {
      const expire = async () => {
        const left = patient ? busyMs - (Date.now() - t0) : 0;
        const alive = left > 0 && (await this.alive(ms));
        if (done) return;
        if (alive) {
          timer = setTimeout(() => void expire(), Math.min(ms, left));
          return;
        }
        ctl.abort();
        reject(busyMs > ms && left <= 0 ? this.markDown(what, busyMs, true) : this.markDown(what, ms));
      };
      timer = setTimeout(() => void expire(), ms);
    });
    deadline.catch(() => undefined);
    try {
      return await Promise.race([running, deadline]);
    } catch (err) {
      if (ctl.signal.aborted) throw this.downError ?? this.markDown(what, ms);
      throw err;
    } finally {
      done = true;
      clearTimeout(timer);
    }
  }

  /** Whether the node's dockerd answers: it answered within `ms`, or answers a ping within `ms` now. */
  private alive(ms: number): Promise<boolean> {
    if (Date.now() - this.lastAnswer < ms) return Promise.resolve(true);
    this.probing ??= new Promise<boolean>((resolve) => {
      const ctl = new AbortController();
      const timer = setTimeout(() => {
        ctl.abort();
        resolve(false);
      }, ms);
      this.rawPing(ctl.signal).then(
        () => {
          this.lastAnswer = Date.now();
          resolve(true);
        },
        () => resolve(false),
      ).finally(() => clearTimeout(timer));
    }).finally(() => (this.probing = null));
    return this.probing;
  }

  private markDown(what: string, ms: number, busy = false): DeadlineError {
    this.downError = new DeadlineError(this.node, what, ms, busy);
    this.downUntil = Date.now() + Math.max(ms, this.deadlines.callMs);
    return this.downError;
  }

  ping(): Promise<void> {
    return this.call('ping', async (abortSignal) => {
      await this.rawPing(abortSignal);
      this.downError = null;
    });
  }

  /** GET /_ping with dockerode (its typings leave out the abort signal), no deadline of its own. */
  private rawPing(abortSignal: AbortSignal): Promise<unknown> {
    return (this.docker.ping as (o: { abortSignal: AbortSignal }) => Promise<unknown>).call(this.docker, { abortSignal });
  }

  listContainers(opts: ListFilters = {}): Promise<ContainerInfo[]> {
    return this.call('list containers', (abortSignal) => this.docker.listContainers({ ...opts, abortSignal }));
  }

  inspectContainer(id: string): Promise<ContainerInspectInfo | null> {
    return this.call(`inspect ${id.slice(0, 12)}`, async (abortSignal) => {
      try {
        return await this.docker.getContainer(id).inspect({ abortSignal });
      } catch (err) {
        if (statusOf(err) === 404) return null;
        throw err;
      }
    });
  }

  createContainer(spec: ContainerCreateOptions): Promise<string> {
    return this.lifecycle.run(() =>
      this.call(`create ${spec.name ?? 'container'}`, async (abortSignal) => (await this.docker.createContainer({ ...spec, abortSignal })).id, undefined, true),
    );
  }

  startContainer(id: string): Promise<void> {
    return this.lifecycle.run(() =>
      this.call(`start ${id.slice(0, 12)}`, async (abortSignal) => {
        try {
          await this.docker.getContainer(id).start({ abortSignal });
        } catch (err) {
          if (statusOf(err) !== 304) throw err;
        }
      }, undefined, true),
    );
  }

  stopContainer(id: string, graceSeconds: number): Promise<void> {
    return this.call(
      `stop ${id.slice(0, 12)}`,
      async (abortSignal) => {
        try {
          await this.docker.getContainer(id).stop({ t: graceSeconds, abortSignal });
        } catch (err) {
          if (statusOf(err) !== 304 && statusOf(err) !== 404) throw err;
        }
      },
      graceSeconds * 1000 + this.deadlines.callMs,
      true,
    );
  }

  removeContainer(id: string): Promise<void> {
    return this.lifecycle.run(() =>
      this.call(`remove ${id.slice(0, 12)}`, async (abortSignal) => {
        try {
          await this.docker.getContainer(id).remove({ force: true, abortSignal });
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
      }, undefined, true),
    );
  }

  logs(id: string, tail: number): Promise<string> {
    return this.call(`logs ${id.slice(0, 12)}`, async (abortSignal) => {
      const buf = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false, abortSignal })) as unknown;
      return demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    });
  }

  async events(filters: Record<string, string[]>): Promise<EventStream> {
    const stream = (await this.call('events', (abortSignal) => this.docker.getEvents({ filters, abortSignal }))) as unknown as Readable;
    return new HeartbeatEvents(stream, () => this.ping(), this.deadlines.heartbeatMs);
  }

  capacity(): Promise<{ memory: number; nanoCpus: number }> {
    return this.call('info', async (abortSignal) => {
      const info = (await (this.docker.info as (o: { abortSignal: AbortSignal }) => Promise<{ MemTotal?: number; NCPU?: number }>).call(this.docker, { abortSignal }));
      if (!(Number(info.MemTotal) > 0) || !(Number(info.NCPU) > 0)) throw new EnvError(`${this.node}: docker info gave no MemTotal or NCPU`);
      return { memory: Number(info.MemTotal), nanoCpus: Number(info.NCPU) * 1e9 };
    });
  }

  async execCheck(id: string, cmd: string[], ms: number): Promise<number | null> {
    const until = Date.now() + ms;
    const execId = await this.call(`exec in ${id.slice(0, 12)}`, async (abortSignal) => {
      const exec = await this.docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: false, AttachStderr: false, abortSignal } as Docker.ExecCreateOptions);
      await exec.start({ Detach: true, abortSignal } as Docker.ExecStartOptions);
      return exec.id;
    });
    for (;;) {
      const state = await this.call(`inspect exec ${execId.slice(0, 12)}`, (abortSignal) => this.docker.getExec(execId).inspect({ abortSignal }));
      if (!state.Running) return state.ExitCode ?? null;
      if (Date.now() >= until) return null;
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(0, until - Date.now()))));
    }
  }

  async streamLogs(id: string, opts: LogOptions, handlers: LogHandlers): Promise<LogStream | null> {
    const what = `logs ${id.slice(0, 12)}`;
    const res = await this.call(what, async (abortSignal) => {
      try {
        return await openLogs(this.docker, id, opts, abortSignal);
      } catch (err) {
        if (statusOf(err) === 404) return null;
        throw err;
      }
    });
    if (!res) return null;
    const { callMs, heartbeatMs } = this.deadlines;
    return new DockerLogStream(
      this.docker,
      res,
      opts.follow
        ? { kind: 'heartbeat', everyMs: heartbeatMs, ping: () => this.ping() }
        : { kind: 'idle', ms: callMs, onIdle: () => this.markDown(`${what} (no data)`, callMs) },
      handlers,
    );
  }

  createExec(id: string, opts: ExecOptions): Promise<string> {
    return this.call(`exec in ${id.slice(0, 12)}`, async (abortSignal) => {
      const exec = await this.docker.getContainer(id).exec({
        Cmd: opts.cmd, AttachStdin: opts.stdin, AttachStdout: true, AttachStderr: true, Tty: opts.tty,
        // API 1.42+; older daemons ignore it and get the size from resizeExec
        ...(opts.size ? { ConsoleSize: [opts.size.rows, opts.size.cols] } : {}),
        abortSignal,
      } as Docker.ExecCreateOptions);
      return exec.id;
    });
  }

  startExec(execId: string, opts: { tty: boolean; stdin: boolean }): Promise<ExecAttach> {
    return this.call(`start exec ${execId.slice(0, 12)}`, async (abortSignal) =>
      new HijackedExec(this.docker, await startHijacked(this.docker, execId, opts.tty, opts.stdin, abortSignal), opts.tty),
    );
  }

  inspectExec(execId: string): Promise<ExecState> {
    return this.call(`inspect exec ${execId.slice(0, 12)}`, async (abortSignal) => {
      const info = await this.docker.getExec(execId).inspect({ abortSignal });
      return { running: info.Running, exitCode: info.Running ? null : info.ExitCode };
    });
  }

  resizeExec(execId: string, size: TerminalSize): Promise<void> {
    return this.call(`resize exec ${execId.slice(0, 12)}`, async (abortSignal) => {
      await this.docker.getExec(execId).resize({ h: size.rows, w: size.cols, abortSignal });
    });
  }

  inspectImage(ref: string): Promise<ImageInspectInfo | null> {
    return this.call(`inspect image ${ref}`, async (abortSignal) => {
      try {
        const image = this.docker.getImage(ref);
        return await (image.inspect as (o: { abortSignal: AbortSignal }) => Promise<ImageInspectInfo>).call(image, { abortSignal });
      } catch (err) {
        if (statusOf(err) === 404) return null;
        throw err;
      }
    });
  }

  listImages(filters: Record<string, string[]> = {}): Promise<ImageInfo[]> {
    return this.call('list images', (abortSignal) => this.docker.listImages({ filters, abortSignal }));
  }

  removeImage(id: string): Promise<'removed' | 'in-use' | 'gone'> {
    return this.call(`remove image ${id.slice(0, 19)}`, async (abortSignal) => {
      try {
        const image = this.docker.getImage(id);
        await (image.remove as (o: { abortSignal: AbortSignal }) => Promise<unknown>).call(image, { abortSignal });
        return 'removed';
      } catch (err) {
        if (statusOf(err) === 404) return 'gone';
        if (statusOf(err) === 409) return 'in-use';
        throw err;
      }
    });
  }

  pullImage(repo: string, tag: string, auth: Record<string, string>, onEvent: (e: ProgressEvent) => void): Promise<void> {
    return this.transfer(`pull ${repo}`, onEvent, (abortSignal) =>
      this.docker.createImage(auth, { fromImage: repo, tag, abortSignal }) as Promise<NodeJS.ReadableStream>,
    );
  }

  pushImage(repo: string, tag: string, auth: Record<string, string>, onEvent: (e: ProgressEvent) => void): Promise<void> {
    return this.transfer(`push ${repo}:${tag}`, onEvent, (abortSignal) =>
      this.docker.getImage(repo).push({ tag, authconfig: auth, abortSignal }) as Promise<NodeJS.ReadableStream>,
    );
  }

  buildImage(context: Readable, opts: Record<string, unknown>, onEvent: (e: ProgressEvent) => void): Promise<void> {
    // A build step may be silent for long (a RUN compiling); only the whole build has a deadline.
    return this.transfer('build', onEvent, (abortSignal) => this.docker.buildImage(context, { ...opts, abortSignal }) as Promise<NodeJS.ReadableStream>, false);
  }

  createVolume(name: string, labels: Record<string, string>): Promise<void> {
    return this.call(`create volume ${name}`, async (abortSignal) => {
      await this.docker.createVolume({ Name: name, Labels: labels, abortSignal } as Docker.VolumeCreateOptions);
    });
  }

  listVolumes(filters: Record<string, string[]> = {}): Promise<VolumeRow[]> {
    return this.call('list volumes', async (abortSignal) => {
      const r = await this.docker.listVolumes({ filters, abortSignal } as { filters: Record<string, string[]> });
      return (r.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {}, createdAt: (v as { CreatedAt?: string }).CreatedAt ?? '' }));
    });
  }

  removeVolume(name: string): Promise<void> {
    return this.call(`remove volume ${name}`, async (abortSignal) => {
      try {
        await this.docker.getVolume(name).remove({ abortSignal });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    });
  }

  volumeSizes(): Promise<Map<string, number>> {
    return this.call('system df', async (abortSignal) => {
      const df = (await (this.docker.df as (o: { abortSignal: AbortSignal }) => Promise<{ Volumes?: { Name: string; UsageData?: { Size?: number } }[] }>).call(this.docker, { abortSignal }));
      return new Map((df.Volumes ?? []).map((v) => [v.Name, v.UsageData?.Size ?? -1]));
    }, this.deadlines.transferMs);
  }

  getArchive(id: string, path: string, sink: (tar: Readable) => Promise<void>): Promise<void> {
    return this.call(`archive ${path} of ${id.slice(0, 12)}`, async (abortSignal) => {
      const stream = (await this.docker.getContainer(id).getArchive({ path, abortSignal } as { path: string })) as unknown as Readable;
      const onAbort = () => stream.destroy(new Error('aborted'));
      abortSignal.addEventListener('abort', onAbort);
      try {
        await sink(stream);
      } finally {
        abortSignal.removeEventListener('abort', onAbort);
      }
    }, this.deadlines.transferMs);
  }

  putArchive(id: string, path: string, tar: () => Readable): Promise<void> {
    return this.call(`extract into ${path} of ${id.slice(0, 12)}`, async (abortSignal) => {
      const res = (await this.docker.getContainer(id).putArchive(tar(), { path, abortSignal } as { path: string })) as unknown;
      // Docker answers once it extracted everything; the answer's body is empty, drained so the channel closes.
      (res as { resume?: () => void } | null)?.resume?.();
    }, this.deadlines.transferMs);
  }

  tagImage(ref: string, repo: string, tag: string): Promise<void> {
    return this.call(`tag ${ref}`, async (abortSignal) => {
      await this.docker.getImage(ref).tag({ repo, tag, abortSignal });
    });
  }

  /** A streamed transfer: the whole has `transferMs`, and (when `idle`) each gap between events `idleMs`. */
  private async transfer(
    what: string, onEvent: (e: ProgressEvent) => void, open: (signal: AbortSignal) => Promise<NodeJS.ReadableStream>, idle = true,
  ): Promise<void> {
    const { idleMs, transferMs } = this.deadlines;
    let lastEvent = Date.now();
    const ctl = new AbortController();
    let why: DeadlineError | null = null;
    const total = setTimeout(() => {
      why = new DeadlineError(this.node, `${what} (whole transfer)`, transferMs);
      ctl.abort();
    }, transferMs);
    const idler = idle
      ? setInterval(() => {
          if (Date.now() - lastEvent < idleMs) return;
          why = new DeadlineError(this.node, `${what} (no progress)`, idleMs);
          ctl.abort();
        }, Math.min(1000, idleMs))
      : null;
    let stream: NodeJS.ReadableStream | null = null;
    const onAbort = () => (stream as Readable | null)?.destroy(why ?? undefined);
    ctl.signal.addEventListener('abort', onAbort);
    try {
      stream = await open(ctl.signal);
      await followProgress(stream, (e) => {
        lastEvent = Date.now();
        onEvent(e);
      });
      if (ctl.signal.aborted) throw why ?? new DeadlineError(this.node, what, transferMs);
    } catch (err) {
      if (why) throw why;
      throw err;
    } finally {
      clearTimeout(total);
      if (idler) clearInterval(idler);
      ctl.signal.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    this.onClose();
  }
}

/**
 * Docker's event stream says nothing while nothing happens, so silence proves nothing: a ping
 * every `everyMs` over the same transport does. A missed ping (or the stream's own end or
 * error) ends it, once.
 */
class HeartbeatEvents implements EventStream {
  private readonly onEvent: ((e: DockerEvent) => void)[] = [];
  private readonly onEnd: ((why: string) => void)[] = [];
  private ended = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly stream: Readable, ping: () => Promise<void>, everyMs: number) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) this.decode(line);
    });
    stream.once('error', (err: Error) => this.end(`failed: ${err.message}`));
    stream.once('end', () => this.end('ended'));
    stream.once('close', () => this.end('closed'));
    let inFlight = false;
    this.timer = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      ping().then(
        () => (inFlight = false),
        (err: Error) => {
          inFlight = false;
          this.end(`failed its heartbeat: ${err.message}`);
        },
      );
    }, everyMs);
    this.timer.unref();
  }

  private decode(line: string): void {
    if (!line.trim()) return;
    let e: DockerEvent;
    try {
      e = JSON.parse(line) as DockerEvent;
    } catch {
      return;
    }
    for (const cb of this.onEvent) cb(e);
  }

  on(event: 'event' | 'end', cb: ((e: DockerEvent) => void) | ((why: string) => void)): EventStream {
    if (event === 'event') this.onEvent.push(cb as (e: DockerEvent) => void);
    else this.onEnd.push(cb as (why: string) => void);
    return this;
  }

  private end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    this.stream.destroy();
    for (const cb of this.onEnd) cb(why);
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    this.stream.destroy();
  }
}
