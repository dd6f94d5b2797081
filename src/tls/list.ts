import type { Config } from '../config.js';
import { PlanStore } from '../adapters/store/plans.js';
import { tlsHosts } from '../model/tls/hosts.js';
import { renewalTime } from '../model/tls/renewal.js';
import { certStore, requireTls } from './certificates.js';

export interface CertRow {
  host: string;
  app: string;
  plan: string;
  source: 'acme' | 'manual';
  issuer: string | null;
  notAfter: string | null;
  /** ACME: when watch renews it */
  renewAt: string | null;
  /** ok | missing | expired | failing (the last attempt failed; a certificate may still serve) | unused (no plan has the host) */
  status: 'ok' | 'missing' | 'expired' | 'failing' | 'unused';
  lastError: string | null;
  lastAttempt: string | null;
}

/** Every host that has or should have a certificate: the deployed plans' tls hosts, and what the store still holds. */
export function listCertificates(config: Config, now = new Date()): CertRow[] {
  const cfg = requireTls(config);
  const records = certStore(cfg).records();
  const wanted = tlsHosts(new PlanStore(cfg.stateDir).list());
  const rows: CertRow[] = [];
  const seen = new Set<string>();
  for (const h of [...wanted, ...Object.values(records).filter((r) => !wanted.some((w) => w.host === r.host))]) {
    if (seen.has(h.host)) continue;
    seen.add(h.host);
    const r = records[h.host];
    const has = r && 'notAfter' in r ? r : null;
    const inUse = wanted.some((w) => w.host === h.host);
    const status: CertRow['status'] = !inUse ? 'unused' : r?.failures ? 'failing' : !has ? 'missing' : Date.parse(has.notAfter) <= now.getTime() ? 'expired' : 'ok';
    const source = inUse ? wanted.find((w) => w.host === h.host)!.source : h.source;
    rows.push({
      host: h.host, app: h.app, plan: h.plan, source,
      issuer: has?.issuer ?? null, notAfter: has?.notAfter ?? null,
      renewAt: has && source === 'acme' ? renewalTime({ notBefore: new Date(has.notBefore), notAfter: new Date(has.notAfter) }).toISOString() : null,
      status, lastError: r?.lastError && r.failures ? r.lastError : null, lastAttempt: r?.lastAttempt ?? null,
    });
  }
  return rows.sort((a, b) => (a.host < b.host ? -1 : 1));
}
