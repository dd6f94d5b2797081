export { localEngine, NodeEngines, sshEngine, type NodeEngine } from './docker/engines.js';
export { SshTunnel, type TunnelOptions } from './docker/ssh-tunnel.js';
export { StreamAgent } from './docker/stream-agent.js';
