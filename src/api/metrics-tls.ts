import { Gauge, type Registry } from 'prom-client';
import type { CertRow } from '../tls/list.js';

/**
 * Per host of a tls app: when its certificate expires (absent: none serves), and whether the last
 * attempt to get or install one failed. Alert on `expiry - time() < 7d` or on `failing == 1`.
 */
export function tlsMetrics(registry: Registry, certs: () => Promise<CertRow[]>, guarded: (source: string, fn: () => Promise<void>) => Promise<void>): void {
  new Gauge({
    name: 'cloudmatrix_tls_certificate_expiry_timestamp_seconds', help: 'When the certificate hitch serves for the host expires (Unix time), by source (acme, manual)',
    labelNames: ['host', 'source'], registers: [registry],
    async collect() {
      this.reset();
      await guarded('certs', async () => {
        for (const r of await certs()) if (r.notAfter && r.status !== 'unused') this.set({ host: r.host, source: r.source }, Date.parse(r.notAfter) / 1000);
      });
    },
  });
  new Gauge({
    name: 'cloudmatrix_tls_certificate_failing', help: "1 when the last attempt to get or install the host's certificate failed (the previous one, if any, still serves)",
    labelNames: ['host'], registers: [registry],
    async collect() {
      this.reset();
      await guarded('certs', async () => {
        for (const r of await certs()) if (r.status !== 'unused') this.set({ host: r.host }, r.status === 'failing' || r.status === 'missing' ? 1 : 0);
      });
    },
  });
}
