import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tcpConnect, waitTcpHealthy } from '../../src/adapters/tcp-health.js';

async function listening(s: Server): Promise<number> {
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return (s.address() as AddressInfo).port;
}

test('a listener that keeps the connection open is healthy; one that closes at once is not', async () => {
  const keeps = createServer(() => undefined);
  const closes = createServer((s) => s.end());
  try {
    await tcpConnect('127.0.0.1', await listening(keeps), 1000);
    await assert.rejects(tcpConnect('127.0.0.1', await listening(closes), 1000), /closed/);
  } finally {
    keeps.close();
    closes.close();
  }
});

test('waitTcpHealthy gives up at its deadline with the last reason', async () => {
  const s = createServer();
  const port = await listening(s);
  s.close();
  await assert.rejects(waitTcpHealthy({ address: '127.0.0.1', port }, { timeoutMs: 100, intervalMs: 50, deadlineMs: 200 }), /not healthy after 200 ms: TCP connect 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
});
