import { createPrivateKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { covers, leafFacts, parseChain } from './cert-facts.js';

export type PairProblem = { field: 'cert' | 'key'; message: string };

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * A manual certificate/key pair, checked before anything changes: both parse, the key is the
 * certificate's, the certificate names every host of the app and is valid now. Every problem,
 * each on the field it is about.
 */
export function checkManualPair(certPem: string, keyPem: string, hosts: readonly string[], now: Date): PairProblem[] {
  const problems: PairProblem[] = [];
  let chain: X509Certificate[] | null = null;
  let key: KeyObject | null = null;
  try {
    chain = parseChain(certPem);
  } catch (err) {
    problems.push({ field: 'cert', message: `not a PEM certificate: ${(err as Error).message}` });
  }
  try {
    key = createPrivateKey(keyPem);
  } catch {
    // The key's text never goes into a message.
    problems.push({ field: 'key', message: 'not a PEM private key (or an encrypted one: hitch needs it unencrypted)' });
  }
  if (!chain) return problems;
  const leaf = chain[0]!;
  const facts = leafFacts(leaf);
  if (key && !leaf.checkPrivateKey(key)) problems.push({ field: 'key', message: `does not match the certificate (${facts.names.join(', ')})` });
  const missing = hosts.filter((h) => !covers(facts, h));
  if (missing.length) problems.push({ field: 'cert', message: `does not cover ${missing.join(', ')} (it names ${facts.names.join(', ')})` });
  if (facts.notAfter.getTime() <= now.getTime()) problems.push({ field: 'cert', message: `expired on ${day(facts.notAfter)}` });
  else if (facts.notBefore.getTime() > now.getTime()) problems.push({ field: 'cert', message: `not valid before ${day(facts.notBefore)}` });
  chain.slice(1).forEach((c, i) => {
    if (!chain![i]!.checkIssued(c)) problems.push({ field: 'cert', message: `certificate ${i + 2} of the chain did not issue certificate ${i + 1}` });
  });
  return problems;
}
