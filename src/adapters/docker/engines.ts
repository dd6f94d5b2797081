import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { Config } from '../../config.js';
import { dockerSocketPath, type NodeRef } from '../nodes.js';
import { DEFAULT_DEADLINES, DockerEngine, type EngineDeadlines, type NodeEngine } from './engine.js';
import { keeperPaths, keeperWanted, KeeperUnavailable, openViaKeeper, startKeeper } from './keeper.js';
import { readKey, SshTunnel } from './ssh-tunnel.js';
import { StreamAgent } from './stream-agent.js';

/** The transport under a node's engine: a dockerode client whose every request is a channel of one SSH connection. */
export interface SshTransport {
  node: NodeRef;
  docker: Docker;
  tunnel: SshTunnel;
  agent: StreamAgent;
}


/** The deadlines of the config's `timeouts` section (defaults where it says nothing). */
export function deadlinesOf(config: Partial<Pick<Config, 'timeouts'>>): EngineDeadlines {
  const t = config.timeouts;
  return {
    callMs: t?.dockerCallMs ?? DEFAULT_DEADLINES.callMs,
    idleMs: t?.dockerIdleMs ?? DEFAULT_DEADLINES.idleMs,
    transferMs: t?.dockerTransferMs ?? DEFAULT_DEADLINES.transferMs,
    heartbeatMs: t?.dockerHeartbeatMs ?? DEFAULT_DEADLINES.heartbeatMs,
    busyMs: t?.dockerBusyMs ?? DEFAULT_DEADLINES.busyMs,
  };
}

/**
 * Streams through the SSH keeper (keeper.ts) when one runs; else directly over `tunnel`, and a
 * keeper is started for the commands after this one.
 */
function viaKeeper(keeper: Pick<Config, 'ssh' | 'stateDir'>, tunnel: SshTunnel): () => Promise<Duplex> {
  const socket = keeperPaths(keeper).socket;
  const req = { node: tunnel.opts.node, ip: tunnel.opts.ip, socketPath: tunnel.opts.socketPath };
  return async () => {
    try {
      return await openViaKeeper(socket, req);
    } catch (err) {
      if (!(err instanceof KeeperUnavailable)) throw err;
      startKeeper(keeper);
      return tunnel.openStream();
    }
  };
}

/** Docker on `node` over SSH; with `keeper`, through the SSH keeper of that setup when one runs. */
export function sshTransport(config: Pick<Config, 'ssh'>, node: NodeRef, privateKey?: Buffer, keeper?: Pick<Config, 'ssh' | 'stateDir'>): SshTransport {
  const tunnel = new SshTunnel({
    node: node.name,
    ip: node.ip,
    port: config.ssh.port,
    user: config.ssh.user,
    privateKey: privateKey ?? readKey(config.ssh.keyFile),
    knownHostsFile: config.ssh.knownHostsFile,
    socketPath: dockerSocketPath(config, node.name),
  });
  const agent = new StreamAgent(keeper ? viaKeeper(keeper, tunnel) : () => tunnel.openStream());
  // host and port only name the connection for http; the agent never dials them.
  const options: Docker.DockerOptions & { agent: StreamAgent } = { protocol: 'http', host: node.name, port: 2375, agent };
  return { node, docker: new Docker(options), tunnel, agent };
}

/** The manager's own dockerd, by its unix socket (builds and pushes). */
export function localEngine(config: Pick<Config, 'localDocker'> & Partial<Pick<Config, 'timeouts'>>): NodeEngine {
  return new DockerEngine('manager', new Docker({ socketPath: config.localDocker.socketPath }), deadlinesOf(config));
}

/** One engine per node name over a pooled SSH connection; a node whose address changed gets a new one. */
export class NodeEngines {
  private readonly transports = new Map<string, { transport: SshTransport; engine: NodeEngine }>();
  private key: Buffer | undefined;
  private readonly deadlines: EngineDeadlines;

  /** the SSH setup whose keeper streams go through, when this process uses one (the CLI does) */
  private readonly keeper: Pick<Config, 'ssh' | 'stateDir'> | undefined;

  constructor(private readonly config: Pick<Config, 'ssh'> & Partial<Pick<Config, 'timeouts' | 'stateDir'>>) {
    this.deadlines = deadlinesOf(config);
    this.keeper = keeperWanted(config) ? (config as Pick<Config, 'ssh' | 'stateDir'>) : undefined;
  }

  get(node: NodeRef): NodeEngine {
    return this.entry(node).engine;
  }

  /** The SSH transport itself (its connection, its raw dockerode): for tests and benchmarks that inject faults. */
  transport(node: NodeRef): SshTransport {
    return this.entry(node).transport;
  }

  private entry(node: NodeRef): { transport: SshTransport; engine: NodeEngine } {
    const known = this.transports.get(node.name);
    if (known && known.transport.node.ip === node.ip) return known;
    if (known) this.close(known.transport);
    this.key ??= readKey(this.config.ssh.keyFile);
    const transport = sshTransport(this.config, node, this.key, this.keeper);
    const engine = new DockerEngine(node.name, transport.docker, this.deadlines, () => this.close(transport));
    const fresh = { transport, engine };
    this.transports.set(node.name, fresh);
    return fresh;
  }

  closeAll(): void {
    for (const e of this.transports.values()) this.close(e.transport);
    this.transports.clear();
  }

  private close(t: SshTransport): void {
    t.agent.destroy();
    t.tunnel.close();
  }
}
