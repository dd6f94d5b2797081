import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { followProgress, ProgressError } from '../../src/adapters/docker/progress.js';
import { buildStep, eventError, progressLine } from '../../src/model/progress-events.js';

test('an error is an event: error or errorDetail', () => {
  assert.equal(eventError({ status: 'Pushing' }), null);
  assert.equal(eventError({ error: 'boom' }), 'boom');
  assert.equal(eventError({ errorDetail: { message: 'detail' }, error: 'boom' }), 'detail');
});

test('build steps are found in output chunks', () => {
  assert.equal(buildStep('Step 3/5 : COPY www /www\n'), 'Step 3/5 : COPY www /www');
  assert.equal(buildStep(' ---> Using cache\n'), null);
});

test('push lines: one per status change of a layer', () => {
  const last = new Map<string, string>();
  assert.equal(progressLine({ status: 'The push refers to repository [r/x]' }, last), 'The push refers to repository [r/x]');
  assert.equal(progressLine({ id: 'l1', status: 'Pushing', progressDetail: { current: 1, total: 2048 } }, last), 'l1: Pushing (2.0 KiB)');
  assert.equal(progressLine({ id: 'l1', status: 'Pushing', progressDetail: { current: 2, total: 2048 } }, last), null);
  assert.equal(progressLine({ id: 'l1', status: 'Pushed' }, last), 'l1: Pushed');
});

test('followProgress rejects on the first error event and stops reading', async () => {
  const lines = ['{"stream":"Step 1/2 : FROM scratch\\n"}', '{"errorDetail":{"message":"no such file"},"error":"no such file"}', '{"stream":"never"}'];
  const seen: string[] = [];
  await assert.rejects(
    followProgress(Readable.from([lines.join('\n') + '\n']), (e) => seen.push(e.stream ?? '')),
    (err: unknown) => err instanceof ProgressError && err.message === 'no such file',
  );
  assert.deepEqual(seen, ['Step 1/2 : FROM scratch\n']);
});
