import { z } from 'zod';
import { parseReference } from '../image-ref.js';
import {
  APP_NAME, DEFAULT_AUTOSCALE, DEFAULT_DOMAIN, DEFAULT_HEALTH, DEFAULT_PORT, DEFAULT_TIMEOUTS, DIRECTORS, DURATION, ENV_NAME, HASH_BY, HEALTH_PATH,
  HOSTNAME, HTTPS_MODES, MESSAGES as M, NODE_NAME, ROUTE_PATH, SECRET_NAME,
  DEFAULT_BACKUP_KEEP, EXPOSE_MODES, MOUNT_PATH, VOLUME_NAME, CONCURRENCY,
} from './fields.js';
import { badCpus, badMemory } from '../sizes.js';
import { parseSchedule } from '../cron.js';

const wholeNumber = (min: number, max: number, error: string) => z.int({ error }).min(min, { error }).max(max, { error });
const port = wholeNumber(1, 65535, M.port);
const pattern = (re: RegExp, error: string) => z.string({ error }).regex(re, { error });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: M.list });
const duration = pattern(DURATION, M.duration);
const argv = z.array(z.string({ error: M.argvItem }).min(1, { error: M.argvItem }), { error: M.argv }).min(1, { error: M.argv });
const refined = <T extends z.ZodType>(base: T, bad: (v: unknown) => string | null) =>
  base.superRefine((v, ctx) => {
    const why = bad(v);
    if (why) ctx.addIssue({ code: 'custom', message: why, input: v });
  });

const image = z
  .string({ error: M.image })
  .describe('image reference, resolved against the private registry unless it names a registry host')
  .superRefine((s, ctx) => {
    try {
      parseReference(s);
    } catch (err) {
      const why = (err as Error).message.replace(`${JSON.stringify(s)}: `, '');
      ctx.addIssue({ code: 'custom', message: `not a valid image reference: ${why}`, input: s });
    }
  });

export const healthSchema = z
  .strictObject(
    {
      path: pattern(HEALTH_PATH, M.healthPath).default(DEFAULT_HEALTH.path),
      interval: duration.default(DEFAULT_HEALTH.interval),
      timeout: duration.default(DEFAULT_HEALTH.timeout),
      threshold: wholeNumber(1, 64, M.probeCount).optional(),
      window: wholeNumber(1, 64, M.probeCount).optional(),
      startPeriod: duration.optional().describe('workers: healthy once running this long without a restart (default 5s)'),
      command: argv.optional().describe('workers: healthy when this argv exits 0 inside the container (docker exec), checked every interval'),
    },
    { error: M.map },
  )
  .default({ ...DEFAULT_HEALTH });

export const timeoutsSchema = z
  .strictObject(
    {
      connect: duration.default(DEFAULT_TIMEOUTS.connect).describe('to open a connection to a replica'),
      firstByte: duration.default(DEFAULT_TIMEOUTS.firstByte).describe('from the request sent to the first byte of the answer'),
      betweenBytes: duration.default(DEFAULT_TIMEOUTS.betweenBytes).describe('between two bytes of the answer'),
    },
    { error: M.map },
  )
  .default({ ...DEFAULT_TIMEOUTS })
  .describe('how long Varnish waits for a replica before it tries another one (GET, HEAD) or answers 503');

export const replicaRangeSchema = z
  .strictObject({ min: wholeNumber(0, 100_000, M.replicas), max: wholeNumber(1, 100_000, M.replicaMax) }, { error: M.map })
  .describe('autoscaled between min and max (with autoscale), or set by `cloudmatrix scale`');

export const autoscaleSchema = z
  .strictObject(
    {
      requestsPerSecond: z.number({ error: M.requestRate }).positive({ error: M.requestRate }).max(1_000_000, { error: M.requestRate })
        .describe('target requests per second per replica, as Varnish counts them'),
      window: duration.default(DEFAULT_AUTOSCALE.window).describe('the request rate is averaged over this long'),
      scaleDownDelay: duration.default(DEFAULT_AUTOSCALE.scaleDownDelay).describe('no scale-down sooner than this after a change, nor before the rate stayed low this long'),
    },
    { error: M.map },
  )
  .describe('follow the request rate Varnish sees; needs replicas: {min, max}');

export const resourcesSchema = z
  .strictObject(
    {
      memory: refined(z.union([z.string(), z.number()], { error: M.memory }), badMemory).optional()
        .describe('memory limit, reserved on the node: 256M, 1.5G, 512K (1024-based) or bytes'),
      cpus: refined(z.number({ error: M.cpus }), badCpus).optional().describe('CPU limit (fractions allowed), reserved on the node'),
    },
    { error: M.map },
  )
  .describe("container limits; placement reserves them against each node's memory and CPUs and never overcommits");

export const manualTlsSchema = z
  .strictObject(
    {
      cert: z.string({ error: M.tls }).min(1, { error: M.tls }).describe('PEM certificate (chain) file, relative to the plan file'),
      key: z.string({ error: M.tls }).min(1, { error: M.tls }).describe('PEM private key file, relative to the plan file'),
    },
    { error: M.tls },
  );

export const backupSchema = z
  .strictObject({ keep: wholeNumber(1, 1000, M.backupKeep).default(DEFAULT_BACKUP_KEEP).describe('archives kept per app') }, { error: M.map })
  .describe('backups of the app\'s volumes (cloudmatrix backup create APP; every deploy that replaces it)');

export const appSchema = z.strictObject(
  {
    image,
    port: z.union([port, z.literal('none')], { error: M.portOrNone }).default(DEFAULT_PORT)
      .describe('port the app listens on inside the container; none (or no port with a command) makes a worker, never routed'),
    command: argv.optional().describe("argv that replaces the image's CMD (no shell)"),
    entrypoint: argv.optional().describe("argv that replaces the image's ENTRYPOINT (no shell)"),
    resources: resourcesSchema.optional(),
    replicas: z.union([wholeNumber(0, 100_000, M.replicas), replicaRangeSchema], {
      error: (iss) => (typeof iss.input === 'object' && iss.input !== null ? M.replicasOrRange : M.replicas),
    }).default(1)
      .describe('a fixed count, or {min, max} for autoscale'),
    autoscale: autoscaleSchema.optional(),
    hosts: list(pattern(HOSTNAME, M.hostname)).optional().describe('default: [<app>.<domain>]'),
    paths: list(pattern(ROUTE_PATH, M.routePath)).default([]).describe('path prefixes routed to the app'),
    health: healthSchema,
    director: z.enum(DIRECTORS, { error: M.director }).default('round_robin'),
    hashBy: z.enum(HASH_BY, { error: M.hashBy }).optional().describe('for director hash; default client'),
    env: z.record(pattern(ENV_NAME, M.envName), z.string({ error: M.envValue }), { error: M.map }).default({}),
    nodes: list(pattern(NODE_NAME, M.nodeName)).optional().describe('run only on these nodes'),
    maxPerNode: wholeNumber(1, 10_000, M.maxPerNode).default(1),
    hostPort: port.optional().describe('fixed host port; means at most one container per node'),
    timeouts: timeoutsSchema,
    maxConnections: wholeNumber(1, 1_000_000, M.maxConnections).optional()
      .describe('open connections from Varnish to one replica at most; beyond it a request goes to another replica, then 503. Default: no limit'),
    tls: z.union([z.enum(['acme', 'off'], { error: M.tls }), manualTlsSchema], { error: M.tls }).default('off')
      .describe('HTTPS at the router: acme (a certificate per host from the ACME directory), {cert, key} files, or off'),
    https: z.enum(HTTPS_MODES, { error: M.https }).default('redirect')
      .describe('with tls: redirect plain HTTP to https (301), or allow both'),
    secrets: list(pattern(SECRET_NAME, M.secretName)).default([])
      .describe('names of secrets (cloudmatrix secret set NAME), passed to the containers as env vars of the same name'),
    expose: z.enum(EXPOSE_MODES, { error: M.expose }).default('http')
      .describe('http: routed by Varnish (hosts, paths); tcp: a TCP service other apps reach by ${APP.host}:${APP.port}, health is a TCP connect'),
    volumes: z.record(pattern(VOLUME_NAME, M.volumeName), pattern(MOUNT_PATH, M.mountPath), { error: M.map }).default({})
      .describe('named volumes on the node that runs the app, NAME: /path/in/container; the app then has replicas: 1 and stays on its node'),
    backup: backupSchema.optional(),
    schedule: refined(z.string({ error: M.schedule }), (v) => {
      const r = parseSchedule(v as string);
      return r.ok ? null : r.error;
    }).optional()
      .describe('a job: five-field cron, UTC ("*/15 * * * *"); at each time one container runs the command to completion, none is kept running'),
    concurrency: z.enum(CONCURRENCY, { error: M.concurrency }).optional()
      .describe("a job's run still going at its next time: forbid skips that time (default), allow starts another"),
  },
  { error: M.map },
);

export const planSchema = z
  .strictObject(
    {
      domain: pattern(HOSTNAME, M.hostname).default(DEFAULT_DOMAIN),
      apps: z.record(pattern(APP_NAME, M.appName), appSchema, { error: 'expected a map of app names to app settings' }),
    },
    { error: 'expected a map with domain and apps' },
  )
  .describe('cloudmatrix plan: which apps run, how many replicas, where, under which host names');

export type RawPlan = z.output<typeof planSchema>;
export type RawApp = z.output<typeof appSchema>;

export const KNOWN_KEYS = {
  plan: Object.keys(planSchema.shape),
  app: Object.keys(appSchema.shape),
  health: Object.keys(healthSchema.unwrap().shape),
  timeouts: Object.keys(timeoutsSchema.unwrap().shape),
  replicas: Object.keys(replicaRangeSchema.shape),
  autoscale: Object.keys(autoscaleSchema.shape),
  tls: Object.keys(manualTlsSchema.shape),
  backup: Object.keys(backupSchema.shape),
  resources: Object.keys(resourcesSchema.shape),
};

/** The JSON Schema of the plan file, for editors (plans/plan.schema.json). */
export function planJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(planSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'cloudmatrix plan',
  };
}
