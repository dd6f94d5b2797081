import { appendFileSync, chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Config } from '../../config.js';
import { keeperPaths, KEEPER_PROTOCOL, type KeeperRequest } from './keeper.js';
import { knownHostsStamp, readKey, SshTunnel } from './ssh-tunnel.js';

// The keeper itself (see keeper.ts): a unix socket server that turns each request line into one
// SSH channel to a node's docker socket over a connection it keeps, and pipes the two together.

const DEFAULT_KEEP_MS = 60_000;
const REQUEST_MS = 5_000;

function parseRequest(line: string): KeeperRequest | null {
  if (!line.startsWith(`${KEEPER_PROTOCOL} `)) return null;
  try {
    const r = JSON.parse(line.slice(KEEPER_PROTOCOL.length + 1)) as Partial<KeeperRequest>;
    const ok = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length < 512 && !/[\0\n]/.test(s);
    return ok(r.node) && ok(r.ip) && ok(r.socketPath) ? { node: r.node, ip: r.ip, socketPath: r.socketPath } : null;
  } catch {
    return null;
  }
}

/** Whether a keeper answers on `socket` already. */
function answering(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socket);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function listenAlone(server: Server, socket: string): Promise<boolean> {
  const listen = () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => (server.off('error', reject), resolve()));
  });
  try {
    await listen();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (await answering(socket)) return false; // another keeper has it
    rmSync(socket, { force: true }); // a dead keeper's socket
    await listen();
    return true;
  }
}

/**
 * Runs the keeper of this SSH setup until it has had no stream for `keepMs` (or SIGTERM). Returns
 * false at once when another keeper of the same setup runs.
 */
export async function runKeeper(config: Pick<Config, 'ssh' | 'stateDir'>, opts: { keepMs?: number } = {}): Promise<boolean> {
  const paths = keeperPaths(config);
  const keepMs = opts.keepMs ?? config.ssh.keepMs ?? DEFAULT_KEEP_MS;
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  chmodSync(paths.dir, 0o700);
  const log = (line: string) => {
    try {
      appendFileSync(paths.log, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // a log that cannot be written changes nothing
    }
  };
  const tunnels = new Map<string, { tunnel: SshTunnel; knownHosts: string }>();
  const clients = new Set<Socket>();
  let idle: NodeJS.Timeout | undefined;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));

  const tunnelFor = (req: KeeperRequest): SshTunnel => {
    const key = JSON.stringify([req.node, req.ip, req.socketPath]);
    const known = tunnels.get(key);
    // A known_hosts file that changed since this connection was verified: verify again on a new one.
    if (known && known.knownHosts === knownHostsStamp(config.ssh.knownHostsFile)) return known.tunnel;
    known?.tunnel.close();
    const knownHosts = knownHostsStamp(config.ssh.knownHostsFile);
    const tunnel = new SshTunnel({
      node: req.node, ip: req.ip, port: config.ssh.port, user: config.ssh.user, privateKey: privateKeyOf(),
      knownHostsFile: config.ssh.knownHostsFile, socketPath: req.socketPath,
    });
    tunnels.set(key, { tunnel, knownHosts });
    return tunnel;
  };
  let privateKey: Buffer | undefined;
  const privateKeyOf = (): Buffer => {
    privateKey ??= readKey(config.ssh.keyFile);
    return privateKey;
  };

  const armIdle = () => {
    clearTimeout(idle);
    if (clients.size === 0) idle = setTimeout(stop, keepMs);
  };

  const serve = (client: Socket) => {
    clients.add(client);
    clearTimeout(idle);
    client.once('close', () => {
      clients.delete(client);
      armIdle();
    });
    client.on('error', () => client.destroy());
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => client.destroy(), REQUEST_MS);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length > 4096) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      void connectClient(nl);
    };
    const connectClient = async (nl: number) => {
      clearTimeout(timer);
      const req = parseRequest(buf.subarray(0, nl).toString('utf8'));
      const rest = buf.subarray(nl + 1);
      if (!req) return void client.end('err not a keeper request\n');
      let stream;
      try {
        stream = await tunnelFor(req).openStream();
      } catch (err) {
        return void client.end(`err ${(err as Error).message.replace(/\n/g, ' ')}\n`);
      }
      if (client.destroyed) return void stream.destroy();
      client.write('ok\n');
      if (rest.length) stream.write(rest);
      // Each side's end is passed on (an exec's stdin ends while its output still comes); an
      // error or the client gone ends both; the node's side closing ends the client's after what
      // was written to it.
      stream.on('error', () => client.destroy());
      stream.on('close', () => {
        if (!client.writableEnded) client.end();
      });
      client.on('close', () => stream.destroy());
      client.pipe(stream);
      stream.pipe(client);
      client.resume();
    };
    client.on('data', onData);
  };

  // Half-open: a client that ends its side (an exec's stdin) still reads what the node sends.
  const server = createServer({ allowHalfOpen: true }, serve);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(idle);
    server.close();
    for (const c of clients) c.destroy();
    for (const t of tunnels.values()) t.tunnel.close();
    rmSync(paths.socket, { force: true });
    rmSync(paths.pid, { force: true });
    log(`stopped (pid ${process.pid})`);
    done();
  };
  if (!(await listenAlone(server, paths.socket))) return false;
  chmodSync(paths.socket, 0o600);
  writeFileSync(paths.pid, `${process.pid}\n`);
  log(`started (pid ${process.pid}), keeping connections ${keepMs} ms after the last stream`);
  process.once('SIGTERM', stop).once('SIGINT', stop);
  armIdle();
  await finished;
  return true;
}
