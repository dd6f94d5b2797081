import { readFileSync, statSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel } from 'ssh2';
import { EnvError } from '../../errors.js';
import { checkHostKey, lookupNames, parseKnownHosts, type HostKeyVerdict, type KnownHost } from './known-hosts.js';

export interface TunnelOptions {
  node: string;
  ip: string;
  port: number;
  user: string;
  privateKey: Buffer;
  knownHostsFile: string;
  /** the unix socket on the node that every stream is forwarded to */
  socketPath: string;
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
}

const VERDICT_TEXT: Record<Exclude<HostKeyVerdict, 'ok'>, string> = {
  unknown: 'host key is unknown',
  changed: 'HOST KEY HAS CHANGED',
  revoked: 'host key is revoked',
};

/**
 * One SSH connection to a node, opened on first use and again after it drops; each
 * `openStream()` is a new channel to the node's docker socket over that connection.
 */
export class SshTunnel {
  private client: Promise<Client> | null = null;
  private tcp: Socket | null = null;
  private generation = 0;
  private readonly open = new Set<ClientChannel>();

  constructor(readonly opts: TunnelOptions) {}

  /** The TCP socket of the current connection (null when not connected). */
  get socket(): Socket | null {
    return this.tcp;
  }

  async openStream(): Promise<Duplex> {
    const reused = this.client !== null;
    try {
      return await this.forward(await this.connect());
    } catch (err) {
      // A connection that dropped while idle is only noticed here: retry once on a fresh one.
      if (!reused || this.client !== null) throw err;
      return this.forward(await this.connect());
    }
  }

  private async forward(client: Client): Promise<Duplex> {
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.openssh_forwardOutStreamLocal(this.opts.socketPath, (err, ch) => {
        if (err) reject(new EnvError(`${this.where()}: cannot open ${this.opts.socketPath}: ${err.message}`));
        else resolve(ch);
      });
    });
    this.open.add(channel);
    channel.once('close', () => this.open.delete(channel));
    return channel;
  }

  close(): void {
    const pending = this.client;
    this.client = null;
    pending?.then((c) => c.end(), () => undefined);
  }

  private where(): string {
    return `${this.opts.node} (${this.opts.user}@${this.opts.ip}:${this.opts.port})`;
  }

  private connect(): Promise<Client> {
    if (this.client === null) {
      this.generation++;
      this.client = this.dial(this.generation);
    }
    return this.client;
  }

  private dial(generation: number): Promise<Client> {
    const o = this.opts;
    return new Promise<Client>((resolve, reject) => {
      let verdict: HostKeyVerdict = 'ok';
      let ready = false;
      const client = new Client();
      const sock = tcpConnect({ host: o.ip, port: o.port });
      sock.setNoDelay(true);
      this.tcp = sock;
      client.on('ready', () => {
        ready = true;
        resolve(client);
      });
      client.on('error', (err) => {
        if (ready) return; // after ready, 'close' follows and fails what is in flight
        this.forget(generation, sock);
        if (verdict !== 'ok') {
          reject(new EnvError(`${o.node} (${o.ip}): ${VERDICT_TEXT[verdict]}; refusing to connect (known hosts: ${o.knownHostsFile})`));
        } else {
          reject(new EnvError(`${this.where()}: SSH connection failed: ${err.message}`));
        }
      });
      client.on('close', () => this.forget(generation, sock));
      // Registered before ssh2's listeners, which close the channels without an error.
      const lost = () => this.abortChannels(generation);
      sock.once('end', lost).once('close', lost);
      client.connect({
        sock,
        username: o.user,
        privateKey: o.privateKey,
        readyTimeout: o.readyTimeoutMs ?? 10_000,
        keepaliveInterval: o.keepaliveIntervalMs ?? 5_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          verdict = checkHostKey(knownHosts(o.knownHostsFile), lookupNames([o.node, o.ip], o.port), key);
          return verdict === 'ok';
        },
      });
    });
  }

  private abortChannels(generation: number): void {
    if (generation !== this.generation) return;
    const lost = new EnvError(`${this.where()}: SSH connection lost; the Docker request was aborted`);
    // Synchronously: ssh2 closes the channels right after this, and http reads a bare close as "socket hang up".
    for (const ch of this.open) if (ch.listenerCount('error') > 0) ch.emit('error', lost);
    this.open.clear();
  }

  private forget(generation: number, sock: Socket): void {
    if (this.tcp === sock) this.tcp = null;
    if (this.generation === generation) this.client = null;
  }
}

const parsed = new Map<string, { stamp: string; entries: KnownHost[] }>();

/** What changes when the known_hosts file changes (inode, size, mtime); 'missing' when there is none. */
export function knownHostsStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/** The private key file's bytes; a file that cannot be read is an environment failure naming it. */
export function readKey(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new EnvError(`cannot read the SSH key ${file}: ${(err as Error).message}`);
  }
}

/** The file's entries, parsed once per process and again when the file changes (every connection to every node asks). */
function knownHosts(file: string): KnownHost[] {
  const stamp = knownHostsStamp(file);
  const cached = parsed.get(file);
  if (cached?.stamp === stamp) return cached.entries;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // unreadable: no known hosts
  }
  const entries = parseKnownHosts(text);
  parsed.set(file, { stamp, entries });
  return entries;
}
