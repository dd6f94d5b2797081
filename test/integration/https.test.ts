import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { CertStore, servedFingerprint } from '../../src/adapters/tls/cert-store.js';
import { ensureCertificates } from '../../src/tls/certificates.js';
import { runCertificateRenewal } from '../../src/tls/renewer.js';
import { certFacts } from '../../src/model/tls/cert-facts.js';
import type { CertRow } from '../../src/tls/list.js';
import { issueLeaf, makeCa, type TestCa } from '../unit/helpers/openssl-certs.js';
import { removeApps } from './helpers/cloud.js';
import { cli, sh } from './helpers/exec.js';
import { ensureLab } from './helpers/lab.js';
import { viaVarnish } from './helpers/varnish-http.js';

// Real hitch, real pebble (validating HTTP-01 through Varnish), real Varnish. Apps: tlsa (acme,
// redirect), tlsb (acme, allow), tlsm (manual pair from a CA made here). Loopback only.
const PLAN = 'tlsx';
const A = 'tlsa.matrix.test';
const B = 'tlsb.matrix.test';
const M = 'tlsm.matrix.test';
const APPS = ['tlsa', 'tlsb', 'tlsm', 'tlsbad'];
const dir = mkdtempSync(join(tmpdir(), 'cmx-https-'));
const planFile = join(dir, `${PLAN}.yaml`);
let config: Config;
let acmeRoot: string;
let ca: TestCa;
let manual: { cert: string; key: string };
const DAY = 86_400_000;

const plan = (extra: string[] = []) => [
  'domain: matrix.test', 'apps:',
  '  tlsa:', '    image: cloud/tlsecho:1', `    hosts: [${A}]`, '    tls: acme', '    env: { GREETING: app-a }',
  '  tlsb:', '    image: cloud/tlsecho:1', `    hosts: [${B}]`, '    tls: acme', '    https: allow', '    env: { GREETING: app-b }',
  '  tlsm:', '    image: cloud/tlsecho:1', `    hosts: [${M}]`, '    tls: { cert: m.crt, key: m.key }', '    env: { GREETING: app-m }',
  ...extra, '',
].join('\n');

const tlsPort = () => Number(config.tls!.listen.split(':').pop());

/** GET over TLS to hitch on loopback with SNI `host`, checked against `ca`; the body and the certificate's fingerprint. */
function httpsGet(host: string, ca: string, path = '/'): Promise<{ status: number; body: string; fingerprint: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: tlsPort(), servername: host, path, headers: { Host: host }, ca, timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const fp = (res.socket as import('node:tls').TLSSocket).getPeerCertificate?.()?.fingerprint256 ?? '';
        resolve({ status: res.statusCode ?? 0, body, fingerprint: fp, ...(res.headers.location ? { location: res.headers.location } : {}) });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function certRows(): Promise<CertRow[]> {
  const r = await cli(['certs', '--json']);
  return JSON.parse(r.stdout) as CertRow[];
}

before(async () => {
  ({ config } = await ensureLab());
  assert.ok(config.tls && config.acme?.rootFile, 'the lab config has tls and acme');
  acmeRoot = readFileSync(config.acme.rootFile, 'utf8');
  // The app: busybox httpd with a CGI that prints what the router told it.
  const ctx = join(dir, 'tlsecho');
  cpSync('images/hostinfo', ctx, { recursive: true });
  cpSync('test/fixtures/tls/echo.cgi', join(ctx, 'www/cgi-bin/index.cgi'));
  for (const args of [['create-image', ctx, 'tlsecho:1'], ['install-image', 'tlsecho:1']]) {
    const r = await cli(args);
    assert.equal(r.code, 0, r.stderr);
  }
  ca = makeCa('cmx https test CA');
  manual = issueLeaf(ca, [M], new Date(Date.now() - DAY), new Date(Date.now() + 30 * DAY));
  writeFileSync(join(dir, 'm.crt'), manual.cert);
  writeFileSync(join(dir, 'm.key'), manual.key);
  await cli(['undeploy', PLAN]);
  writeFileSync(planFile, plan());
  const r = await cli(['deploy-plan', planFile]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
});

after(async () => {
  try {
    const r = await cli(['undeploy', PLAN]);
    if (r.code !== 0) process.stderr.write(`undeploy ${PLAN}: ${r.stderr}\n`);
    await removeApps(config, APPS);
    // Drops the certificates of hosts no plan has now (and reloads hitch).
    const p = await cli(['certs', 'prune']);
    if (p.code !== 0) process.stderr.write(`certs prune: ${p.stderr}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (ca) rmSync(ca.dir, { recursive: true, force: true });
  }
});

describe('HTTPS at the router (hitch, pebble, Varnish)', () => {
  it('both acme apps got a certificate from pebble, and curl --cacert <pebble root> reaches each with its own', async () => {
    const rows = await certRows();
    for (const host of [A, B]) {
      const row = rows.find((x) => x.host === host);
      assert.ok(row, `certs lists ${host}`);
      assert.equal(row.status, 'ok', JSON.stringify(row));
      assert.equal(row.source, 'acme');
      assert.match(row.issuer ?? '', /Pebble/i);
    }
    for (const [host, greeting] of [[A, 'app-a'], [B, 'app-b']]) {
      const r = await sh('curl', ['-sS', '--max-time', '5', '--cacert', config.acme!.rootFile!, '--resolve', `${host}:${tlsPort()}:127.0.0.1`, `https://${host}:${tlsPort()}/`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`greeting: ${greeting}`));
      const served = await httpsGet(host, acmeRoot);
      assert.deepEqual(certFacts(readFileSync(join(config.stateDir, 'tls', 'certs', `${host}.pem`), 'utf8')).names, [host]);
      assert.equal(served.fingerprint, certFacts(readFileSync(join(config.stateDir, 'tls', 'certs', `${host}.pem`), 'utf8')).fingerprint);
    }
  });

  it('the app sees the client in X-Forwarded-For and X-Forwarded-Proto: https, whatever the client claims', async () => {
    const r = await sh('curl', ['-sS', '--max-time', '5', '--cacert', config.acme!.rootFile!, '--resolve', `${B}:${tlsPort()}:127.0.0.1`,
      '-H', 'X-Forwarded-For: 203.0.113.9', '-H', 'X-Forwarded-Proto: http', `https://${B}:${tlsPort()}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^x-forwarded-for: 127\.0\.0\.1$/m);
    assert.match(r.stdout, /^x-forwarded-proto: https$/m);
    const plain = await viaVarnish(B);
    assert.equal(plain.status, 200);
    assert.match(plain.body, /^x-forwarded-proto: http$/m);
  });

  it('https: redirect answers 301 to the https URL; allow serves both', async () => {
    const a = await sh('curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', `Host: ${A}`, 'http://127.0.0.1:6081/some/path?q=1']);
    assert.equal(a.stdout, `301 https://${A}:${tlsPort()}/some/path?q=1`);
    const aTls = await httpsGet(A, acmeRoot, '/?q=1');
    assert.equal(aTls.status, 200);
    assert.match(aTls.body, /greeting: app-a/);
    assert.equal((await viaVarnish(B)).status, 200);
    assert.equal((await httpsGet(B, acmeRoot)).status, 200);
  });

  it('a manual certificate/key pair is served', async () => {
    const r = await httpsGet(M, ca.cert);
    assert.equal(r.status, 200);
    assert.match(r.body, /greeting: app-m/);
    assert.equal(r.fingerprint, certFacts(manual.cert).fingerprint);
    const row = (await certRows()).find((x) => x.host === M);
    assert.equal(row?.source, 'manual');
    assert.equal(row?.status, 'ok');
  });

  it('a mismatched pair and an expired certificate are refused with exit 2 naming file, line, column and field; nothing changes', async () => {
    const other = issueLeaf(ca, ['tlsbad.matrix.test'], new Date(Date.now() - DAY), new Date(Date.now() + 30 * DAY));
    const expired = issueLeaf(ca, ['tlsbad.matrix.test'], new Date(Date.now() - 60 * DAY), new Date(Date.now() - DAY));
    writeFileSync(join(dir, 'bad.crt'), other.cert);
    writeFileSync(join(dir, 'bad.key'), manual.key);
    writeFileSync(join(dir, 'old.crt'), expired.cert);
    writeFileSync(join(dir, 'old.key'), expired.key);
    const bad = (cert: string, key: string) => plan(['  tlsbad:', '    image: cloud/tlsecho:1', '    hosts: [tlsbad.matrix.test]', `    tls: { cert: ${cert}, key: ${key} }`]);
    writeFileSync(planFile, bad('bad.crt', 'bad.key'));
    let r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${planFile.replace(/[.]/g, '\\.')}:\\d+:\\d+: apps\\.tlsbad\\.tls\\.key: .*bad\\.key: does not match the certificate`));
    assert.ok(!r.stderr.includes('PRIVATE KEY'));
    writeFileSync(planFile, bad('old.crt', 'old.key'));
    r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /:\d+:\d+: apps\.tlsbad\.tls\.cert: .*old\.crt: expired on /);
    // nothing started, nothing routed
    assert.equal(await removeApps(config, ['tlsbad']), 0);
    assert.equal((await viaVarnish('tlsbad.matrix.test')).status, 404);
    writeFileSync(planFile, plan());
  });

  it('renewal under load: hitch reloads onto the new certificate and no HTTPS request fails', async () => {
    const before = (await httpsGet(A, acmeRoot)).fingerprint;
    let done = false;
    let sent = 0;
    const failures: string[] = [];
    const stopAt = Date.now() + 60_000;
    // A bounded client loop: new TLS connections (handshakes across the reload), 4 at a time.
    const client = async () => {
      while (!done && sent < 5000 && Date.now() < stopAt) {
        sent++;
        try {
          const r = await httpsGet(A, acmeRoot);
          if (r.status !== 200) failures.push(`HTTP ${r.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    const renew = cli(['certs', 'renew', A]).finally(() => (done = true));
    const r = await renew;
    await Promise.all(clients);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp(`${A}: issued`));
    const after = await servedFingerprint(config.tls!.listen, A);
    assert.notEqual(after, before, 'hitch serves the new certificate');
    assert.ok(sent > 10, `only ${sent} requests were sent`);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${sent} HTTPS requests failed`);
  });

  it('pebble stopped during renewal: the old certificate keeps serving and the failure is reported', async () => {
    const pebblePid = Number(readFileSync(join(config.stateDir, 'lab', 'pebble.pid'), 'utf8').trim());
    const before = await servedFingerprint(config.tls!.listen, A);
    process.kill(pebblePid, 'SIGSTOP');
    let r;
    try {
      r = await cli(['certs', 'renew', A]);
    } finally {
      process.kill(pebblePid, 'SIGCONT');
    }
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`${A}: failed`));
    assert.equal(await servedFingerprint(config.tls!.listen, A), before);
    assert.equal((await httpsGet(A, acmeRoot)).status, 200);
    const row = (await certRows()).find((x) => x.host === A);
    assert.equal(row?.status, 'failing');
    assert.match(row?.lastError ?? '', /ACME|timeout|stopped|socket/i);
    // pebble back: the next attempt works and clears the error
    const again = await cli(['certs', 'renew', A]);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.equal((await certRows()).find((x) => x.host === A)?.status, 'ok');
  });

  it('watch: a host without a certificate (a new host) gets one in the next pass', async () => {
    const store = new CertStore(config.stateDir, config.tls!.hostsDir, config.tls!.hitchPidFile);
    const old = await servedFingerprint(config.tls!.listen, B);
    store.remove([B]);
    assert.equal((await certRows()).find((x) => x.host === B)?.status, 'missing');
    const stop = new AbortController();
    const lines: string[] = [];
    const pass = runCertificateRenewal(config, { log: (l) => lines.push(l), signal: stop.signal, everyMs: 250 });
    try {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && (await certRows()).find((x) => x.host === B)?.status !== 'ok') await new Promise((r) => setTimeout(r, 100));
    } finally {
      stop.abort();
      await pass;
    }
    assert.equal((await certRows()).find((x) => x.host === B)?.status, 'ok', lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`${B}: asking`) && l.includes('no certificate yet')), lines.join('\n'));
    const now = await servedFingerprint(config.tls!.listen, B);
    assert.notEqual(now, old);
    assert.equal((await httpsGet(B, acmeRoot)).status, 200);
  });

  it('renewal is due at two thirds of the certificate\'s life, not before', async () => {
    const row = (await certRows()).find((x) => x.host === B)!;
    const renewAt = Date.parse(row.renewAt!);
    const before = await ensureCertificates(config, { only: [B], now: () => new Date(renewAt - 86_400_000) });
    assert.deepEqual(before.map((o) => [o.host, o.action]), [[B, 'kept']]);
    const due = await ensureCertificates(config, { only: [B], now: () => new Date(renewAt + 60_000) });
    assert.deepEqual(due.map((o) => [o.host, o.action, o.reason?.slice(0, 10)]), [[B, 'issued', 'two thirds']]);
    assert.equal((await httpsGet(B, acmeRoot)).fingerprint, await servedFingerprint(config.tls!.listen, B));
  });
});
