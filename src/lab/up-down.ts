import { existsSync } from 'node:fs';
import { configPath, stateDir } from '../config.js';
import { UserError } from '../errors.js';
import { hostAddresses, isRoot } from './host.js';
import { readManifest } from './manifest.js';
import { parseBridge, parseNodeCount, parseSubnet } from './options.js';
import { varnishdOption } from './varnishd.js';
import { runLabScript } from './run-script.js';
import { ensureSecretKey } from '../adapters/store/secrets.js';
import { UserStore } from '../adapters/store/users.js';
import { labStatus } from './status.js';
import { stopKeepers } from '../adapters/docker/keeper.js';

export interface LabUpOptions {
  nodes?: string;
  bridge?: string;
  subnet?: string;
  recreate?: boolean;
  varnish?: string;
}

function requireRoot(): void {
  if (!isRoot()) throw new UserError('the lab needs root (network namespaces, bridges, daemons): run as root');
}

export async function labUp(opts: LabUpOptions): Promise<void> {
  const nodes = parseNodeCount(opts.nodes);
  const bridge = parseBridge(opts.bridge);
  const subnet = parseSubnet(opts.subnet, bridge, hostAddresses());
  const varnishd = varnishdOption(opts.varnish);
  requireRoot();
  const previous = readManifest(stateDir());
  const same = previous && previous.bridge === bridge && previous.subnet === subnet && previous.nodes.length === nodes
    && (previous.varnishd ?? 'varnishd') === varnishd.path
    // A lab from before HTTPS at the router (no hitch, no pebble) or before git over SSH is rebuilt.
    && !!previous.tls && !!previous.acme && !!previous.git;
  if (same && !opts.recreate && existsSync(configPath()) && (await labStatus(previous)).ok) {
    // Already up and healthy in this shape: leave the running nodes (and their containers) be.
    await runLabScript('install-packages.sh', {}, true);
    ensureSecretKey(stateDir());
    console.log(`lab: already up on ${bridge} ${subnet} with ${nodes} node(s) (--recreate to rebuild it)`);
    return;
  }
  // Kept SSH connections go to the nodes that are about to be replaced.
  stopKeepers(stateDir());
  if (previous && previous.bridge !== bridge) {
    await runLabScript('lab/down.sh', { CMX_STATE_DIR: stateDir(), CMX_BRIDGE: previous.bridge }, true);
  }
  await runLabScript('lab/up.sh', {
    CMX_STATE_DIR: stateDir(),
    CMX_NODES: String(nodes),
    CMX_BRIDGE: bridge,
    CMX_SUBNET: subnet,
    CMX_LAB_VARNISHD: varnishd.path,
  });
  ensureSecretKey(stateDir());
  // The git sshd reads the users' keys from here: it is the store's, whatever up.sh found.
  new UserStore(stateDir()).syncAuthorizedKeys();
  if (varnishd.path !== 'varnishd') console.log(`lab: the router runs varnishd ${varnishd.version} (${varnishd.path})`);
}

export async function labDown(opts: { bridge?: string }): Promise<void> {
  requireRoot();
  const bridge = opts.bridge ? parseBridge(opts.bridge) : (readManifest(stateDir())?.bridge ?? 'cmx0');
  stopKeepers(stateDir());
  await runLabScript('lab/down.sh', { CMX_STATE_DIR: stateDir(), CMX_BRIDGE: bridge });
  console.log(`lab: down (${bridge})`);
}
