import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import type { Config } from '../../config.js';
import { EnvError } from '../../errors.js';
import { dockerSocketPath, type NodeRef } from '../nodes.js';
import { SshTunnel } from './ssh-tunnel.js';
import { StreamAgent } from './stream-agent.js';

export interface NodeEngine {
  node: NodeRef;
  docker: Docker;
  tunnel: SshTunnel;
  agent: StreamAgent;
}

function readKey(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new EnvError(`cannot read the SSH key ${file}: ${(err as Error).message}`);
  }
}

/** A dockerode client whose every request is a stream over one pooled SSH connection. */
export function sshEngine(config: Pick<Config, 'ssh'>, node: NodeRef, privateKey?: Buffer): NodeEngine {
  const tunnel = new SshTunnel({
    node: node.name,
    ip: node.ip,
    port: config.ssh.port,
    user: config.ssh.user,
    privateKey: privateKey ?? readKey(config.ssh.keyFile),
    knownHostsFile: config.ssh.knownHostsFile,
    socketPath: dockerSocketPath(config, node.name),
  });
  const agent = new StreamAgent(() => tunnel.openStream());
  // host and port only name the connection for http; the agent never dials them.
  const options: Docker.DockerOptions & { agent: StreamAgent } = { protocol: 'http', host: node.name, port: 2375, agent };
  return { node, docker: new Docker(options), tunnel, agent };
}

/** The manager's own dockerd, by its unix socket. */
export function localEngine(config: Pick<Config, 'localDocker'>): Docker {
  return new Docker({ socketPath: config.localDocker.socketPath });
}

/** One engine per node name; a node whose address changed gets a new connection. */
export class NodeEngines {
  private readonly engines = new Map<string, NodeEngine>();
  private key: Buffer | undefined;

  constructor(private readonly config: Pick<Config, 'ssh'>) {}

  get(node: NodeRef): Docker {
    return this.engine(node).docker;
  }

  engine(node: NodeRef): NodeEngine {
    const known = this.engines.get(node.name);
    if (known && known.node.ip === node.ip) return known;
    if (known) this.close(known);
    this.key ??= readKey(this.config.ssh.keyFile);
    const fresh = sshEngine(this.config, node, this.key);
    this.engines.set(node.name, fresh);
    return fresh;
  }

  closeAll(): void {
    for (const e of this.engines.values()) this.close(e);
    this.engines.clear();
  }

  private close(e: NodeEngine): void {
    e.agent.destroy();
    e.tunnel.close();
  }
}
