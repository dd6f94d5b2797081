import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { visibleImages } from '../../src/api/visible.js';
import { BUILTIN_ADMIN } from '../../src/model/users/permissions.js';

const repos = [
  { repository: 'cloud/web', tags: [{ tag: '1', digest: 'sha256:1', size: 10, heldBy: ['deployed staging/web', 'deployed other/web'], prunable: false }] },
  { repository: 'cloud/api', tags: [{ tag: '1', digest: 'sha256:2', heldBy: [], prunable: true }] },
];

describe('images as the API shows them', () => {
  it('admins see what holds each tag; others only their apps\' repositories, without heldBy (it names other plans)', () => {
    assert.deepEqual(visibleImages(BUILTIN_ADMIN, repos), repos);
    const viewer = { name: 'v', role: 'viewer' as const, apps: ['web'] };
    assert.deepEqual(visibleImages(viewer, repos), [{ repository: 'cloud/web', tags: [{ tag: '1', digest: 'sha256:1', size: 10, prunable: false }] }]);
  });
});
