import { createServer, type Server } from 'node:http';
import { EnvError } from '../../errors.js';

const PREFIX = '/.well-known/acme-challenge/';

/**
 * The HTTP-01 responder: answers `/.well-known/acme-challenge/<token>` with the key
 * authorization of a challenge in progress, 404 for anything else. Varnish routes the challenges
 * of `tls: acme` hosts here; it listens only while an order runs.
 */
export class ChallengeResponder {
  private readonly tokens = new Map<string, string>();
  private server: Server | null = null;

  constructor(private readonly listen: string) {}

  set(token: string, keyAuthorization: string): void {
    this.tokens.set(token, keyAuthorization);
  }

  delete(token: string): void {
    this.tokens.delete(token);
  }

  async start(): Promise<void> {
    if (this.server) return;
    const i = this.listen.lastIndexOf(':');
    const host = this.listen.slice(0, i);
    const port = Number(this.listen.slice(i + 1));
    const server = createServer((req, res) => {
      const url = req.url ?? '';
      const answer = req.method === 'GET' && url.startsWith(PREFIX) ? this.tokens.get(url.slice(PREFIX.length)) : undefined;
      res.writeHead(answer === undefined ? 404 : 200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
      res.end(answer ?? 'no such challenge\n');
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new EnvError(`ACME responder: cannot listen on ${this.listen} (acme.responder): ${err.code === 'EADDRINUSE' ? 'the address is in use' : err.message}`)),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.tokens.clear();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
