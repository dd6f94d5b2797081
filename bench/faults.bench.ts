import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, stateDir } from '../src/config.js';
import { DEFAULT_DEADLINES } from '../src/adapters/docker.js';
import { readManifest } from '../src/lab/manifest.js';
import { cli } from '../test/integration/helpers/exec.js';
import { loadLoop } from '../test/integration/helpers/varnish-http.js';
import { busyboxImage, end, pidOf, start, waitForOutput, whileStopped } from '../test/integration/faults/helpers.js';
import type { BenchResult } from './lib.js';

// Issue #11's figures, with the default deadlines (a Docker call 10 s, the registry 10 s), on the lab.
const HOST = 'bfault.matrix.test';
const dir = mkdtempSync(join(tmpdir(), 'cmx-bench-faults-'));
const planFile = join(dir, 'benchfault.yaml');

function writePlan(tag: string, port = 8080): void {
  writeFileSync(planFile, `domain: matrix.test\napps:\n  bfault:\n    image: cloud/benchfault:${tag}\n    port: ${port}\n    replicas: 2\n    hosts: [${HOST}]\n    health: { path: /, interval: 1s, timeout: 500ms }\n`);
}

async function timed(args: string[]): Promise<{ code: number; ms: number; out: string }> {
  const t0 = Date.now();
  const r = await cli(args);
  return { code: r.code, ms: Date.now() - t0, out: r.stdout + r.stderr };
}

function must(r: { code: number; out: string }, code: number, what: string): void {
  if (r.code !== code) throw new Error(`${what}: exit ${r.code}, wanted ${code}: ${r.out.slice(-500)}`);
}

export async function run(): Promise<BenchResult[]> {
  const config = loadConfig();
  const lab = readManifest(stateDir())!;
  const node3 = pidOf(join(lab.nodes.find((n) => n.name === 'node3')!.dir, 'docker.pid'));
  const registry = pidOf(join(lab.lab, 'registry.pid'));
  const deadline = config.timeouts?.dockerCallMs ?? DEFAULT_DEADLINES.callMs;
  await busyboxImage('benchfault', '1');
  await busyboxImage('benchfault', '2');
  try {
    writePlan('1');
    must(await timed(['deploy-plan', planFile]), 0, 'first deploy');
    // Baseline: the same change (v1 -> v2) with every node answering.
    writePlan('2');
    const healthy = await timed(['deploy-plan', planFile]);
    must(healthy, 0, 'healthy deploy');
    writePlan('1');
    const hung = await whileStopped(node3, () => timed(['deploy-plan', planFile]));
    must(hung, 0, 'deploy with node3 hung');

    const noChange = await timed(['deploy-plan', planFile]);
    const registryHung = await whileStopped(registry, () => timed(['deploy-plan', planFile]));
    must(registryHung, 1, 'deploy with the registry hung');

    // SIGKILL a deploy while its new containers (nothing listens on 9999) wait for health, then recover.
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const load = loadLoop(HOST, { rps: 25, until, maxMs: 180_000, maxRequests: 4500 });
    writePlan('1', 9999);
    const killed = start(['deploy-plan', planFile, '--health-timeout', '60s']);
    await waitForOutput(killed, /started benchfault-bfault-\d[\s\S]*started benchfault-bfault-\d/, 30_000);
    await end(killed);
    must(await timed(['watch', '--once']), 0, 'watch --once');
    must(await timed(['deploy-plan', planFile, '--health-timeout', '4s']), 1, 'the broken plan again');
    writePlan('1');
    const recovered = await timed(['deploy-plan', planFile]);
    must(recovered, 0, 'recovering deploy');
    stop();
    const sequence = await load;
    const orphansLeft = /orphan/.test(recovered.out) ? 0 : 1;

    return [
      {
        name: 'deploy (v1->v2, 2 replicas) with a node dockerd hung (SIGSTOP)', value: hung.ms, unit: 'ms',
        baseline: { name: 'same deploy, every node answering', value: healthy.ms }, ratio: hung.ms / healthy.ms,
        goal: `<= deadline ${deadline} ms + 10 s`, ok: hung.ms <= deadline + 10_000,
      },
      {
        name: 'deploy with the registry hung (SIGSTOP): time to fail, nothing changed', value: registryHung.ms, unit: 'ms',
        baseline: { name: 'no-change deploy, registry answering', value: noChange.ms }, ratio: registryHung.ms / noChange.ms,
        goal: '< 30 s', ok: registryHung.ms < 30_000,
      },
      {
        name: `requests failed: SIGKILL mid-health, watch --once, broken redeploy, good redeploy (of ${sequence.sent})`, value: sequence.failed, unit: 'req',
        baseline: { name: 'requests sent', value: sequence.sent }, goal: '0 failed, orphans removed', ok: sequence.failed === 0 && orphansLeft === 0,
      },
    ];
  } finally {
    await cli(['undeploy', 'benchfault']);
  }
}
