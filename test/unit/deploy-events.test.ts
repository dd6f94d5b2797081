import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { History } from '../../src/adapters/store/history.js';
import { deployEvents } from '../../src/deploy/deploy-events.js';
import { readEvents } from '../../src/events/log.js';
import { fakeRecord, fakeReport } from './helpers/fake-deps.js';

const actor = { user: 'alice', via: 'cli' as const };

describe('deploy events', () => {
  it('started names the apps; finished carries revision and digest from the history record; the type follows kind and result', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'cmx-deploy-events-'));
    new History(stateDir, () => undefined).append({ ...fakeRecord('20260101T000000-abcdef', 'ok'), plan: 'p' });
    const ev = deployEvents({ stateDir }, 'p', ['web'], 'rollback', actor);
    ev.started();
    ev.finished(fakeReport({ apps: [{ app: 'web', result: 'ok', started: 1, stopped: 1 }] }));
    deployEvents({ stateDir }, 'p', ['web', 'api'], 'autoscale', actor, 'autoscale web 1 -> 2').finished(fakeReport({ apps: [{ app: 'web', result: 'ok', started: 1, stopped: 0 }] }));
    deployEvents({ stateDir }, 'p', ['web'], 'deploy', actor).finished(fakeReport({ result: 'failed', apps: [{ app: 'web', result: 'failed', started: 1, stopped: 0, error: 'never healthy' }] }));
    deployEvents({ stateDir }, 'p', ['web'], 'deploy', actor).threw(new Error('node1 is unreachable'));
    const [started, rolled, scaled, failed, threw] = readEvents(stateDir);
    assert.deepEqual([started!.type, started!.app, started!.apps, started!.user, started!.kind], ['deploy.started', 'web', [{ app: 'web' }], 'alice', 'rollback']);
    assert.equal(rolled!.type, 'deploy.rolled_back');
    assert.deepEqual(rolled!.apps, [{ app: 'web', result: 'ok', revision: 'r1', digest: 'sha256:00' }]);
    assert.equal(rolled!.deploy, '20260101T000000-abcdef');
    assert.equal(scaled!.type, 'autoscale.scaled');
    assert.match(scaled!.message, /autoscale web 1 -> 2/);
    assert.deepEqual(scaled!.apps?.map((a) => [a.app, a.result]), [['web', 'ok'], ['api', 'unchanged']]);
    assert.equal(failed!.type, 'deploy.failed');
    assert.match(failed!.message, /web: never healthy/);
    assert.deepEqual([threw!.type, threw!.app], ['deploy.failed', 'web']);
    assert.match(threw!.message, /node1 is unreachable/);
    assert.ok(!JSON.stringify(readEvents(stateDir)).includes('"spec"'), 'no app spec (env, secrets names) in events');
  });
});
