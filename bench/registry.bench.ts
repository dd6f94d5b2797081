import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { NodeEngines, type NodeEngine } from '../src/adapters/docker.js';
import { findNode } from '../src/adapters/nodes.js';
import { pullAuthFor } from '../src/adapters/registry-access.js';
import { createImage } from '../src/images/create.js';
import { installImage } from '../src/images/install.js';
import { readManifest } from '../src/lab/manifest.js';
import { median, type BenchResult } from './lib.js';

// Pull of a ~50 MB image by node1's dockerd: from the registry's node face (TLS + pull
// credentials, over the lab bridge) against a plain-HTTP read-only instance on the same store
// that node1 reaches on its own loopback (dockerd trusts 127.0.0.0/8 without TLS: the only plain
// registry a node may use without --insecure-registry).
const RUNS = 5;
const MB = 50;
const PLAIN = '127.0.0.1:5999';
const NAME = 'bench-reg-big';
const quiet = () => undefined;

function bigImageDir(): string {
  const ctx = mkdtempSync(join(tmpdir(), 'cmx-bench-reg-'));
  copyFileSync('/bin/busybox', join(ctx, 'busybox'));
  mkdirSync(join(ctx, 'data'));
  // Random bytes: compression must not shrink what goes over the wire.
  for (let i = 0; i < MB; i++) writeFileSync(join(ctx, 'data', `chunk${i}`), randomBytes(1 << 20));
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY data /data\nCMD ["/bin/busybox", "true"]\n');
  return ctx;
}

async function timedPull(engine: NodeEngine, socket: string, repo: string, digest: string, auth: Record<string, string>): Promise<number> {
  const t = performance.now();
  await engine.pullImage(repo, digest, { serveraddress: repo.split('/')[0]!, ...auth }, quiet);
  const ms = performance.now() - t;
  const info = await engine.inspectImage(`${repo}@${digest}`);
  // By image ID with force: every name of it goes, so the next pull fetches every layer again.
  if (info) execFileSync('docker', ['-H', `unix://${socket}`, 'image', 'rm', '-f', info.Id], { stdio: 'ignore' });
  return ms;
}

export async function run(): Promise<BenchResult[]> {
  const config = loadConfig();
  const lab = readManifest(config.stateDir);
  if (!lab || !config.registryAccess) throw new Error('registry bench: needs the lab with a private registry (lab up)');
  const node = lab.nodes[0]!;
  const socket = join(node.dir, 'docker.sock');
  const ctx = bigImageDir();
  const dir = mkdtempSync(join(tmpdir(), 'cmx-bench-plain-'));
  const engines = new NodeEngines(config);
  let plain: ReturnType<typeof spawn> | undefined;
  try {
    await createImage({ appDir: ctx, name: `${NAME}:1`, config, progress: quiet });
    const { digest } = await installImage({ name: `${NAME}:1`, config, progress: quiet });
    execFileSync('bash', ['-c', 'source scripts/provision/render-configs.sh && write_registry_config "$1" "$2" "$3" true', '_',
      join(dir, 'plain.yml'), PLAIN, join(config.stateDir, 'registry')]);
    plain = spawn('nsenter', [`--net=/var/run/netns/${node.netns}`, 'docker-registry', 'serve', join(dir, 'plain.yml')], { stdio: 'ignore' });
    execFileSync('nsenter', [`--net=/var/run/netns/${node.netns}`, 'bash', '-c',
      `for i in $(seq 100); do curl -fs http://${PLAIN}/v2/ >/dev/null && exit 0; sleep 0.1; done; exit 1`]);
    const engine = engines.get(await findNode(config, node.name));
    const tls: number[] = [];
    const http: number[] = [];
    const privateRepo = `${config.registry}/cloud/${NAME}`;
    for (let i = 0; i < RUNS + 1; i++) {
      const a = await timedPull(engine, socket, privateRepo, digest, pullAuthFor(config, config.registry));
      const b = await timedPull(engine, socket, `${PLAIN}/cloud/${NAME}`, digest, {});
      if (i > 0) (tls.push(a), http.push(b));
    }
    const value = median(tls);
    const base = median(http);
    return [{
      name: `node pull of a ${MB} MB image, TLS + credentials`, value, unit: 'ms',
      baseline: { name: 'plain HTTP, same store', value: base }, ratio: value / base,
      goal: '<= 1.5x plain HTTP', ok: value / base <= 1.5,
    }];
  } finally {
    plain?.kill();
    engines.closeAll();
    rmSync(ctx, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}
