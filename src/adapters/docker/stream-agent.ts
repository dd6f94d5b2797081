import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';

export type OpenStream = () => Promise<Duplex>;

/** The net.Socket methods that http's client and Agent call on a socket (keep-alive, reuse), for a plain Duplex. */
function asSocket(stream: Duplex): Duplex {
  const s = stream as Duplex & Record<string, unknown>;
  for (const m of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
    if (typeof s[m] !== 'function') s[m] = () => s;
  }
  return s;
}

/**
 * An http.Agent whose connections are streams opened by `open` (SSH channels to a node's
 * docker socket); kept alive between requests like TCP sockets.
 */
export class StreamAgent extends Agent {
  constructor(private readonly open: OpenStream) {
    super({ keepAlive: true, maxFreeSockets: 16 });
  }

  override createConnection(_options: unknown, callback: (err: Error | null, stream?: Duplex) => void): undefined {
    this.open().then(
      (stream) => callback(null, asSocket(stream)),
      (err: Error) => callback(err),
    );
    return undefined;
  }
}
