import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvError, UserError } from '../errors.js';
import { checkCcCommand, hasJson, parseVarnishVersion, refusesJson, type ListCommand, type VarnishVersion } from './varnish/version.js';
import { parsePlainBackendList, parsePlainVclList } from './varnish/plain.js';
import { prepareApp, reloadSplit, type SplitResult } from './varnish/split.js';
import { atLeast } from './varnish/version.js';
import type { AppVcl, SplitVcl } from '../model/vcl-split.js';
import { APP, leftovers, TOP } from '../model/vcl-switch.js';

export { checkCcCommand, hasJson, parseVarnishVersion, refusesJson, type VarnishVersion } from './varnish/version.js';
export { parsePlainBackendList, parsePlainVclList } from './varnish/plain.js';
export type { SplitResult } from './varnish/split.js';

export type VclError = { line: number; column: number; message: string; text: string };
export type CompileResult = { ok: boolean; errors: VclError[] };
/** A label (state "label") names its VCL in `label` and how many VCLs `return (vcl())` to it in `refs`; a labelled VCL has `labels`. */
export type VclInfo = { name: string; status: string; state: string; temperature: string; busy: number; label?: string; refs?: number; labels?: number };
export type BackendInfo = {
  vcl: string;
  name: string;
  type: string;
  admin: string;
  healthy: boolean;
  probe: { good: number; window: number } | null;
};
export type ReloadResult = { changed: boolean; name: string; previous?: string; discarded: string[]; warnings: string[] };

/** The varnish admin operations cloudmatrix needs; one implementation speaks the CLI protocol. */
export interface VarnishAdmin {
  vclInline(name: string, vcl: string): Promise<void>;
  vclUse(name: string): Promise<void>;
  vclDiscard(name: string): Promise<void>;
  vclList(): Promise<VclInfo[]>;
  backendList(pattern?: string): Promise<BackendInfo[]>;
  close(): void;
}

export interface Varnish extends VarnishAdmin {
  compileCheck(vcl: string): Promise<CompileResult>;
  reload(vcl: string): Promise<ReloadResult>;
  rollback(): Promise<string>;
  /** Varnish 5.0+: `vcl.label` and `return (vcl(LABEL))`, so routing can be one VCL per app. */
  supportsLabels(): Promise<boolean>;
  /**
   * Switches to one VCL per app under labels and a dispatch VCL (Varnish 5.0+; see varnish/split.ts);
   * `keep`: app VCLs compiled ahead for switches to come, not discarded as leftovers.
   */
  reloadSplit(split: SplitVcl, keep?: ReadonlySet<string>): Promise<SplitResult>;
  /** Compiles one app's VCL ahead of its switch (labels: 5.0+); its name, and whether it was compiled now. */
  prepareApp(app: AppVcl): Promise<{ name: string; loaded: boolean }>;
  vclLabel(label: string, name: string): Promise<void>;
}

export type VarnishOptions = {
  admin: string;
  secretFile?: string;
  varnishd?: string;
  /** Run `varnishd -C` before vcl.inline (errors before touching Varnish; one more compile, at -O0). */
  precheck?: boolean;
  /** cc_command for the pre-check; null keeps varnishd's default; absent: the fast one for its version. */
  checkCcCommand?: string | null;
  timeoutMs?: number;
};

export function createVarnish(opts: VarnishOptions): Varnish {
  const admin = new VarnishCli(opts);
  const check = (vcl: string) => compileCheck(vcl, { varnishd: opts.varnishd, ccCommand: opts.checkCcCommand });
  return Object.assign(admin, {
    compileCheck: check,
    reload: (vcl: string) => reload(admin, vcl, { compile: opts.precheck === false ? undefined : check }),
    rollback: () => rollback(admin),
    reloadSplit: (split: SplitVcl, keep?: ReadonlySet<string>) => reloadSplit(admin, split, { keep }),
    prepareApp: (app: AppVcl) => prepareApp(admin, app),
  });
}

/** Varnish rejected the VCL; the message names the VCL line. */
export class VclCompileError extends UserError {
  constructor(readonly errors: VclError[], raw = '') {
    super(formatVclErrors(errors, raw));
    this.name = 'VclCompileError';
  }
}

export function formatVclErrors(errors: VclError[], raw = ''): string {
  if (errors.length === 0) return `VCL does not compile: ${raw.trim().split('\n').slice(0, 6).join(' / ') || 'unknown error'}`;
  const one = (e: VclError) => (e.line > 0 ? `line ${e.line}:${e.column}: ${e.message} at: ${e.text.trim()}` : e.message);
  return [`VCL does not compile: ${one(errors[0]!)}`, ...errors.slice(1).map((e) => `  ${one(e)}`)].join('\n');
}

const LOCATION = /\('([^']*)' Line (\d+) Pos (\d+)\)/;
const NOT_A_MESSAGE = /^(Could not delete|Running VCC-compiler failed|VCL compilation failed|Message from VCC-compiler:|\(program line \d+\), at$|-*#+-*$)/;

/** Maps the compiler's `('file' Line N Pos M)` locations back to the VCL's own lines. */
export function parseVclErrors(output: string, vcl: string): VclError[] {
  const src = vcl.split('\n');
  const lines = output.split('\n').map((l) => l.trim());
  const errors: VclError[] = [];
  lines.forEach((l, i) => {
    const m = LOCATION.exec(l);
    if (!m) return;
    // The message is on the same line ("At: (...)") or the nearest line above that is one.
    let message = l.slice(0, m.index).replace(/^At:\s*/, '').trim();
    for (let j = i - 1; !message && j >= 0; j--) {
      const prev = lines[j]!;
      if (prev && !NOT_A_MESSAGE.test(prev) && !LOCATION.test(prev)) message = prev;
    }
    const line = Number(m[2]);
    errors.push({ line, column: Number(m[3]), message: message || 'error', text: src[line - 1] ?? '' });
  });
  return errors;
}

/** The fast check's cc_command on Varnish 7.1+ (the lab's); older versions get an explicit one (see varnish/version.ts). */
export const CHECK_CC_COMMAND = checkCcCommand({ major: 7, minor: 1, patch: 0, text: '7.1.0' });

const versions = new Map<string, Promise<VarnishVersion | null>>();

/** The version of a varnishd binary (`varnishd -V`), asked once per path; null if it does not say. */
export function varnishdVersion(varnishd = 'varnishd'): Promise<VarnishVersion | null> {
  let v = versions.get(varnishd);
  if (!v) {
    v = run(varnishd, ['-V']).then((r) => parseVarnishVersion(r.stderr));
    versions.set(varnishd, v);
    v.catch(() => versions.delete(varnishd));
  }
  return v;
}

/**
 * `varnishd -C` on a private work dir (4.1 leaves `vcl_*` folders in it): compiles the VCL without
 * touching a running Varnish. The C compiler runs at -O0 with the cc_command its version takes.
 */
export async function compileCheck(vcl: string, opts: { varnishd?: string; ccCommand?: string | null } = {}): Promise<CompileResult> {
  const varnishd = opts.varnishd ?? 'varnishd';
  const cc = opts.ccCommand === undefined ? checkCcCommand(await varnishdVersion(varnishd)) : opts.ccCommand;
  const dir = await mkdtemp(join(tmpdir(), 'cmx-vclc-'));
  try {
    // varnishd run as root reads the file as its unprivileged user.
    await chmod(dir, 0o755);
    const file = join(dir, 'cloudmatrix.vcl');
    await writeFile(file, vcl, { mode: 0o644 });
    const args = [...(cc === null ? [] : ['-p', `cc_command=${cc}`]), '-C', '-n', join(dir, 'n'), '-f', file];
    const { code, stderr } = await run(varnishd, args);
    if (code === 0) return { ok: true, errors: [] };
    const ccFailed = /Message from C-compiler:\n([\s\S]*?)Running C-compiler failed/.exec(stderr);
    if (ccFailed) {
      // Not the VCL's fault: the compiler or the cc_command (e.g. %D before 7.1) is wrong for this varnishd.
      const why = ccFailed[1]!.trim().split('\n').slice(-3).join(' / ');
      throw new EnvError(`${varnishd} -C: the C compiler failed (cc_command ${JSON.stringify(cc ?? 'default')}): ${why}`);
    }
    const errors = parseVclErrors(stderr, vcl);
    const message = stderr.split('\n').filter((l) => l.trim() && !NOT_A_MESSAGE.test(l.trim())).slice(0, 4).join(' / ');
    return { ok: false, errors: errors.length ? errors : [{ line: 0, column: 0, message: message || `${varnishd} -C exited ${code}`, text: '' }] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    // On success varnishd -C prints the whole generated C; only the head of a failure matters.
    // ... and a C compiler's failure is said at the very end: keep the head and a tail.
    let tail = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 256 * 1024) stderr += d.toString('utf8');
      else tail = (tail + d.toString('utf8')).slice(-16 * 1024);
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new EnvError(`${cmd}: not installed (needed to compile-check VCL)`) : err),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stderr: tail ? `${stderr}\n[...]\n${tail}` : stderr }));
  });
}

// ---- The Varnish CLI protocol (varnish-cli(7)): "SSS LLLLLLLL\n" + body + "\n".

export type CliResponse = { status: number; body: string };

export const CLI_OK = 200;
const CLI_TRUNCATED = 201;
const CLI_AUTH = 107;

/** Splits a byte stream into CLI responses. */
export class CliParser {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): CliResponse[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: CliResponse[] = [];
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) break;
      const m = /^(\d{3}) +(\d+) *$/.exec(this.buf.subarray(0, nl).toString('latin1'));
      if (!m) throw new EnvError(`varnish CLI: bad status line ${JSON.stringify(this.buf.subarray(0, Math.min(nl, 40)).toString('latin1'))}`);
      const len = Number(m[2]);
      if (this.buf.length < nl + 1 + len + 1) break;
      out.push({ status: Number(m[1]), body: this.buf.subarray(nl + 1, nl + 1 + len).toString('utf8') });
      this.buf = this.buf.subarray(nl + 1 + len + 1);
    }
    return out;
  }
}

export function cliAuthResponse(challenge: string, secret: Buffer): string {
  const c = Buffer.from(challenge, 'latin1');
  const nl = Buffer.from('\n');
  return createHash('sha256').update(Buffer.concat([c, nl, secret, c, nl])).digest('hex');
}

export function quoteCliArg(s: string): string {
  if (/^[A-Za-z0-9_./:*-]+$/.test(s)) return s;
  const esc = s.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return `"${esc}"`;
}

const VCL_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;
const IDENT_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'];
function vclName(name: string): string {
  if (!VCL_NAME.test(name)) throw new UserError(`"${name}" is not a valid VCL name`);
  return name;
}

/** A varnish admin client over one TCP connection, opened on first use; commands run one at a time. */
export class VarnishCli implements VarnishAdmin {
  private sock: Socket | null = null;
  private waiter: ((r: CliResponse | Error) => void) | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly host: string;
  private readonly port: number;
  /** Per list command: ask with -j? Decided from the banner's version, and by a refusal. */
  private json = new Map<ListCommand, boolean>();
  /** The banner of the last authenticated connection (`varnish-X.Y.Z revision ...` in it). */
  banner = '';
  /** The version the banner names; null before the first command or if it names none. */
  version: VarnishVersion | null = null;

  constructor(private readonly opts: { admin: string; secretFile?: string; timeoutMs?: number }) {
    const i = opts.admin.lastIndexOf(':');
    this.host = opts.admin.slice(0, i).replace(/^\[|\]$/g, '');
    this.port = Number(opts.admin.slice(i + 1));
    if (i <= 0 || !Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      throw new UserError(`varnish.admin: "${opts.admin}" is not host:port`);
    }
  }

  /** Sends one command line (heredoc included) and returns the response, whatever its status. */
  command(line: string, timeoutMs = this.opts.timeoutMs ?? 120_000): Promise<CliResponse> {
    const next = this.queue.then(() => this.exchange(line, timeoutMs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Like command(), but a status other than 200 is an error carrying Varnish's message. */
  async ok(line: string, what: string): Promise<string> {
    const r = await this.command(line);
    if (r.status === CLI_TRUNCATED) throw new EnvError(`varnish ${what}: response truncated; raise varnishd's cli_limit parameter`);
    if (r.status !== CLI_OK) throw new EnvError(`varnish ${what}: ${r.status} ${r.body.trim()}`);
    return r.body;
  }

  async vclInline(name: string, vcl: string): Promise<void> {
    let token = `CMX_EOF_${randomBytes(8).toString('hex')}`;
    while (vcl.split('\n').includes(token)) token += 'X';
    const body = vcl.endsWith('\n') ? vcl : `${vcl}\n`;
    const r = await this.command(`vcl.inline ${vclName(name)} << ${token}\n${body}${token}`);
    if (r.status === 106) throw new VclCompileError(parseVclErrors(r.body, vcl), r.body);
    if (r.status !== CLI_OK) throw new EnvError(`varnish vcl.inline ${name}: ${r.status} ${r.body.trim()}`);
  }

  async vclUse(name: string): Promise<void> {
    await this.ok(`vcl.use ${vclName(name)}`, `vcl.use ${name}`);
  }

  /** `vcl.label LABEL NAME`: creates the label or moves it (Varnish 5.0+). */
  async vclLabel(label: string, name: string): Promise<void> {
    await this.ok(`vcl.label ${vclName(label)} ${vclName(name)}`, `vcl.label ${label} ${name}`);
  }

  async vclDiscard(name: string): Promise<void> {
    await this.ok(`vcl.discard ${vclName(name)}`, `vcl.discard ${name}`);
  }

  async vclList(): Promise<VclInfo[]> {
    const r = await this.listCommand('vcl.list', '');
    if (r.status !== CLI_OK) throw new EnvError(`varnish vcl.list: ${r.status} ${r.body.trim()}`);
    return r.json ? parseVclList(r.body) : parsePlainVclList(r.body);
  }

  /** Backends of the active VCL (or those matching a glob), with health; pages past cli_limit. */
  async backendList(pattern = '*'): Promise<BackendInfo[]> {
    const r = await this.listCommand('backend.list', ` ${quoteCliArg(pattern)}`);
    if (r.status === CLI_TRUNCATED && pattern.endsWith('*') && pattern.length < 128) {
      // cli_limit (48 KB by default) cut the answer: ask again by the next character of the name.
      const stem = pattern.slice(0, -1);
      const out = stem ? await this.backendList(stem) : [];
      // Identifiers start with a letter; a leading "-" would read as a flag.
      for (const c of IDENT_CHARS) if (stem || /[A-Za-z]/.test(c)) out.push(...(await this.backendList(`${stem}${c}*`)));
      return out;
    }
    if (r.status !== CLI_OK) throw new EnvError(`varnish backend.list: ${r.status} ${r.body.trim()}`);
    return r.json ? parseBackendList(r.body) : parsePlainBackendList(r.body);
  }

  /**
   * `vcl.list`/`backend.list` with `-j` where the version has it (see hasJson), in plain text
   * where it does not; a refused `-j` switches that command to plain text too.
   */
  private async listCommand(cmd: ListCommand, args: string): Promise<CliResponse & { json: boolean }> {
    if (!this.sock) await this.command('ping');
    if (!this.json.has(cmd)) this.json.set(cmd, hasJson(this.version, cmd));
    if (this.json.get(cmd)) {
      const r = await this.command(`${cmd} -j${args}`);
      if (!refusesJson(r.status, r.body)) return { ...r, json: true };
      this.json.set(cmd, false);
    }
    return { ...(await this.command(`${cmd}${args}`)), json: false };
  }

  async supportsLabels(): Promise<boolean> {
    if (!this.sock) await this.command('ping');
    return atLeast(this.version, 5, 0);
  }

  close(): void {
    this.sock?.destroy();
    this.sock = null;
  }

  private async exchange(line: string, timeoutMs: number): Promise<CliResponse> {
    if (!this.sock) await this.open(timeoutMs);
    return this.send(`${line}\n`, timeoutMs);
  }

  private send(data: string | null, timeoutMs: number): Promise<CliResponse> {
    const sock = this.sock!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new EnvError(`varnish admin ${this.opts.admin}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (r) => {
        clearTimeout(timer);
        this.waiter = null;
        if (r instanceof Error) reject(r);
        else resolve(r);
      };
      if (data !== null) sock.write(data);
    });
  }

  private fail(err: Error): void {
    this.sock?.destroy();
    this.sock = null;
    this.waiter?.(err);
  }

  private async open(timeoutMs: number): Promise<void> {
    const parser = new CliParser();
    const sock = connect({ host: this.host, port: this.port });
    this.sock = sock;
    sock.on('data', (chunk: Buffer) => {
      try {
        for (const r of parser.push(chunk)) this.waiter?.(r);
      } catch (err) {
        this.fail(err as Error);
      }
    });
    sock.on('error', (err) => this.fail(new EnvError(`varnish admin ${this.opts.admin}: ${err.message}`, { cause: err })));
    sock.on('close', () => {
      if (this.sock === sock) this.fail(new EnvError(`varnish admin ${this.opts.admin}: connection closed`));
    });
    let banner = await this.send(null, timeoutMs);
    if (banner.status === CLI_AUTH) {
      if (!this.opts.secretFile) throw new EnvError(`varnish admin ${this.opts.admin}: asks for a secret; set varnish.secretFile`);
      let secret: Buffer;
      try {
        secret = await readFile(this.opts.secretFile);
      } catch (err) {
        this.close();
        throw new EnvError(`varnish.secretFile: cannot read ${this.opts.secretFile}: ${(err as NodeJS.ErrnoException).code}`);
      }
      const challenge = banner.body.split('\n')[0]!;
      banner = await this.send(`auth ${cliAuthResponse(challenge, secret)}\n`, timeoutMs);
    }
    if (banner.status !== CLI_OK) {
      this.close();
      throw new EnvError(`varnish admin ${this.opts.admin}: authentication failed (status ${banner.status}); check varnish.secretFile`);
    }
    this.banner = banner.body;
    const version = parseVarnishVersion(banner.body);
    // A restarted or another varnishd behind the same port: learn its dialect again.
    if (version?.text !== this.version?.text) this.json.clear();
    this.version = version;
  }
}

function jsonPayload(body: string, what: string): unknown[] {
  try {
    const v = JSON.parse(body) as unknown;
    if (Array.isArray(v)) return v.slice(3);
  } catch {
    // fall through
  }
  throw new EnvError(`varnish ${what}: unexpected answer: ${body.slice(0, 200)}`);
}

export function parseVclList(body: string): VclInfo[] {
  return jsonPayload(body, 'vcl.list -j').map((e) => {
    const o = e as Record<string, unknown>;
    const label = o.label as { name?: unknown; refs?: unknown } | undefined;
    return {
      name: String(o.name),
      status: String(o.status),
      state: String(o.state ?? ''),
      temperature: String(o.temperature ?? ''),
      busy: Number(o.busy ?? 0),
      ...(label && typeof label === 'object' ? { label: String(label.name), refs: Number(label.refs ?? 0) } : {}),
      ...(typeof o.labels === 'number' ? { labels: o.labels } : {}),
    };
  });
}

export function parseBackendList(body: string): BackendInfo[] {
  const [map] = jsonPayload(body, 'backend.list -j') as [Record<string, Record<string, unknown>> | undefined];
  return Object.entries(map ?? {}).map(([full, o]) => {
    const dot = full.indexOf('.');
    const pm = Array.isArray(o.probe_message) ? (o.probe_message as unknown[]) : [];
    const admin = String(o.admin_health ?? '');
    const probeSays = pm[2] === undefined ? true : pm[2] === 'healthy';
    const window = Number(pm[1] ?? 0);
    return {
      vcl: full.slice(0, dot),
      name: full.slice(dot + 1),
      type: String(o.type ?? 'backend'),
      admin,
      healthy: admin === 'healthy' ? true : admin === 'sick' ? false : probeSays,
      probe: window > 0 ? { good: Number(pm[0]), window } : null,
    };
  });
}

// ---- Reload: load under a fresh name, switch, keep the previous one for rollback.

const OURS = /^cmx_(\d+)_([0-9a-f]{8})$/;
export const vclHash8 = (vcl: string): string => createHash('sha256').update(vcl).digest('hex').slice(0, 8);

/**
 * Makes `vcl` the active VCL. No-op when the active VCL carries the same hash; an already
 * loaded copy is reused. A VCL that fails to compile, load or use never replaces the active one.
 * Afterwards only the active and the previous cloudmatrix VCLs stay loaded.
 */
export async function reload(
  admin: VarnishAdmin,
  vcl: string,
  opts: { compile?: (vcl: string) => Promise<CompileResult>; now?: () => number } = {},
): Promise<ReloadResult> {
  const hash = vclHash8(vcl);
  const all = await admin.vclList();
  const before = all.filter((v) => v.status !== 'discarded');
  const active = before.find((v) => v.status === 'active');
  if (active && OURS.exec(active.name)?.[2] === hash) {
    // Unchanged, but a dispatch VCL busy at the last switch may have let go of its labels since.
    const r: ReloadResult = { changed: false, name: active.name, discarded: [], warnings: [] };
    if (hasSplitLeftovers(before)) await dropSplitLeftovers(admin, r);
    return r;
  }

  let name = before.find((v) => v.status !== 'active' && OURS.exec(v.name)?.[2] === hash)?.name;
  if (!name) {
    if (opts.compile) {
      const r = await opts.compile(vcl);
      if (!r.ok) throw new VclCompileError(r.errors);
    }
    let t = (opts.now ?? Date.now)();
    // A discarded VCL still busy with requests keeps its name.
    while (all.some((v) => v.name === `cmx_${t}_${hash}`)) t++;
    name = `cmx_${t}_${hash}`;
    await admin.vclInline(name, vcl);
    try {
      await admin.vclUse(name);
    } catch (err) {
      await admin.vclDiscard(name).catch(() => undefined);
      throw err;
    }
  } else {
    await admin.vclUse(name);
  }

  const result: ReloadResult = { changed: true, name, previous: active?.name, discarded: [], warnings: [] };
  for (const v of before) {
    if (!OURS.test(v.name) || v.name === name || v.name === active?.name) continue;
    try {
      await admin.vclDiscard(v.name);
      result.discarded.push(v.name);
    } catch (err) {
      result.warnings.push(`could not discard ${v.name}: ${(err as Error).message}`);
    }
  }
  if (hasSplitLeftovers(before)) await dropSplitLeftovers(admin, result);
  return result;
}

const hasSplitLeftovers = (list: readonly VclInfo[]): boolean => list.some((v) => v.state === 'label' || TOP.test(v.name) || APP.test(v.name));

/**
 * Back from one VCL per app (labels turned off, or Varnish replaced by 4.1): its dispatch VCLs,
 * then the labels and app VCLs nothing refers to any more. A dispatch VCL discarded while busy
 * holds its labels until its last request ends: the next reload takes them.
 */
async function dropSplitLeftovers(admin: VarnishAdmin, result: ReloadResult): Promise<void> {
  const drop = async (n: string) =>
    admin.vclDiscard(n).then(
      () => void result.discarded.push(n),
      (err: Error) => void result.warnings.push(`could not discard ${n}: ${err.message}`),
    );
  for (const n of leftovers(await admin.vclList(), new Set()).routers.filter((r) => TOP.test(r))) await drop(n);
  const rest = leftovers(await admin.vclList(), new Set());
  for (const n of [...rest.labels, ...rest.apps]) await drop(n);
}

/** Switches back to the newest loaded cloudmatrix VCL that is not active; returns its name. */
export async function rollback(admin: VarnishAdmin): Promise<string> {
  const list = await admin.vclList();
  const prev = list
    .filter((v) => v.status === 'available' && OURS.test(v.name))
    .sort((a, b) => Number(OURS.exec(b.name)![1]) - Number(OURS.exec(a.name)![1]))[0];
  if (!prev) throw new UserError('no previous cloudmatrix VCL is loaded to roll back to');
  await admin.vclUse(prev.name);
  return prev.name;
}
