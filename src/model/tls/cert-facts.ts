import { X509Certificate } from 'node:crypto';

/** What cloudmatrix needs to know of a certificate chain (leaf first), read from its PEM. */
export interface CertFacts {
  /** DNS names of the leaf's subjectAltName (its CN when it has none) */
  names: string[];
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the leaf */
  fingerprint: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM text in order; throws when there is none or one does not parse. */
export function parseChain(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate in it');
  return blocks.map((b) => new X509Certificate(b));
}

/** The CN of a distinguished name as X509Certificate prints it (`C=US\nO=...\nCN=...`), else the whole name on one line. */
export function commonName(dn: string): string {
  const cn = dn.split('\n').find((l) => l.startsWith('CN='));
  return cn ? cn.slice(3) : dn.replace(/\n/g, ', ');
}

export function leafFacts(leaf: X509Certificate): CertFacts {
  const san = leaf.subjectAltName ?? '';
  const names = san
    .split(', ')
    .filter((e) => e.startsWith('DNS:'))
    .map((e) => e.slice(4).toLowerCase());
  return {
    names: names.length ? names : [commonName(leaf.subject).toLowerCase()],
    issuer: commonName(leaf.issuer),
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    fingerprint: leaf.fingerprint256,
  };
}

export function certFacts(pem: string): CertFacts {
  return leafFacts(parseChain(pem)[0]!);
}

/** A host name matches a certificate name exactly or by a one-label wildcard (`*.example.test`). */
export function nameCovers(name: string, host: string): boolean {
  const n = name.toLowerCase();
  const h = host.toLowerCase();
  if (n === h) return true;
  if (!n.startsWith('*.')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === n.slice(2);
}

export function covers(facts: Pick<CertFacts, 'names'>, host: string): boolean {
  return facts.names.some((n) => nameCovers(n, host));
}
