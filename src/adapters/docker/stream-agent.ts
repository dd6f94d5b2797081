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

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * An http.Agent whose connections are streams opened by `open` (SSH channels to a node's
 * docker socket); kept alive between requests like TCP sockets.
 */
export class StreamAgent extends Agent {
  constructor(private readonly open: OpenStream) {
    super({ keepAlive: true, maxFreeSockets: 16 });
  }

  /**
   * docker-modem (5.0.x, modem.js buildRequest) runs util.inspect(options, {showHidden, depth: null})
   * on every request, debug enabled or not, and options.agent is this agent: its sockets are SSH
   * channels that reach the whole ssh2 client. That walk cost ~40 ms of CPU per request with 30
   * requests in flight (5 s of a 30-container deploy on 2 cores); a one-line summary costs nothing.
   */
  [INSPECT](): string {
    const count = (m: NodeJS.ReadOnlyDict<unknown[]>) => Object.values(m).reduce((n, l) => n + (l?.length ?? 0), 0);
    return `StreamAgent { sockets: ${count(this.sockets)}, free: ${count(this.freeSockets)}, requests: ${count(this.requests)} }`;
  }

  override createConnection(_options: unknown, callback: (err: Error | null, stream?: Duplex) => void): undefined {
    this.open().then(
      (stream) => callback(null, asSocket(stream)),
      (err: Error) => callback(err),
    );
    return undefined;
  }
}
