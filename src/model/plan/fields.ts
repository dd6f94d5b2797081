// What a valid value of each plan field looks like, shared by the YAML schema and the legacy parser.

export const APP_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const SECRET_NAME = /^[A-Z_][A-Z0-9_]*$/;
export const VOLUME_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
// An absolute path in the container, not / itself, without `..` or blanks.
export const MOUNT_PATH = /^(?!.*(?:^|\/)\.\.?(?:\/|$))\/[A-Za-z0-9._@+=,:-]+(?:\/[A-Za-z0-9._@+=,:-]+)*$/;
export const DURATION = /^[0-9]{1,7}(ms|s|m|h)$/;
// RFC 1123 labels; no quote, brace, blank or newline can get through into a VCL string.
export const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// URL path characters (RFC 3986) without `?`, `#`, `"`, `{`, `}`; `%` only as an escape.
export const ROUTE_PATH = /^\/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2}){0,1023}$/;
export const HEALTH_PATH = /^\/(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2}){0,1023}$/;

export const DIRECTORS = ['round_robin', 'fallback', 'random', 'hash'] as const;
export const HASH_BY = ['client', 'url'] as const;
export const HTTPS_MODES = ['redirect', 'allow'] as const;
export const EXPOSE_MODES = ['http', 'tcp'] as const;
export const CONCURRENCY = ['forbid', 'allow'] as const;
export const DEFAULT_BACKUP_KEEP = 5;
export const DEFAULT_DOMAIN = 'matrix.test';
export const DEFAULT_PORT = 8080;
export const DEFAULT_HEALTH = { path: '/', interval: '2s', timeout: '1s' } as const;
/** a worker (no port) is healthy once it ran this long without a restart */
export const DEFAULT_START_PERIOD = '5s';
// A LAN connect takes well under a millisecond; 2s still covers one lost SYN (retransmitted after 1s).
export const DEFAULT_TIMEOUTS = { connect: '2s', firstByte: '30s', betweenBytes: '30s' } as const;
export const DEFAULT_AUTOSCALE = { window: '30s', scaleDownDelay: '2m' } as const;

export const MESSAGES = {
  appName: 'app name must be lowercase letters, digits, "_" and "-", starting with a letter or digit, at most 63 characters',
  nodeName: 'expected a node name (letters, digits, ".", "_", "-")',
  envName: 'environment variable names are letters, digits and "_", not starting with a digit',
  envValue: 'expected a string (quote numbers and booleans in YAML)',
  secretName: 'expected a secret name: upper-case letters, digits and "_", not starting with a digit',
  port: 'expected a port number 1-65535',
  portOrNone: 'expected a port number 1-65535, or none for a worker',
  argv: 'expected a non-empty list of strings (argv, no shell), e.g. [/app/bin/jobs, --queue, default]',
  argvItem: 'expected a non-empty string',
  memory: 'expected a memory size like 256M, 1.5G or 512K, or a whole number of bytes',
  cpus: 'expected a number of CPUs like 0.5 or 2',
  replicas: 'expected a whole number >= 0',
  replicaMax: 'expected a whole number >= 1',
  replicasOrRange: 'expected a whole number >= 0 or a range {min, max}',
  requestRate: 'expected a number of requests per second > 0',
  maxPerNode: 'expected a whole number >= 1',
  probeCount: 'expected a whole number 1-64',
  maxConnections: 'expected a whole number 1-1000000',
  duration: 'expected a duration like 2s or 500ms (units ms, s, m, h)',
  hostname: 'expected an RFC 1123 host name (letters, digits, "-" and dots)',
  routePath: 'expected a path starting with "/" of URL characters (no quotes, braces, blanks, "?" or "#")',
  healthPath: 'expected a path starting with "/" of URL characters (no quotes, braces or blanks)',
  director: `expected one of ${DIRECTORS.join(', ')}`,
  hashBy: `expected one of ${HASH_BY.join(', ')}`,
  image: 'expected an image reference like cloud/app:1.0',
  tls: 'expected acme, off, or {cert: FILE, key: FILE}',
  https: `expected one of ${HTTPS_MODES.join(', ')}`,
  volumeName: 'volume names are lowercase letters, digits, "_" and "-", starting with a letter or digit',
  mountPath: 'expected an absolute path in the container like /data (not /, no "..")',
  expose: `expected one of ${EXPOSE_MODES.join(', ')}`,
  backupKeep: 'expected a whole number 1-1000',
  schedule: 'expected a cron schedule in quotes, like "*/15 * * * *"',
  concurrency: `expected one of ${CONCURRENCY.join(', ')}`,
  list: 'expected a list',
  map: 'expected a map',
} as const;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration that matched DURATION. */
export function durationMs(s: string): number {
  const m = DURATION.exec(s);
  if (!m) return NaN;
  return Number(s.slice(0, s.length - m[1].length)) * UNIT_MS[m[1]];
}
