import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { EnvError } from '../errors.js';

export interface Credentials {
  username: string;
  password: string;
}

/** One face of the registry as a client reaches it: its address, the CA its TLS must chain to, who we are. */
export interface RegistryEndpoint {
  address: string;
  ca?: Buffer;
  credentials?: Credentials;
}

type AccessConfig = Pick<Config, 'registry'> & Partial<Pick<Config, 'registryAccess'>>;

function readFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new EnvError(`cannot read the registry's ${what} ${file}: ${(err as Error).message}`);
  }
}

export function readCredentials(file: string): Credentials {
  let body: Partial<Credentials>;
  try {
    body = JSON.parse(readFile(file, 'credentials').toString('utf8')) as Partial<Credentials>;
  } catch (err) {
    if (err instanceof EnvError) throw err;
    throw new EnvError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof body.username !== 'string' || typeof body.password !== 'string') {
    throw new EnvError(`${file}: expected {"username": ..., "password": ...}`);
  }
  return { username: body.username, password: body.password };
}

function endpoint(address: string, caFile?: string, credentialsFile?: string): RegistryEndpoint {
  return {
    address,
    ...(caFile ? { ca: readFile(caFile, 'CA certificate') } : {}),
    ...(credentialsFile ? { credentials: readCredentials(credentialsFile) } : {}),
  };
}

/** The face nodes pull from (read-only), with the pull credentials. */
export function pullEndpoint(config: AccessConfig): RegistryEndpoint {
  const a = config.registryAccess;
  return endpoint(config.registry, a?.caFile, a?.pullCredentialsFile);
}

/** The read-write face the manager pushes to; plain HTTP on loopback. */
export function pushEndpoint(config: AccessConfig): RegistryEndpoint {
  const a = config.registryAccess;
  return a ? endpoint(a.push, undefined, a.pushCredentialsFile) : { address: config.registry };
}

/** The pull face when `registry` is the configured registry, else a plain one (an image of another registry). */
export function endpointFor(config: AccessConfig, registry: string): RegistryEndpoint {
  return config.registry === registry ? pullEndpoint(config) : { address: registry };
}

/**
 * X-Registry-Auth of a node's pull. The node daemons keep no credentials of their own (the
 * Engine API does not read a `docker login` of the daemon's host): they travel with each pull.
 */
export function pullAuthFor(config: AccessConfig, registry: string): Record<string, string> {
  const c = endpointFor(config, registry).credentials;
  return c ? { username: c.username, password: c.password } : {};
}
