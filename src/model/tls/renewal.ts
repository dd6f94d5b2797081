import { X509Certificate } from 'node:crypto';
import { covers, leafFacts, parseChain, type CertFacts } from './cert-facts.js';

/** ACME certificates are renewed at two thirds of their life (Let's Encrypt's 90 days: 30 days before the end). */
export const RENEW_AT = 2 / 3;

export function renewalTime(facts: Pick<CertFacts, 'notBefore' | 'notAfter'>): Date {
  const from = facts.notBefore.getTime();
  return new Date(from + (facts.notAfter.getTime() - from) * RENEW_AT);
}

/**
 * Why an ACME host needs a (new) certificate now, or null: none yet, it does not name the host,
 * it is at two thirds of its life, or it does not chain to the ACME root (when one is given: a
 * CA that started over, as pebble does at every start).
 */
export function renewalReason(pem: string | null, host: string, now: Date, root?: string): string | null {
  if (pem === null) return 'no certificate yet';
  let chain: X509Certificate[];
  try {
    chain = parseChain(pem);
  } catch (err) {
    return `the stored certificate does not parse (${(err as Error).message})`;
  }
  const facts = leafFacts(chain[0]!);
  if (!covers(facts, host)) return `the certificate does not name ${host}`;
  if (facts.notAfter.getTime() <= now.getTime()) return `expired on ${facts.notAfter.toISOString()}`;
  const at = renewalTime(facts);
  if (at.getTime() <= now.getTime()) return `two thirds of its life are over (since ${at.toISOString()})`;
  if (root !== undefined && !chainsTo(chain, root)) return 'it does not chain to the ACME root';
  return null;
}

/** The chain leads to `rootPem`: each certificate is issued by the next, the last by the root. */
export function chainsTo(chain: X509Certificate[], rootPem: string): boolean {
  let root: X509Certificate;
  try {
    root = new X509Certificate(rootPem);
  } catch {
    return false;
  }
  const all = [...chain, root];
  for (let i = 0; i + 1 < all.length; i++) {
    const [c, issuer] = [all[i]!, all[i + 1]!];
    if (c.fingerprint256 === root.fingerprint256) return true;
    if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) return false;
  }
  return true;
}
