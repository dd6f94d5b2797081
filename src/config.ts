import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from './errors.js';

export const DEFAULT_STATE_DIR = '/var/lib/cloudmatrix';

const ms = z.number().int().min(100).max(86_400_000);

const registryAccess = z
  .object({
    push: z.string().min(1).describe("host:port of the registry's read-write face, reachable from the manager only"),
    caFile: z.string().min(1).optional().describe("CA certificate that the registry's TLS is checked against"),
    pullCredentialsFile: z.string().min(1).optional().describe('JSON {username, password} that nodes pull with'),
    pushCredentialsFile: z.string().min(1).optional().describe('JSON {username, password} of the read-write face'),
  })
  .strict();

const tls = z
  .object({
    listen: z.string().min(1).describe("host:port where hitch terminates TLS (the lab: 127.0.0.1:6443)"),
    hostsDir: z.string().min(1).describe("hitch's pem-dir: one PEM (chain + key) per host, picked by SNI"),
    hitchPidFile: z.string().min(1).describe('hitch reloads its certificates on SIGHUP to this pid'),
  })
  .strict();

const acme = z
  .object({
    directory: z.string().url().describe('ACME directory URL'),
    email: z.string().min(1).optional(),
    caBundle: z.string().min(1).optional().describe("CA file the ACME server's own TLS chains to (a private ACME CA)"),
    rootFile: z.string().min(1).optional().describe('root the issued certificates chain to, for curl --cacert'),
    responder: z.string().min(1).default('127.0.0.1:8702').describe('host:port of the HTTP-01 responder Varnish routes challenges to'),
  })
  .strict();

const webhook = z
  .object({
    url: z.string().url().describe('where events are POSTed as JSON'),
    secret: z
      .union([z.object({ env: z.string().min(1) }).strict(), z.object({ secret: z.string().min(1) }).strict()])
      .optional()
      .describe('HMAC key of X-Cloudmatrix-Signature: the name of an env var, or of a secret of `cloudmatrix secret set`'),
    events: z.array(z.string().regex(/^[a-z_]+\.([a-z_]+|\*)$/)).optional().describe('event types (or `deploy.*`) this webhook takes; absent: all'),
  })
  .strict();

const notify = z
  .object({
    webhooks: z.array(webhook).default([]),
    timeoutMs: ms.default(5000).describe('one delivery attempt'),
    retries: z.number().int().min(0).max(10).default(5),
    queue: z.number().int().min(1).max(100_000).default(1000).describe('deliveries waiting at most; beyond, the oldest is dropped'),
    graceMs: z.number().int().min(0).max(10_000).default(1000).describe('how long a CLI command waits at exit for deliveries in flight; what is left goes to the outbox that serve delivers'),
  })
  .strict();

const registryGc = z
  .object({
    configFile: z.string().min(1).describe('the registry config that garbage-collect reads (the read-write face)'),
    readOnly: z.array(z.string().min(1)).min(1).describe('argv that restarts the read-write face read-only and returns once it answers'),
    readWrite: z.array(z.string().min(1)).min(1).describe('argv that restarts it read-write and returns once it answers'),
    command: z.array(z.string().min(1)).min(1).default(['docker-registry']).describe('the registry binary (then `garbage-collect CONFIG`)'),
  })
  .strict();

const staticNode = z.object({ name: z.string().min(1), ip: z.string().min(1) }).strict();

export const configSchema = z
  .object({
    stateDir: z.string().min(1),
    registry: z.string().min(1).describe('host:port of the private registry as nodes reach it'),
    registryAccess: registryAccess.optional().describe('TLS and credentials of the registry; absent: plain HTTP'),
    leasesFile: z.string().min(1),
    ssh: z
      .object({
        user: z.string().min(1).default('root'),
        port: z.number().int().min(1).max(65535).default(22),
        keyFile: z.string().min(1),
        knownHostsFile: z.string().min(1),
        dockerSocket: z.string().min(1).describe('path of the docker socket on each node'),
        keepMs: z.number().int().min(0).optional().describe('SSH connections are kept this long after the last command used them (0: none kept); default 60000'),
      })
      .strict(),
    varnish: z
      .object({
        admin: z.string().min(1).default('127.0.0.1:6082'),
        secretFile: z.string().min(1),
        listen: z.string().min(1).default('127.0.0.1:6081'),
        name: z.string().optional().describe('varnishd -n instance directory'),
        varnishd: z.string().min(1).optional().describe('varnishd binary for compile checks (varnishd -C), of the same version as the running Varnish; default: varnishd on PATH'),
      })
      .strict(),
    localDocker: z.object({ socketPath: z.string().min(1) }).strict(),
    staticNodes: z.array(staticNode).default([]),
    timeouts: z
      .object({
        dockerCallMs: ms.describe('one Docker Engine API call (ping, list, inspect, create, start, remove)'),
        dockerIdleMs: ms.describe('a pull or push that reports no progress for this long is dropped'),
        dockerTransferMs: ms.describe('a pull or push, start to end'),
        dockerHeartbeatMs: ms.describe('event streams are checked with a ping this often'),
        dockerBusyMs: ms.describe('a create, start, stop or remove on a node whose dockerd still answers pings may take this long'),
        registryMs: ms.describe('one request to the registry'),
        varnishCliMs: ms.describe("one command on Varnish's admin port (a VCL compile included)"),
      })
      .partial()
      .strict()
      .default({}),
    api: z
      .object({
        listen: z.string().default('127.0.0.1:8700'),
        tokenFile: z.string().optional(),
      })
      .strict()
      .default({ listen: '127.0.0.1:8700' }),
    tls: tls.optional().describe('HTTPS at the router; absent: plain HTTP only'),
    acme: acme.optional().describe('where `tls: acme` apps get their certificates'),
    notify: notify.optional().describe('webhooks that receive events (deploys, autoscale, jobs, certificates, nodes)'),
    images: z
      .object({
        keep: z.number().int().min(1).max(100).default(5),
        pushGraceMinutes: z.number().int().min(0).max(10_080).default(60).describe('an image install-image pushed this recently is kept (about to be deployed)'),
      })
      .strict()
      .default({ keep: 5, pushGraceMinutes: 60 })
      .describe('images prune keeps the last `keep` revisions of each app'),
    registryGc: registryGc.optional().describe('how images prune runs the registry garbage collection; absent: manifests are deleted, blobs stay'),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLOUDMATRIX_STATE_DIR || DEFAULT_STATE_DIR;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLOUDMATRIX_CONFIG || join(stateDir(env), 'config.json');
}

/** Loads and validates the config that `lab up` (or an operator) wrote. */
export function loadConfig(path = configPath()): Config {
  if (!existsSync(path)) {
    throw new UserError(`${path}: no cloudmatrix config; run "cloudmatrix lab up" or set CLOUDMATRIX_CONFIG`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
