import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeployRecord } from '../../../src/adapters/store/history.js';
import type { DeployReport } from '../../../src/deploy/deploy.js';
import type { ApiDeps } from '../../../src/api/deps.js';

export const FAKE_TOKEN = 'test-token-0123456789abcdef';

export function fakeReport(over: Partial<DeployReport> = {}): DeployReport {
  return { id: '20260101T000000-abcdef', plan: 'p', planFile: '/x/p.yaml', dryRun: false, result: 'ok', actions: [], warnings: [], apps: [], reloads: 1, durationMs: 1200, ...over };
}

export function fakeRecord(id: string, result: DeployRecord['result'], app = 'web'): DeployRecord {
  return {
    id, kind: 'deploy', plan: 'p', planFile: '/x/p.yaml', planHash: 'h', startedAt: `2026-01-01T00:00:0${id.slice(-1)}Z`, finishedAt: '2026-01-01T00:00:09Z', result,
    apps: [{ app, revision: 'r1', image: 'cloud/web:1', digest: 'sha256:00', replicas: 1, result: result === 'failed' ? 'failed' : 'ok', spec: { secret: 'spec' } }],
  };
}

/** ApiDeps over fixed data, for tests of the HTTP layer without a lab; override what a test needs. */
export function fakeDeps(over: Partial<ApiDeps> = {}): ApiDeps {
  return {
    token: FAKE_TOKEN,
    uploadsDir: join(mkdtempSync(join(tmpdir(), 'cmx-api-')), 'uploads'),
    info: { varnish: 'http://127.0.0.1:6081', registry: '10.77.0.1:5000', version: '0.0.0' },
    nodes: async () => [
      { name: 'node1', ip: '10.77.0.201', mac: null, source: 'lease', expiresAt: '2026-01-01T12:00:00.000Z', expired: false, reachable: true },
      { name: 'node2', ip: '10.77.0.202', mac: null, source: 'lease', expiresAt: '2026-01-01T12:00:00.000Z', expired: false, reachable: false, error: 'timeout' },
    ],
    images: async () => [{ repository: 'cloud/web', tags: [{ tag: '1', digest: 'sha256:00' }] }],
    apps: async () => ({
      apps: [{ plan: 'p', app: 'web', desired: 2, running: 2, healthy: 1, orphans: 0, nodes: ['node1'], revisions: ['r1'], hosts: ['web.matrix.test'], paths: ['/web/'], containers: [] }],
      unreachable: [{ node: 'node2', message: 'timeout' }],
    }),
    routes: async () => [{ app: 'web', hosts: ['web.matrix.test'], paths: [], director: 'round_robin', backends: [] }],
    history: async () => [fakeRecord('d1', 'ok'), fakeRecord('d2', 'failed'), fakeRecord('d3', 'ok', 'api')],
    lockHolder: () => null,
    deploy: async ({ log }) => {
      log('[web] node1: started');
      return fakeReport();
    },
    prepareRollback: (app) => ({ description: `${app} back to r0`, run: async (log) => (log(`[${app}] rolled`), fakeReport({ result: 'ok' })) }),
    log: () => undefined,
    ...over,
  };
}
