export { deadlinesOf, localEngine, NodeEngines, sshTransport, type SshTransport } from './docker/engines.js';
export { DeadlineError, DEFAULT_DEADLINES, DockerEngine, type DockerEvent, type EngineDeadlines, type EventStream, type NodeEngine, type VolumeRow } from './docker/engine.js';
export { SshTunnel, type TunnelOptions } from './docker/ssh-tunnel.js';
export { StreamAgent } from './docker/stream-agent.js';
