import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { certFacts, nameCovers } from '../../src/model/tls/cert-facts.js';
import { checkManualPair } from '../../src/model/tls/cert-check.js';
import { renewalReason, renewalTime } from '../../src/model/tls/renewal.js';
import { issueLeaf, makeCa, type TestCa } from './helpers/openssl-certs.js';

const DAY = 86_400_000;
const t0 = new Date('2030-01-01T00:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);

let ca: TestCa;
let other: TestCa;
let good: { cert: string; key: string };
let otherKey: string;
before(() => {
  ca = makeCa();
  other = makeCa('another CA');
  good = issueLeaf(ca, ['web.test', 'www.web.test'], t0, at(90));
  otherKey = issueLeaf(ca, ['web.test'], t0, at(90)).key;
});
after(() => {
  rmSync(ca.dir, { recursive: true, force: true });
  rmSync(other.dir, { recursive: true, force: true });
});

describe('certificate facts', () => {
  it('names, issuer CN and dates of the leaf', () => {
    const f = certFacts(good.cert + ca.cert);
    assert.deepEqual(f.names, ['web.test', 'www.web.test']);
    assert.equal(f.issuer, 'cmx test CA');
    assert.equal(f.notBefore.toISOString(), t0.toISOString());
    assert.equal(f.notAfter.toISOString(), at(90).toISOString());
  });
  it('a wildcard covers one label, no more, no less', () => {
    assert.ok(nameCovers('*.web.test', 'api.web.test'));
    assert.ok(!nameCovers('*.web.test', 'web.test'));
    assert.ok(!nameCovers('*.web.test', 'a.b.web.test'));
    assert.ok(nameCovers('Web.Test', 'web.test'));
  });
});

describe('manual certificate and key', () => {
  const hosts = ['web.test', 'www.web.test'];
  it('a matching, covering, valid pair has no problem', () => {
    assert.deepEqual(checkManualPair(good.cert, good.key, hosts, at(10)), []);
    assert.deepEqual(checkManualPair(good.cert + ca.cert, good.key, hosts, at(10)), []);
  });
  it('the key of another certificate', () => {
    assert.deepEqual(checkManualPair(good.cert, otherKey, hosts, at(10)).map((p) => p.field), ['key']);
    assert.match(checkManualPair(good.cert, otherKey, hosts, at(10))[0]!.message, /does not match the certificate/);
  });
  it('a host the certificate does not name', () => {
    const p = checkManualPair(good.cert, good.key, [...hosts, 'api.test'], at(10));
    assert.deepEqual(p, [{ field: 'cert', message: 'does not cover api.test (it names web.test, www.web.test)' }]);
  });
  it('expired, and not valid yet', () => {
    assert.deepEqual(checkManualPair(good.cert, good.key, hosts, at(90)), [{ field: 'cert', message: 'expired on 2030-04-01' }]);
    assert.deepEqual(checkManualPair(good.cert, good.key, hosts, at(-1)), [{ field: 'cert', message: 'not valid before 2030-01-01' }]);
  });
  it('text that is not PEM; a key never shows in the message', () => {
    const p = checkManualPair('hello', 'SECRET-KEY-MATERIAL', hosts, at(10));
    assert.deepEqual(p.map((x) => x.field), ['cert', 'key']);
    assert.ok(!JSON.stringify(p).includes('SECRET'));
    assert.deepEqual(checkManualPair(good.cert, good.cert, hosts, at(10)).map((x) => x.field), ['key']);
  });
  it('a chain in the wrong order, or with a CA that did not issue it', () => {
    assert.match(checkManualPair(good.cert + other.cert, good.key, hosts, at(10))[0]!.message, /did not issue/);
  });
});

describe('renewal is due', () => {
  const chain = () => good.cert + ca.cert;
  it('at two thirds of the life, not before', () => {
    assert.equal(renewalTime(certFacts(chain())).toISOString(), at(60).toISOString());
    assert.equal(renewalReason(chain(), 'web.test', at(59.9)), null);
    assert.match(renewalReason(chain(), 'web.test', at(60))!, /two thirds/);
    assert.match(renewalReason(chain(), 'web.test', at(91))!, /expired/);
  });
  it('no certificate, or one that does not name the host (a new host)', () => {
    assert.equal(renewalReason(null, 'web.test', at(1)), 'no certificate yet');
    assert.match(renewalReason(chain(), 'api.web.test', at(1))!, /does not name api\.web\.test/);
  });
  it('a certificate that does not chain to the ACME root (the CA started over)', () => {
    assert.equal(renewalReason(chain(), 'web.test', at(1), ca.cert), null);
    assert.equal(renewalReason(good.cert, 'web.test', at(1), ca.cert), null);
    assert.equal(renewalReason(chain(), 'web.test', at(1), other.cert), 'it does not chain to the ACME root');
  });
  it('a stored file that does not parse is renewed, not a crash', () => {
    assert.match(renewalReason('garbage', 'web.test', at(1))!, /does not parse/);
  });
});
