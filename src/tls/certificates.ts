import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, resolve as resolvePath } from 'node:path';
import type { Config } from '../config.js';
import { EnvError } from '../errors.js';
import { issueCertificate, newAccountKey, type Http01 } from '../adapters/tls/acme.js';
import { CertStore, servedFingerprint, type CertRecord } from '../adapters/tls/cert-store.js';
import { ChallengeResponder } from '../adapters/tls/responder.js';
import { acquireLockWaiting } from '../adapters/store/lock.js';
import { PlanStore } from '../adapters/store/plans.js';
import { mapLimit } from '../deploy/limit.js';
import type { NamedPlan } from '../model/routes.js';
import { certFacts } from '../model/tls/cert-facts.js';
import { checkManualPair } from '../model/tls/cert-check.js';
import { retryAfterMs, tlsHosts, type TlsHost } from '../model/tls/hosts.js';
import { renewalReason } from '../model/tls/renewal.js';

export interface CertOutcome {
  host: string;
  app: string;
  plan: string;
  source: 'acme' | 'manual';
  action: 'issued' | 'installed' | 'kept' | 'failed' | 'skipped' | 'removed';
  reason?: string;
  error?: string;
  notAfter?: string;
}

export interface EnsureOptions {
  /** the plans whose tls hosts must have certificates; default: every deployed plan, read under the lock */
  plans?: () => NamedPlan[];
  /** hosts to renew whatever their state ('all': every ACME host) */
  force?: readonly string[] | 'all';
  /** only these hosts are looked at (others are left as they are) */
  only?: readonly string[];
  /** drop certificates of hosts no plan has any more */
  prune?: boolean;
  /** an automatic pass (watch): hosts that failed recently wait (5 min, doubling, at most 6 h) */
  backoff?: boolean;
  log?: (line: string) => void;
  now?: () => Date;
}

type TlsConfig = Config & { tls: NonNullable<Config['tls']> };

export function requireTls(config: Config): TlsConfig {
  if (!config.tls) throw new EnvError('this manager has no `tls` section in its config (hitch): HTTPS is not set up');
  return config as TlsConfig;
}

export function certStore(config: TlsConfig, warn?: (m: string) => void): CertStore {
  return new CertStore(config.stateDir, config.tls.hostsDir, config.tls.hitchPidFile, warn);
}

const readText = (path: string) => readFileSync(path, 'utf8');

/** A manual pair's files, relative to the plan file that names them. */
export function manualPaths(m: NonNullable<TlsHost['manual']>): { cert: string; key: string } {
  const base = dirname(resolvePath(m.planFile));
  return { cert: resolvePath(base, m.cert), key: resolvePath(base, m.key) };
}

/**
 * Makes every `tls` host of the plans have a certificate in hitch: ACME hosts get one when they
 * have none, at two thirds of its life, or when asked; manual pairs are installed when they
 * changed. A failure keeps whatever serves now and is recorded (`certs`, /metrics), never thrown:
 * the outcomes say what happened per host. hitch reloads once (SIGHUP) if anything changed, and
 * this returns when hitch serves the new certificates.
 */
export async function ensureCertificates(config: Config, opts: EnsureOptions = {}): Promise<CertOutcome[]> {
  const cfg = requireTls(config);
  const log = opts.log ?? (() => {});
  const now = opts.now ?? (() => new Date());
  const store = certStore(cfg, (m) => log(`warning: ${m}`));
  const lock = await acquireLockWaiting(`${store.dir}.lock`, 'certificates', 300_000);
  const responder = cfg.acme ? new ChallengeResponder(cfg.acme.responder) : null;
  try {
    const plans = opts.plans ? opts.plans() : new PlanStore(cfg.stateDir).list();
    const wanted = tlsHosts(plans).filter((h) => !opts.only || opts.only.includes(h.host));
    const outcomes: CertOutcome[] = [];
    const changed: { host: string; fingerprint: string }[] = [];

    for (const group of manualGroups(wanted)) {
      const o = installManual(store, group, now());
      outcomes.push(...o.outcomes);
      if (o.changed) changed.push({ host: group[0]!.host, fingerprint: o.changed });
    }

    const acmeHosts = wanted.filter((h) => h.source === 'acme');
    if (acmeHosts.length && !cfg.acme) {
      for (const h of acmeHosts) outcomes.push({ ...meta(h), action: 'failed', error: 'this manager has no `acme` section in its config' });
    } else if (acmeHosts.length) {
      const root = cfg.acme!.rootFile && existsSync(cfg.acme!.rootFile) ? readText(cfg.acme!.rootFile) : undefined;
      const due = acmeHosts.map((h) => ({ h, reason: dueReason(store, h, opts, now(), root) }));
      const todo = due.filter((d) => d.reason && !d.reason.startsWith('skip:'));
      for (const d of due.filter((x) => !x.reason || x.reason.startsWith('skip:'))) {
        outcomes.push({ ...meta(d.h), action: d.reason ? 'skipped' : 'kept', ...(d.reason ? { reason: d.reason.slice(5) } : {}), ...notAfterOf(store, d.h.host) });
      }
      if (todo.length) {
        await responder!.start();
        const accountKey = await store.accountKey(newAccountKey);
        const issued = await mapLimit(todo, 4, async ({ h, reason }) => {
          log(`[${h.app}] ${h.host}: asking ${cfg.acme!.directory} for a certificate (${reason})`);
          try {
            const cert = await issueCertificate(
              { directory: cfg.acme!.directory, email: cfg.acme!.email, caBundle: cfg.acme!.caBundle },
              accountKey, h.host,
              async (c) => {
                responder!.set(c.token, c.keyAuthorization);
                await checkThroughVarnish(cfg, c);
              },
              async (c) => responder!.delete(c.token),
            );
            const facts = certFacts(cert.chain);
            store.install(`${h.host}.pem`, `${cert.chain.trim()}\n${cert.key.trim()}\n`, [record(h, `${h.host}.pem`, facts, now())]);
            changed.push({ host: h.host, fingerprint: facts.fingerprint });
            log(`[${h.app}] ${h.host}: certificate from ${facts.issuer}, valid until ${facts.notAfter.toISOString()}`);
            return { ...meta(h), action: 'issued' as const, reason: reason!, notAfter: facts.notAfter.toISOString() };
          } catch (err) {
            const message = (err as Error).message;
            store.failed(h.host, meta(h), message, now());
            const serving = store.pem(h.host) ? 'the previous certificate keeps serving' : 'no certificate serves it';
            log(`[${h.app}] ${h.host}: certificate FAILED (${serving}): ${message}`);
            return { ...meta(h), action: 'failed' as const, reason: reason!, error: message, ...notAfterOf(store, h.host) };
          }
        });
        outcomes.push(...issued);
      }
    }

    if (opts.prune) {
      const keep = new Set(tlsHosts(plans).map((h) => h.host));
      const gone = Object.keys(store.records()).filter((h) => !keep.has(h));
      if (gone.length) {
        const files = store.remove(gone);
        for (const host of gone) outcomes.push({ host, app: '', plan: '', source: 'acme', action: 'removed' });
        if (files.length) changed.push({ host: '', fingerprint: '' });
        log(`certificates removed (no plan has these hosts any more): ${gone.join(', ')}`);
      }
    }

    if (changed.length) await reloadAndWait(cfg, store, changed, log);
    return outcomes;
  } finally {
    await responder?.stop();
    lock.release();
  }
}

const meta = (h: TlsHost) => ({ host: h.host, app: h.app, plan: h.plan, source: h.source });

function notAfterOf(store: CertStore, host: string): { notAfter?: string } {
  const r = store.record(host);
  return r && 'notAfter' in r ? { notAfter: r.notAfter } : {};
}

function record(h: TlsHost, file: string, facts: ReturnType<typeof certFacts>, at: Date): CertRecord {
  return {
    ...meta(h), file, issuer: facts.issuer, names: facts.names, notBefore: facts.notBefore.toISOString(), notAfter: facts.notAfter.toISOString(),
    fingerprint: facts.fingerprint, installedAt: at.toISOString(), lastAttempt: at.toISOString(), failures: 0,
  };
}

/** Why an ACME host gets a new certificate now; `skip:...` when it waits after failures; null when it keeps its own. */
function dueReason(store: CertStore, h: TlsHost, opts: EnsureOptions, now: Date, root?: string): string | null {
  if (opts.force === 'all' || opts.force?.includes(h.host)) return 'renewal asked for';
  const reason = renewalReason(store.pem(h.host), h.host, now, root);
  if (!reason || !opts.backoff) return reason;
  const rec = store.record(h.host);
  if (rec?.failures && rec.lastAttempt) {
    const next = Date.parse(rec.lastAttempt) + retryAfterMs(rec.failures);
    if (next > now.getTime()) return `skip:${reason}; ${rec.failures} failed attempt(s), next after ${new Date(next).toISOString()}`;
  }
  return reason;
}

/** Manual hosts by app: one pair covers all of an app's hosts. */
function manualGroups(hosts: TlsHost[]): TlsHost[][] {
  const groups = new Map<string, TlsHost[]>();
  for (const h of hosts) {
    if (h.source !== 'manual') continue;
    const key = `${h.plan}\0${h.app}`;
    groups.set(key, [...(groups.get(key) ?? []), h]);
  }
  return [...groups.values()];
}

/** Installs an app's manual pair unless the same certificate is installed; a pair that turned bad is not installed. */
function installManual(store: CertStore, group: TlsHost[], now: Date): { outcomes: CertOutcome[]; changed: string | null } {
  const first = group[0]!;
  const paths = manualPaths(first.manual!);
  const fail = (error: string) => {
    for (const h of group) store.failed(h.host, meta(h), error, now);
    return { outcomes: group.map((h) => ({ ...meta(h), action: 'failed' as const, error, ...notAfterOf(store, h.host) })), changed: null };
  };
  let cert: string;
  let key: string;
  try {
    cert = readText(paths.cert);
    key = readText(paths.key);
  } catch (err) {
    return fail(`cannot read ${(err as NodeJS.ErrnoException).path ?? paths.cert}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const problems = checkManualPair(cert, key, group.map((h) => h.host), now);
  if (problems.length) return fail(problems.map((p) => `${p.field === 'cert' ? paths.cert : paths.key}: ${p.message}`).join('; '));
  const facts = certFacts(cert);
  const file = `${first.host}.pem`;
  const current = store.record(first.host);
  if (current && 'fingerprint' in current && current.fingerprint === facts.fingerprint && current.file === file && store.pem(first.host)) {
    return { outcomes: group.map((h) => ({ ...meta(h), action: 'kept' as const, notAfter: facts.notAfter.toISOString() })), changed: null };
  }
  store.install(file, `${cert.trim()}\n${key.trim()}\n`, group.map((h) => record(h, file, facts, now)));
  // The pair was under another host's name before (the app's first host changed): that file goes.
  if (current && 'file' in current && current.file !== file) store.removeUnused([current.file]);
  return { outcomes: group.map((h) => ({ ...meta(h), action: 'installed' as const, notAfter: facts.notAfter.toISOString() })), changed: facts.fingerprint };
}

/**
 * Before the ACME server is told to validate: the challenge must answer through Varnish as the
 * server will ask for it (Host: the host, on Varnish's HTTP port). A VCL just loaded may take a
 * moment; 5 s at most.
 */
async function checkThroughVarnish(config: Config, c: Http01): Promise<void> {
  const listen = config.varnish.listen;
  const i = listen.lastIndexOf(':');
  const addr = listen.slice(0, i);
  const host = addr === '0.0.0.0' || addr === '' ? '127.0.0.1' : addr;
  const port = Number(listen.slice(i + 1));
  const deadline = Date.now() + 5000;
  let last = '';
  for (let attempt = 0; attempt < 50 && Date.now() < deadline; attempt++) {
    const r = await httpGet(host, port, c.host, `/.well-known/acme-challenge/${c.token}`).catch((e: Error) => ({ status: 0, body: e.message }));
    if (r.status === 200 && r.body.trim() === c.keyAuthorization) return;
    last = r.status ? `HTTP ${r.status}` : r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new EnvError(`Varnish (${listen}) does not answer the HTTP-01 challenge of ${c.host} from the responder (${last}): is the app deployed and routed?`);
}

function httpGet(host: string, port: number, hostHeader: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: 'GET', headers: { Host: hostHeader }, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (body.length < 4096) body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** One SIGHUP, then until hitch presents each new certificate (10 s at most). hitch down: the files wait for its start. */
async function reloadAndWait(cfg: TlsConfig, store: CertStore, changed: { host: string; fingerprint: string }[], log: (l: string) => void): Promise<void> {
  try {
    store.reloadHitch();
  } catch (err) {
    log(`warning: ${(err as Error).message}; the certificates are in ${cfg.tls.hostsDir} for its next start`);
    return;
  }
  const deadline = Date.now() + 10_000;
  for (const c of changed.filter((x) => x.host)) {
    let served: string | null = null;
    while (Date.now() < deadline) {
      served = await servedFingerprint(cfg.tls.listen, c.host);
      if (served === c.fingerprint) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    if (served !== c.fingerprint) log(`warning: hitch does not serve the new certificate of ${c.host} 10 s after its reload (see its log)`);
  }
  log(`hitch reloaded (${changed.filter((c) => c.host).length} certificate(s) changed)`);
}
