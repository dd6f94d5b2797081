import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import acme from 'acme-client';
import { EnvError } from '../../errors.js';

export interface AcmeSettings {
  directory: string;
  email?: string;
  /** PEM of the CA the ACME server's own TLS chains to (a private ACME CA) */
  caBundle?: string;
  /** one request to the ACME server */
  requestTimeoutMs?: number;
}

export interface Issued {
  /** the chain, leaf first, as the server sent it */
  chain: string;
  key: string;
}

/** A challenge the server will fetch: the caller makes it answerable, then says it is. */
export interface Http01 {
  host: string;
  token: string;
  keyAuthorization: string;
}

/** ACME errors can quote tokens and key authorizations: long base64url runs are cut out. */
export function redact(message: string): string {
  return message.replace(/[A-Za-z0-9_-]{32,}/g, '…').split('\n')[0]!.slice(0, 400);
}

let configured: string | null = null;

/**
 * acme-client talks through one axios instance of its own: point its TLS at the private CA, give
 * every request a deadline, and retry a refused or failed request once after 1 s instead of five
 * times with growing pauses (a dead ACME server is reported in seconds, not minutes).
 */
function configureHttp(settings: AcmeSettings): void {
  const key = JSON.stringify([settings.caBundle ?? null, settings.requestTimeoutMs ?? null]);
  if (configured === key) return;
  let ca: Buffer | undefined;
  try {
    ca = settings.caBundle ? readFileSync(settings.caBundle) : undefined;
  } catch (err) {
    throw new EnvError(`acme.caBundle: cannot read ${settings.caBundle}: ${(err as Error).message}`);
  }
  acme.axios.defaults.httpsAgent = new Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
  acme.axios.defaults.timeout = settings.requestTimeoutMs ?? 10_000;
  // Not in acme-client's types, read by its axios interceptor (src/axios.js).
  const defaults = acme.axios.defaults as unknown as { acmeSettings: Record<string, number> };
  defaults.acmeSettings = { ...defaults.acmeSettings, retryMaxAttempts: 1, retryDefaultDelay: 1 };
  configured = key;
}

export function newAccountKey(): Promise<Buffer> {
  return acme.crypto.createPrivateEcdsaKey('P-256');
}

/**
 * Orders a certificate for one host over HTTP-01 with a fresh P-256 key. `present` must make the
 * challenge answerable (and may check that it is) before the server is told to validate it;
 * `withdraw` runs after, whatever happened.
 */
export async function issueCertificate(
  settings: AcmeSettings, accountKey: Buffer, host: string,
  present: (c: Http01) => Promise<void>, withdraw: (c: Http01) => Promise<void>,
): Promise<Issued> {
  configureHttp(settings);
  const client = new acme.Client({ directoryUrl: settings.directory, accountKey, backoffAttempts: 12, backoffMin: 250, backoffMax: 3000 });
  const [key, csr] = await acme.crypto.createCsr({ commonName: host, altNames: [host] }, await acme.crypto.createPrivateEcdsaKey('P-256'));
  try {
    const chain = await client.auto({
      csr,
      ...(settings.email ? { email: settings.email } : {}),
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // Our own check (through Varnish, by the caller) replaces acme-client's, which would ask DNS and port 80.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'http-01') throw new Error(`the server offers no http-01 challenge for ${host}`);
        await present({ host, token: challenge.token, keyAuthorization });
      },
      challengeRemoveFn: async (_authz, challenge, keyAuthorization) => {
        await withdraw({ host, token: challenge.token, keyAuthorization });
      },
    });
    return { chain, key: key.toString() };
  } catch (err) {
    if (err instanceof EnvError) throw err;
    throw new EnvError(`ACME ${settings.directory}: ${host}: ${redact((err as Error).message)}`);
  }
}
