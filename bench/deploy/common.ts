// Helpers shared by bench/deploy.bench.ts and bench/zero-downtime.bench.ts.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request, type Agent } from 'node:http';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Config } from '../../src/config.js';
import { UserError } from '../../src/errors.js';
import { DockerEngine } from '../../src/adapters/docker.js';
import { ensureImage } from '../../src/adapters/docker/node-image.js';
import { dockerSocketPath, listNodes } from '../../src/adapters/nodes.js';
import { RegistryClient } from '../../src/adapters/registry.js';
import { pullAuthFor, pullEndpoint } from '../../src/adapters/registry-access.js';
import { findRegistryImage } from '../../src/adapters/registry-image.js';
import { createImage } from '../../src/images/create.js';
import { installImage } from '../../src/images/install.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { deployPlan, type DeployOptions, type DeployReport } from '../../src/deploy/deploy.js';
import { repoName, resolveImage, type ImageRef } from '../../src/model/image-ref.js';
import { containerSpec } from '../../src/model/container-spec.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const say = (line: string) => process.stderr.write(`  ${line}\n`);

export interface BenchNode {
  name: string;
  ip: string;
  /** the node's dockerd, by its local unix socket (the lab runs on this machine) */
  socket: string;
  docker: Docker;
}

/** The lab's nodes with their local docker sockets (lab.json), falling back to config.ssh.dockerSocket. */
export async function benchNodes(config: Config): Promise<BenchNode[]> {
  const manifest = join(config.stateDir, 'lab', 'lab.json');
  const dirs = new Map<string, string>();
  if (existsSync(manifest)) {
    const lab = JSON.parse(readFileSync(manifest, 'utf8')) as { nodes: { name: string; dir: string }[] };
    for (const n of lab.nodes) dirs.set(n.name, n.dir);
  }
  const nodes = (await listNodes(config)).sort((a, b) => a.name.localeCompare(b.name));
  if (nodes.length === 0) throw new Error('no nodes: is the lab up? (cloudmatrix lab status)');
  return nodes.map((n) => {
    const dir = dirs.get(n.name);
    const socket = dir ? join(dir, 'docker.sock') : dockerSocketPath(config, n.name);
    return { name: n.name, ip: n.ip, socket, docker: new Docker({ socketPath: socket }) };
  });
}

/**
 * The image NAME:TAG in the private registry, built from appDir and pushed only when the
 * registry does not hold it yet (a rebuild would hand other users' plans a new digest).
 */
export async function registryImage(config: Config, appDir: string, name: string): Promise<ImageRef & { digest: string }> {
  const registry = new RegistryClient(config.registry, pullEndpoint(config));
  const ref = resolveImage(name, config.registry);
  try {
    const found = await findRegistryImage(registry, ref);
    return { ...found.ref, digest: found.digest };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
  }
  say(`${name} is not in the registry: create-image ${appDir} ${name}, install-image ${name}`);
  await createImage({ appDir, name, config, progress: () => undefined });
  const installed = await installImage({ name, config, progress: () => undefined });
  return { ...ref, digest: installed.digest };
}

/** Every node holds the image (by digest) before any timed phase, so no phase pays a pull (with the registry's pull credentials). */
export async function prepull(nodes: readonly BenchNode[], ref: ImageRef & { digest: string }, config?: Config): Promise<void> {
  const auth = config ? pullAuthFor(config, config.registry) : {};
  await Promise.all(nodes.map((n) => ensureImage(new DockerEngine(n.name, n.docker), ref, () => undefined, auth)));
}

export const byDigest = (ref: ImageRef & { digest: string }) => `${repoName(ref)}@${ref.digest}`;

const LOCK_BUSY = /another deploy (holds|is taking) the lock/;
const LOCK_WAIT_MS = 120_000;

/** Retries `fn` while another deploy (someone else's) holds the deploy lock, at most 2 minutes. */
async function whileLocked<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + LOCK_WAIT_MS;
  let told = false;
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!LOCK_BUSY.test((err as Error).message) || Date.now() > until || i > 1000) throw err;
      if (!told) say(`${what}: waiting for the deploy lock (${(err as Error).message})`);
      told = true;
      await sleep(250);
    }
  }
}

export interface TimedDeploy {
  report: DeployReport;
  /** wall time of the deployPlan call that held the lock */
  ms: number;
  /** the deploy's progress log, each line with its offset from the start of that call */
  log: { at: number; line: string }[];
}

/** deployPlan, timed; a failed or partial result throws (with the log's last lines). */
export async function timedDeploy(config: Config, opts: Omit<DeployOptions, 'log'>): Promise<TimedDeploy> {
  return whileLocked(`deploy ${opts.planFile}`, async () => {
    const log: TimedDeploy['log'] = [];
    const t0 = performance.now();
    const report = await deployPlan(config, { ...opts, log: (line) => log.push({ at: performance.now() - t0, line }) });
    const ms = performance.now() - t0;
    if (report.result === 'failed' || report.result === 'partial') {
      const tail = log.slice(-8).map((l) => l.line).join('\n    ');
      throw new Error(`deploy of ${opts.planFile}: ${report.result}\n    ${tail}`);
    }
    return { report, ms, log };
  });
}

/** undeploy, waiting for the lock; a plan that is not deployed is fine. */
export async function undeployQuietly(config: Config, plan: string): Promise<number> {
  return whileLocked(`undeploy ${plan}`, async () => {
    try {
      return (await undeploy(config, plan)).removed;
    } catch (err) {
      if (/is not deployed/.test((err as Error).message)) return 0;
      throw err;
    }
  });
}

/** Removes every container of a bench plan on every node, whatever undeploy left (by label). */
export async function removeLabelled(nodes: readonly BenchNode[], label: string): Promise<number> {
  let n = 0;
  await Promise.all(nodes.map(async (node) => {
    const list = await node.docker.listContainers({ all: true, filters: { label: [label] } });
    n += list.length;
    await Promise.all(list.map((c) => node.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }));
  return n;
}

/** A bench plan gone from the cluster: undeployed, and any container of it that undeploy left removed. */
export async function clearPlan(config: Config, nodes: readonly BenchNode[], plan: string): Promise<void> {
  await undeployQuietly(config, plan);
  await removeLabelled(nodes, `cloudmatrix.plan=${plan}`);
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One GET; rejects on a network error or after timeoutMs. */
export function httpGet(
  o: { host: string; port: number; path?: string; hostHeader?: string; timeoutMs: number; agent?: Agent | false },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: o.host, port: o.port, path: o.path ?? '/', method: 'GET', agent: o.agent ?? false, headers: o.hostHeader ? { Host: o.hostHeader } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(o.timeoutMs, () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls http://ip:port/ every intervalMs until it answers 200 (bounded by deadlineMs). */
export async function waitHttp(ip: string, port: number, opts: { intervalMs: number; deadlineMs: number }): Promise<void> {
  const until = Date.now() + opts.deadlineMs;
  let last = 'not tried';
  for (;;) {
    try {
      const r = await httpGet({ host: ip, port, timeoutMs: 1000 });
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > until) throw new Error(`http://${ip}:${port}/ not answering after ${opts.deadlineMs} ms: ${last}`);
    await sleep(opts.intervalMs);
  }
}

/** One container of a floor: started directly over its node's local socket, not by cloudmatrix. */
export interface FloorSlot {
  name: string;
  app: string;
  node: BenchNode;
}

/**
 * Docker's floor for a deploy: every slot's container created, started and answering on port
 * 8080, all at once, over the local sockets. Labelled `label` (not a cloudmatrix container: ps and
 * deploys ignore it; removeLabelled cleans it up). Returns the whole time and the slowest single
 * `docker start` (the figure to set against cloudmatrix's per-call deadline).
 */
export async function floorStartAll(slots: readonly FloorSlot[], image: string, label: [string, string], wait: { intervalMs: number; deadlineMs: number }): Promise<{ ms: number; slowestStartMs: number }> {
  let slowestStartMs = 0;
  const t0 = performance.now();
  // allSettled: a failure still lets every create finish, so the cleanup afterwards sees them all
  const settled = await Promise.allSettled(slots.map(async (s) => {
    const spec = containerSpec({ name: s.name, app: s.app, plan: 'x', revision: 'x', image, containerPort: 8080, hostIp: s.node.ip, env: {} });
    spec.Labels = { [label[0]]: label[1] };
    const c = await s.node.docker.createContainer(spec);
    const s0 = performance.now();
    await c.start();
    slowestStartMs = Math.max(slowestStartMs, performance.now() - s0);
    const port = Number((await c.inspect()).NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort);
    await waitHttp(s.node.ip, port, wait);
  }));
  const ms = performance.now() - t0;
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { ms, slowestStartMs };
}

export function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${(err as Error).message} ${stderr.trim()}`));
      else resolve(stdout);
    });
  });
}

/** Seconds since the epoch with nanoseconds, as `docker events --since/--until` take them. */
export const dockerTime = (epochMs: number) => (epochMs / 1000).toFixed(9);

/**
 * The container events each node's dockerd recorded between two instants (epoch ms), with
 * extra `--filter`s (e.g. `label=cloudmatrix.plan=x`). Returns `action name` lines per node.
 */
export async function containerEvents(
  nodes: readonly BenchNode[], fromMs: number, toMs: number, filters: readonly string[] = [],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await Promise.all(nodes.map(async (n) => {
    const args = ['-H', `unix://${n.socket}`, 'events', '--since', dockerTime(fromMs), '--until', dockerTime(toMs),
      '--filter', 'type=container', ...filters.flatMap((f) => ['--filter', f]), '--format', '{{.Action}} {{.Actor.Attributes.name}}'];
    const text = await run('docker', args, 15_000);
    out.set(n.name, text.split('\n').filter((l) => l.trim() !== ''));
  }));
  return out;
}
