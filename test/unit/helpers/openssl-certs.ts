import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Test certificates made with openssl(1): a CA, and leaves it signs for given names and dates. */
export interface TestCa {
  dir: string;
  cert: string;
  key: string;
}

const ossl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const stamp = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

export function makeCa(cn = 'cmx test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-ca-'));
  ossl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '3650', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', 'ca.key', '-out', 'ca.crt']);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n[leaf]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  return { dir, cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
}

let n = 0;

/** A leaf for `names` (the first is the CN) valid from `from` to `to`; PEMs of the certificate and its key. */
export function issueLeaf(ca: TestCa, names: string[], from: Date, to: Date): { cert: string; key: string } {
  const id = `leaf${++n}`;
  ossl(ca.dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${names[0]}`, '-keyout', `${id}.key`, '-out', `${id}.csr`]);
  writeFileSync(join(ca.dir, `${id}.ext`), `basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${names.map((h) => `DNS:${h}`).join(',')}\n`);
  ossl(ca.dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', `${id}.csr`, '-out', `${id}.crt`,
    '-startdate', stamp(from), '-enddate', stamp(to), '-extfile', `${id}.ext`, '-notext']);
  return { cert: readFileSync(join(ca.dir, `${id}.crt`), 'utf8'), key: readFileSync(join(ca.dir, `${id}.key`), 'utf8') };
}
