import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextFilter, contextHash, type ContextEntry } from '../../src/model/build-context.js';

test('.dockerignore: root-relative patterns, ** globs, exceptions; Dockerfile always sent', () => {
  const f = contextFilter('*.md\n**/*.log\nprepare.sh\nDockerfile\nsecret/\n!secret/keep.txt\n');
  const got = ['README.md', 'docs/a.md', 'x/y/z.log', 'prepare.sh', 'Dockerfile', 'secret/a', 'secret/keep.txt', 'www/index.html']
    .filter((p) => f.includes(p));
  assert.deepEqual(got, ['docs/a.md', 'Dockerfile', 'secret/keep.txt', 'www/index.html']);
  assert.equal(f.canPrune, false);
  assert.equal(contextFilter('node_modules\n').canPrune, true);
  assert.ok(contextFilter('').includes('anything/at/all'));
});

test('context hash: 12 hex, order-independent, sensitive to path, content and exec bit', () => {
  const a: ContextEntry = { path: 'a', kind: 'file', executable: false, sha256: '1' };
  const b: ContextEntry = { path: 'b', kind: 'file', executable: true, sha256: '2' };
  const h = contextHash([a, b]);
  assert.match(h, /^[0-9a-f]{12}$/);
  assert.equal(contextHash([b, a]), h);
  assert.notEqual(contextHash([{ ...a, path: 'c' }, b]), h);
  assert.notEqual(contextHash([{ ...a, sha256: '3' }, b]), h);
  assert.notEqual(contextHash([a, { ...b, executable: false }]), h);
});
