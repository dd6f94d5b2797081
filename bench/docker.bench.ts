import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { loadConfig, type Config } from '../src/config.js';
import { NodeEngines } from '../src/adapters/docker.js';
import { checkHostKey, lookupNames, parseKnownHosts } from '../src/adapters/docker/known-hosts.js';
import { listNodes, type NodeRef } from '../src/adapters/nodes.js';
import { createImage } from '../src/images/create.js';
import { installImage } from '../src/images/install.js';
import { listCloudContainers } from '../src/deploy/cluster.js';
import { runContainer } from '../src/containers/run.js';
import { LABELS } from '../src/model/container-spec.js';
import { median, timeRuns, type BenchResult } from './lib.js';

const POOLED_RUNS = 50;
const STOCK_RUNS = 8;
const PS_CONTAINERS = 30;
const PS_RUNS = 20;
const APP = 'bench-ps-web';
const quiet = () => undefined;

/** dockerode's own SSH transport (a new connection per request), with the same key and host keys. */
function stockSsh(config: Config, node: NodeRef): Docker {
  const entries = parseKnownHosts(readFileSync(config.ssh.knownHostsFile, 'utf8'));
  return new Docker({
    protocol: 'ssh', host: node.ip, port: config.ssh.port, username: config.ssh.user,
    sshOptions: {
      privateKey: readFileSync(config.ssh.keyFile),
      hostVerifier: (key: Buffer) => checkHostKey(entries, lookupNames([node.name, node.ip], config.ssh.port), key) === 'ok',
    },
  });
}

function versus(name: string, pooled: number[], stock: number[]): BenchResult {
  const value = median(pooled);
  const base = median(stock);
  const ratio = base / value;
  return {
    name, value, unit: 'ms', baseline: { name: "dockerode protocol 'ssh'", value: base }, ratio,
    goal: '<= 5 ms median, >= 20x faster', ok: value <= 5 && ratio >= 20,
  };
}

async function removeBenchContainers(nodes: readonly NodeRef[], engines: NodeEngines): Promise<void> {
  await Promise.all(nodes.map(async (node) => {
    const docker = engines.get(node);
    const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.app}=${APP}`] } });
    await Promise.all(list.map((c) => docker.removeContainer(c.Id)));
  }));
}

async function startBenchContainers(config: Config, nodes: readonly NodeRef[], engines: NodeEngines): Promise<void> {
  await createImage({ appDir: 'images/simplewebapp1', name: `${APP}:1`, config, progress: quiet });
  await installImage({ name: `${APP}:1`, config, progress: quiet });
  const perNode = Math.ceil(PS_CONTAINERS / nodes.length);
  await Promise.all(nodes.map(async (node) => {
    for (let i = 0; i < perNode; i += 5) {
      const batch = Array.from({ length: Math.min(5, perNode - i) }, (_, j) => `${APP}-${node.name}-${i + j}`);
      await Promise.all(batch.map((name) => runContainer({ node: node.name, image: `${APP}:1`, name, config, engines, progress: quiet })));
    }
  }));
}

export async function run(): Promise<BenchResult[]> {
  const config = loadConfig();
  const nodes = await listNodes(config);
  const node = nodes[0]!;
  const engines = new NodeEngines(config);
  try {
    const pooled = engines.get(node);
    const stock = stockSsh(config, node);
    const results = [
      versus('docker ping over SSH', await timeRuns(() => pooled.ping(), POOLED_RUNS, 3), await timeRuns(() => stock.ping(), STOCK_RUNS)),
      versus('docker listContainers over SSH',
        await timeRuns(() => pooled.listContainers({ all: true }), POOLED_RUNS, 3),
        await timeRuns(() => stock.listContainers({ all: true }), STOCK_RUNS)),
    ];
    await removeBenchContainers(nodes, engines);
    try {
      await startBenchContainers(config, nodes, engines);
      let listed = 0;
      const times = await timeRuns(async () => {
        listed = (await listCloudContainers(nodes, engines)).containers.filter((c) => c.app === APP).length;
      }, PS_RUNS, 2);
      results.push({
        name: `ps over ${nodes.length} nodes, ${listed} containers`, value: median(times), unit: 'ms',
        goal: '< 100 ms with connections open', ok: median(times) < 100 && listed === PS_CONTAINERS,
      });
    } finally {
      await removeBenchContainers(nodes, engines);
    }
    return results;
  } finally {
    engines.closeAll();
  }
}
