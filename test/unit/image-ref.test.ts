import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appOf, formatRef, parseReference, RefError, resolveImage } from '../../src/model/image-ref.js';

const REG = '10.77.0.1:5000';
const DIGEST = `sha256:${'a'.repeat(64)}`;

test('parses name, tag and digest; a first component with . or : or localhost is a registry', () => {
  assert.deepEqual(parseReference('app'), { domain: null, path: 'app', tag: null, digest: null });
  assert.deepEqual(parseReference('team/app:1.0'), { domain: null, path: 'team/app', tag: '1.0', digest: null });
  assert.deepEqual(parseReference(`10.77.0.1:5000/cloud/app:v2@${DIGEST}`), {
    domain: '10.77.0.1:5000', path: 'cloud/app', tag: 'v2', digest: DIGEST,
  });
  assert.equal(parseReference('localhost/app').domain, 'localhost');
  assert.equal(parseReference('registry.example/app').domain, 'registry.example');
});

test('rejects what the reference grammar rejects', () => {
  for (const bad of ['App', 'app:', 'app:-x', 'app:' + 'x'.repeat(129), 'a//b', 'app_', '-app', 'app@sha256:zz', '', 'a b']) {
    assert.throws(() => parseReference(bad), RefError, bad);
  }
  assert.throws(() => parseReference('a/'.repeat(130) + 'a'), /longer than 255/);
});

test('resolves against the private registry under cloud/, keeps an explicit registry', () => {
  assert.equal(formatRef(resolveImage('simplewebapp1:1.0', REG)), `${REG}/cloud/simplewebapp1:1.0`);
  assert.equal(formatRef(resolveImage('cloud/simplewebapp1:1.0', REG)), `${REG}/cloud/simplewebapp1:1.0`);
  assert.equal(formatRef(resolveImage('team/app', REG)), `${REG}/cloud/team/app`);
  assert.equal(formatRef(resolveImage('other.example:443/x/app:2', REG)), 'other.example:443/x/app:2');
  assert.equal(appOf(resolveImage('team/app:1', REG)), 'app');
});
