import type { Command } from 'commander';
import { CommandFailed, UserError } from '../errors.js';
import type { CertRow } from '../tls/list.js';
import type { CertOutcome } from '../tls/certificates.js';
import { tableOf } from '../model/table.js';

const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');

export function formatCerts(rows: readonly CertRow[]): string {
  if (rows.length === 0) return 'no certificates (no deployed app has tls: acme or tls: {cert, key})';
  const table = tableOf(['HOST', 'APP', 'SOURCE', 'ISSUER', 'NOT AFTER', 'RENEW AT', 'STATUS'], rows, (r) => [
    r.host, r.plan ? `${r.plan}/${r.app}` : '-', r.source, r.issuer ?? '-', day(r.notAfter), day(r.renewAt), r.status,
  ]);
  const errors = rows.filter((r) => r.lastError).map((r) => `  ${r.host} (${day(r.lastAttempt)}): ${r.lastError}`);
  return errors.length ? `${table}\nlast errors:\n${errors.join('\n')}` : table;
}

export function formatOutcomes(outcomes: readonly CertOutcome[]): string {
  if (outcomes.length === 0) return 'no certificate to renew';
  return outcomes
    .map((o) => `${o.host}: ${o.action}${o.notAfter ? ` (valid until ${day(o.notAfter)})` : ''}${o.reason ? ` [${o.reason}]` : ''}${o.error ? `: ${o.error}` : ''}`)
    .join('\n');
}

export function registerCerts(program: Command): void {
  const certs = program
    .command('certs')
    .description('HTTPS certificates of the deployed apps: host, issuer, expiry, source (acme | manual), last error')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const [{ loadConfig }, { listCertificates }] = await Promise.all([import('../config.js'), import('../tls/list.js')]);
      const rows = listCertificates(loadConfig());
      console.log(opts.json ? JSON.stringify(rows, null, 2) : formatCerts(rows));
      if (rows.some((r) => r.status === 'missing' || r.status === 'expired' || r.status === 'failing')) throw new CommandFailed();
    });
  certs
    .command('renew [host]')
    .description('get new ACME certificates now (of HOST, or of every tls: acme host); manual pairs are installed again if their files changed')
    .action(async (host: string | undefined) => {
      const [{ loadConfig }, { ensureCertificates }, { listCertificates }] = await Promise.all([
        import('../config.js'), import('../tls/certificates.js'), import('../tls/list.js'),
      ]);
      const config = loadConfig();
      if (host !== undefined) {
        const known = listCertificates(config).filter((r) => r.status !== 'unused');
        const row = known.find((r) => r.host === host.toLowerCase());
        if (!row) throw new UserError(`certs renew: ${host}: no deployed app has this host with tls (known: ${known.map((r) => r.host).join(', ') || 'none'})`);
      }
      const stamp = (l: string) => console.error(`${new Date().toISOString()} ${l}`);
      const outcomes = await ensureCertificates(config, {
        force: host === undefined ? 'all' : [host.toLowerCase()],
        ...(host === undefined ? {} : { only: [host.toLowerCase()] }),
        log: stamp,
      });
      console.log(formatOutcomes(outcomes));
      if (outcomes.some((o) => o.action === 'failed')) throw new CommandFailed();
    });
  certs
    .command('prune')
    .description('drop the certificates of hosts that no deployed plan has any more (deploys do this too), and reload hitch')
    .action(async () => {
      const [{ loadConfig }, { ensureCertificates }] = await Promise.all([import('../config.js'), import('../tls/certificates.js')]);
      const outcomes = await ensureCertificates(loadConfig(), { only: [], prune: true, log: (l) => console.error(l) });
      console.log(outcomes.length ? formatOutcomes(outcomes) : 'nothing to prune');
    });
}
