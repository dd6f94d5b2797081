import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import { DeadlineError, type EventStream, type NodeEngine } from '../../../src/adapters/docker.js';

interface Box {
  id: string;
  name: string;
  running: boolean;
  exitCode: number;
  hostPort: number;
  containerPort: number;
}

/**
 * A node's Docker in memory, for unit tests of what runs on top of NodeEngine: containers are
 * records, "started" ones publish on `hostPortFor(name)` (a port a test server listens on).
 * `hang` makes every call miss its deadline; `calls` records what was asked.
 */
export class MemoryEngine implements NodeEngine {
  readonly boxes = new Map<string, Box>();
  readonly calls: string[] = [];
  hang = false;
  private seq = 0;

  constructor(readonly node: string, private readonly hostPortFor: (name: string) => number) {}

  private ask(what: string): void {
    this.calls.push(what);
    if (this.hang) throw new DeadlineError(this.node, what, 10);
  }

  async ping(): Promise<void> {
    this.ask('ping');
  }
  async listContainers(): Promise<ContainerInfo[]> {
    this.ask('list');
    return [];
  }
  async inspectContainer(id: string): Promise<ContainerInspectInfo | null> {
    this.ask(`inspect ${id}`);
    const b = this.boxes.get(id);
    if (!b) return null;
    return {
      Id: b.id,
      State: { Running: b.running, Restarting: false, ExitCode: b.exitCode },
      NetworkSettings: { Ports: { [`${b.containerPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(b.hostPort) }] } },
    } as unknown as ContainerInspectInfo;
  }
  async createContainer(spec: ContainerCreateOptions): Promise<string> {
    this.ask(`create ${spec.name}`);
    const id = `${this.node}-${++this.seq}`;
    const port = Number(Object.keys(spec.ExposedPorts ?? { '8080/tcp': {} })[0]!.split('/')[0]);
    this.boxes.set(id, { id, name: spec.name!, running: false, exitCode: 0, hostPort: this.hostPortFor(spec.name!), containerPort: port });
    return id;
  }
  async startContainer(id: string): Promise<void> {
    this.ask(`start ${id}`);
    this.boxes.get(id)!.running = true;
  }
  async stopContainer(id: string): Promise<void> {
    this.ask(`stop ${id}`);
    const b = this.boxes.get(id);
    if (b) b.running = false;
  }
  async removeContainer(id: string): Promise<void> {
    this.ask(`remove ${id}`);
    this.boxes.delete(id);
  }
  async logs(): Promise<string> {
    return 'last words';
  }
  async events(): Promise<EventStream> {
    throw new Error('no events in memory');
  }
  async streamLogs(): Promise<null> {
    return null;
  }
  async createExec(): Promise<string> {
    throw new Error('no exec in memory');
  }
  async startExec(): Promise<never> {
    throw new Error('no exec in memory');
  }
  async inspectExec(): Promise<never> {
    throw new Error('no exec in memory');
  }
  async resizeExec(): Promise<void> {}
  async capacity(): Promise<{ memory: number; nanoCpus: number }> {
    this.ask('info');
    return { memory: 4 * 1024 ** 3, nanoCpus: 2e9 };
  }
  /** exit code of each health command run (null: still running at the deadline) */
  execExit: number | null = 0;
  async execCheck(id: string, cmd: string[]): Promise<number | null> {
    this.ask(`exec ${id} ${cmd.join(' ')}`);
    return this.execExit;
  }
  async inspectImage(): Promise<ImageInspectInfo | null> {
    this.ask('inspect image');
    return {} as ImageInspectInfo;
  }
  async listImages() {
    return [];
  }
  async removeImage(): Promise<'gone'> {
    return 'gone';
  }
  async pullImage(): Promise<void> {}
  async pushImage(): Promise<void> {}
  async buildImage(): Promise<void> {}
  async tagImage(): Promise<void> {}
  async createVolume(name: string): Promise<void> {
    this.ask(`create volume ${name}`);
  }
  async listVolumes() {
    return [];
  }
  async removeVolume(name: string): Promise<void> {
    this.ask(`remove volume ${name}`);
  }
  async volumeSizes(): Promise<Map<string, number>> {
    return new Map();
  }
  async getArchive(id: string, path: string): Promise<void> {
    this.ask(`archive ${id} ${path}`);
  }
  async putArchive(id: string, path: string): Promise<void> {
    this.ask(`extract ${id} ${path}`);
  }
  close(): void {}
}
