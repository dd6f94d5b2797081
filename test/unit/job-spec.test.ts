import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobContainerSpec, jobRunId, runsToRemove } from '../../src/model/job-spec.js';
import { app } from './helpers/cluster.js';

test('jobContainerSpec: a job label instead of the replica labels, never restarted, no port, the command and limits', () => {
  const spec = jobContainerSpec({
    plan: 'ops', app: app('nightly', { worker: true, port: 0, command: ['/bin/busybox', 'true'], resources: { memory: 1024 } }), runId: 'R1', image: 'reg/x@sha256:ab', hostIp: '10.0.0.2', env: { A: '1' },
  });
  assert.equal(spec.name, 'ops-nightly-run-R1');
  assert.deepEqual(spec.Labels, { 'cloudmatrix.memory': '1024', 'cloudmatrix.job': 'ops/nightly', 'cloudmatrix.job.run': 'R1' });
  assert.deepEqual(spec.HostConfig?.RestartPolicy, { Name: 'no' });
  assert.equal(spec.HostConfig?.PortBindings, undefined);
  assert.deepEqual(spec.Cmd, ['/bin/busybox', 'true']);
  assert.deepEqual(spec.Env, ['A=1']);
  assert.equal(spec.HostConfig?.Memory, 1024);
});

test('jobRunId sorts by time; runsToRemove keeps the newest finished ones and never a running one', () => {
  assert.equal(jobRunId(new Date('2026-01-02T03:04:05.678Z'), 'ab'), '20260102T030405Z-ab');
  const c = (name: string, running = false) => ({ name, running });
  assert.deepEqual(runsToRemove([c('j-run-3'), c('j-run-1'), c('j-run-4', true), c('j-run-2')], 2), ['j-run-1']);
  assert.deepEqual(runsToRemove([c('a')], 5), []);
});
