import type { Config } from '../config.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes } from '../adapters/nodes.js';
import { PinStore } from '../adapters/store/pins.js';
import { LABELS } from '../model/container-spec.js';
import { VOLUME_LABEL } from '../model/stateful.js';
import { formatTable } from '../model/table.js';
import { messageOf } from '../errors.js';
import { readCluster, type Cluster } from './cluster.js';

export interface VolumeInfo {
  node: string;
  name: string;
  plan: string;
  app: string;
  volume: string;
  /** bytes; -1 when Docker does not say */
  size: number;
  createdAt: string;
  /** the volumes the app's pin names (what its next container mounts) */
  pinned: boolean;
}

/** Every volume cloudmatrix made, on every node that answers, with its size. */
export async function listVolumes(config: Config): Promise<{ volumes: VolumeInfo[]; unreachable: { node: string; message: string }[] }> {
  const engines = new NodeEngines(config);
  try {
    const cluster = await readCluster(await listNodes(config), engines);
    return await volumesOf(config, cluster, engines);
  } finally {
    engines.closeAll();
  }
}

async function volumesOf(config: Config, cluster: Cluster, engines: NodeEngines): Promise<{ volumes: VolumeInfo[]; unreachable: { node: string; message: string }[] }> {
  const pins = new PinStore(config.stateDir).list();
  const unreachable = [...cluster.unreachable];
  const volumes: VolumeInfo[] = [];
  await Promise.all(
    cluster.nodes.filter((n) => n.reachable).map(async (n) => {
      const engine = engines.get(cluster.refs.get(n.name)!);
      try {
        const rows = await engine.listVolumes({ label: [VOLUME_LABEL] });
        const sizes = rows.length ? await engine.volumeSizes() : new Map<string, number>();
        for (const v of rows) {
          const plan = v.labels[LABELS.plan] ?? '';
          const app = v.labels[LABELS.app] ?? '';
          const volume = v.labels[VOLUME_LABEL] ?? '';
          const pin = pins.find((p) => p.plan === plan && p.app === app);
          volumes.push({ node: n.name, name: v.name, plan, app, volume, size: sizes.get(v.name) ?? -1, createdAt: v.createdAt, pinned: pin?.node === n.name && pin.volumes[volume] === v.name });
        }
      } catch (err) {
        unreachable.push({ node: n.name, message: messageOf(err) });
      }
    }),
  );
  volumes.sort((a, b) => (a.plan + a.app + a.volume + a.node < b.plan + b.app + b.volume + b.node ? -1 : 1));
  return { volumes, unreachable };
}

/** After an undeploy: the plan's volumes, removed (and its pins forgotten) with `delete`, else only listed as kept. */
export async function planVolumes(
  config: Config, plan: string, cluster: Cluster, engines: NodeEngines, opts: { delete: boolean; log: (l: string) => void; failures: string[] },
): Promise<{ removed: string[]; kept: string[] }> {
  const { volumes } = await volumesOf(config, cluster, engines);
  const mine = volumes.filter((v) => v.plan === plan);
  if (!opts.delete) {
    for (const v of mine) opts.log(`[${v.app}] ${v.node}: kept volume ${v.name} (undeploy --delete-volumes removes it)`);
    return { removed: [], kept: mine.map((v) => v.name) };
  }
  const removed: string[] = [];
  for (const v of mine) {
    try {
      await engines.get(cluster.refs.get(v.node)!).removeVolume(v.name);
      removed.push(v.name);
      opts.log(`[${v.app}] ${v.node}: removed volume ${v.name}`);
    } catch (err) {
      opts.failures.push(`${v.node}: could not remove volume ${v.name}: ${messageOf(err)}`);
    }
  }
  if (removed.length === mine.length) new PinStore(config.stateDir).remove(plan);
  return { removed, kept: mine.filter((v) => !removed.includes(v.name)).map((v) => v.name) };
}

const size = (b: number) => (b < 0 ? '?' : b < 1024 ? `${b} B` : b < 1 << 20 ? `${(b / 1024).toFixed(1)} KiB` : b < 1 << 30 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / (1 << 30)).toFixed(2)} GiB`);

export function formatVolumes(rows: readonly VolumeInfo[]): string {
  if (rows.length === 0) return 'no volumes';
  return formatTable([['PLAN', 'APP', 'VOLUME', 'NODE', 'NAME', 'SIZE', 'IN USE'], ...rows.map((v) => [v.plan, v.app, v.volume, v.node, v.name, size(v.size), v.pinned ? 'yes' : 'no'])]);
}
