import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { EnvError } from '../../errors.js';
import { readJson, writeAtomic, writeJson, warnOnStderr, type StoreWarn } from '../store/atomic.js';
import { alive } from '../store/lock.js';

/** What `certs` shows of a host; no key material. */
export interface CertRecord {
  host: string;
  app: string;
  plan: string;
  source: 'acme' | 'manual';
  /** the PEM (chain + key) hitch reads, in its hosts dir and under <stateDir>/tls/certs */
  file: string;
  issuer: string;
  names: string[];
  notBefore: string;
  notAfter: string;
  fingerprint: string;
  installedAt: string;
  lastAttempt?: string;
  lastError?: string;
  /** failed attempts since the last success */
  failures?: number;
}

type Records = Record<string, CertRecord | Pick<CertRecord, 'host' | 'app' | 'plan' | 'source' | 'lastAttempt' | 'lastError' | 'failures'>>;

/**
 * Certificates under `<stateDir>/tls` (0700; keys and PEMs 0600): the ACME account key, one PEM
 * (chain + key) per certificate, `certs.json` describing them; and hitch's copy of each PEM in
 * its hosts dir, which hitch reads at start and on SIGHUP.
 */
export class CertStore {
  readonly dir: string;

  constructor(stateDir: string, readonly hostsDir: string, private readonly hitchPidFile: string, private readonly warn: StoreWarn = warnOnStderr) {
    this.dir = join(stateDir, 'tls');
  }

  private ensureDirs(): void {
    for (const d of [this.dir, join(this.dir, 'certs'), this.hostsDir]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
    }
    chmodSync(this.dir, 0o700);
  }

  private get recordsPath(): string {
    return join(this.dir, 'certs.json');
  }

  records(): Records {
    return readJson<Records>(this.recordsPath, {}, this.warn);
  }

  record(host: string): Records[string] | undefined {
    return this.records()[host];
  }

  private writeRecords(r: Records): void {
    this.ensureDirs();
    writeJson(this.recordsPath, r);
  }

  /** The stored PEM (chain + key) serving `host`, or null. */
  pem(host: string): string | null {
    const rec = this.record(host);
    const file = rec && 'file' in rec ? rec.file : `${host}.pem`;
    const path = join(this.dir, 'certs', file);
    return existsSync(path) ? readFileSync(path, 'utf8') : null;
  }

  /** The ACME account key, made on first use. */
  accountKey(make: () => Promise<Buffer>): Promise<Buffer> {
    const path = join(this.dir, 'account.key');
    if (existsSync(path)) return Promise.resolve(readFileSync(path));
    return make().then((key) => {
      this.ensureDirs();
      writeAtomic(path, key.toString(), 0o600);
      return key;
    });
  }

  /** Stores a PEM (chain + key) as `file` for the given records and puts it in hitch's dir. */
  install(file: string, pem: string, records: CertRecord[]): void {
    this.ensureDirs();
    writeAtomic(join(this.dir, 'certs', file), pem, 0o600);
    writeAtomic(join(this.hostsDir, file), pem, 0o600);
    const all = this.records();
    for (const r of records) all[r.host] = r;
    this.writeRecords(all);
  }

  /** A failed attempt: the certificate that serves stays; the record says what went wrong. */
  failed(host: string, meta: Pick<CertRecord, 'app' | 'plan' | 'source'>, message: string, at: Date): void {
    const all = this.records();
    const prev = all[host];
    all[host] = { ...(prev ?? { host, ...meta }), ...meta, lastAttempt: at.toISOString(), lastError: message, failures: (prev?.failures ?? 0) + 1 };
    this.writeRecords(all);
  }

  /** Forgets hosts and removes their PEMs (from hitch's dir too) when no other host uses them. */
  remove(hosts: string[]): string[] {
    if (hosts.length === 0) return [];
    const all = this.records();
    const files = hosts.flatMap((h) => [`${h}.pem`, ...(all[h] && 'file' in all[h] ? [all[h].file] : [])]);
    for (const h of hosts) delete all[h];
    this.writeRecords(all);
    return this.removeUnused(files);
  }

  /**
   * Deletes these PEMs (named by cloudmatrix, never a scan of the dirs: a corrupt certs.json
   * must not empty hitch's dir) from both dirs when no record names them any more.
   */
  removeUnused(files: readonly string[]): string[] {
    const used = new Set(Object.values(this.records()).flatMap((r) => ('file' in r ? [r.file] : [])));
    const removed: string[] = [];
    for (const f of new Set(files)) {
      if (used.has(f) || !/^[a-z0-9.-]+\.pem$/.test(f)) continue;
      for (const dir of [join(this.dir, 'certs'), this.hostsDir]) {
        if (!existsSync(join(dir, f))) continue;
        unlinkSync(join(dir, f));
        if (dir === this.hostsDir) removed.push(f);
      }
    }
    return removed;
  }

  /** hitch re-reads its certificates on SIGHUP: new connections get them, open ones finish on the old workers. */
  reloadHitch(): number {
    let pid: number;
    try {
      pid = Number(readFileSync(this.hitchPidFile, 'utf8').trim());
    } catch (err) {
      throw new EnvError(`hitch: cannot read its pid file ${this.hitchPidFile} (tls.hitchPidFile): ${(err as Error).message}`);
    }
    if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) throw new EnvError(`hitch is not running (pid file ${this.hitchPidFile})`);
    process.kill(pid, 'SIGHUP');
    return pid;
  }
}

/** The SHA-256 fingerprint of the certificate hitch presents for `host` (SNI), or null when it does not answer. */
export function servedFingerprint(listen: string, host: string, timeoutMs = 2000): Promise<string | null> {
  const i = listen.lastIndexOf(':');
  const addr = listen.slice(0, i).replace(/^\[|\]$/g, '');
  const connectTo = addr === '0.0.0.0' || addr === '' || addr === '*' ? '127.0.0.1' : addr;
  return new Promise((resolve) => {
    const sock = connect({ host: connectTo, port: Number(listen.slice(i + 1)), servername: host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const done = (fp: string | null) => {
      sock.destroy();
      resolve(fp);
    };
    sock.setTimeout(timeoutMs, () => done(null));
    sock.once('secureConnect', () => done(sock.getPeerCertificate()?.fingerprint256 ?? null));
    sock.once('error', () => done(null));
  });
}
