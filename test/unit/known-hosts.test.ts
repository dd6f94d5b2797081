import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { checkHostKey, lookupNames, parseKnownHosts, patternsMatch } from '../../src/adapters/docker/known-hosts.js';

const KEY = Buffer.from('key-of-node1');
const OTHER = Buffer.from('another-key');
const b64 = (b: Buffer) => b.toString('base64');

function hashed(name: string): string {
  const salt = Buffer.from('0123456789abcdefghij');
  return `|1|${b64(salt)}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

test('parses entries, markers and comments', () => {
  const text = `# comment\n\nnode1,10.77.0.201 ssh-ed25519 ${b64(KEY)}\n@revoked * ssh-ed25519 ${b64(OTHER)} old\n`;
  const entries = parseKnownHosts(text);
  assert.equal(entries.length, 2);
  assert.deepEqual(entries[0]!.patterns, ['node1', '10.77.0.201']);
  assert.equal(entries[0]!.line, 3);
  assert.equal(entries[1]!.marker, '@revoked');
});

test('patterns: exact, glob, negation, hashed, [host]:port', () => {
  assert.ok(patternsMatch(['node1'], 'NODE1'));
  assert.ok(patternsMatch(['10.77.0.*'], '10.77.0.9'));
  assert.ok(!patternsMatch(['10.77.0.*', '!10.77.0.9'], '10.77.0.9'));
  assert.ok(patternsMatch([hashed('node1')], 'node1'));
  assert.ok(!patternsMatch([hashed('node1')], 'node2'));
  assert.deepEqual(lookupNames(['node1'], 2222), ['[node1]:2222']);
});

test('verdicts: ok, unknown, changed, revoked', () => {
  const entries = parseKnownHosts(`node1,10.77.0.201 ssh-ed25519 ${b64(KEY)}\nnode2 ssh-ed25519 ${b64(OTHER)}\n`);
  assert.equal(checkHostKey(entries, ['node1', '10.77.0.201'], KEY), 'ok');
  assert.equal(checkHostKey(entries, ['node1', '10.77.0.201'], OTHER), 'changed');
  assert.equal(checkHostKey(entries, ['node3', '10.77.0.203'], KEY), 'unknown');
  const revoked = parseKnownHosts(`@revoked * ssh-ed25519 ${b64(KEY)}\nnode1 ssh-ed25519 ${b64(KEY)}\n`);
  assert.equal(checkHostKey(revoked, ['node1'], KEY), 'revoked');
});
