import type { Config } from '../config.js';
import { NodeEngines } from '../adapters/docker.js';
import type { AppLogLine } from '../model/logs/lines.js';
import { LogFollower, type LogSink } from './follow.js';
import { readReplicaLogs } from './read.js';
import { secretRedactor } from './redact.js';
import { findReplicas, type AppTarget, type Replicas } from './replicas.js';

export type { LogSink } from './follow.js';

export interface LogRequest {
  target: AppTarget;
  node?: string;
  follow: boolean;
  /** Unix seconds */
  since?: number;
  tail?: number | 'all';
  /** --follow: how long a line waits for earlier lines of other replicas */
  orderWindowMs?: number;
}

export interface LogRun {
  /** nodes whose replicas' logs could not be read (without --follow; following, they are notes and retried) */
  errors: { node: string; message: string }[];
}

export interface AppLogs {
  replicas: Replicas;
  /** Without follow: every line, in time order, then it resolves. Following: until `signal` aborts. */
  run(sink: LogSink, signal: AbortSignal): Promise<LogRun>;
  close(): void;
}

/**
 * An app's logs, checked before anything is streamed: an unknown app or node is a UserError
 * (UnknownApp for the app) here, so that the API can still answer 404 / 400.
 */
export async function openAppLogs(config: Config, req: LogRequest): Promise<AppLogs> {
  const redact = secretRedactor(config.stateDir);
  const engines = new NodeEngines(config);
  let replicas: Replicas;
  try {
    replicas = await findReplicas(config, engines, req.target, req.node);
  } catch (err) {
    engines.closeAll();
    throw err;
  }
  const close = () => engines.closeAll();
  return {
    replicas,
    close,
    async run(sink, signal) {
      try {
        if (replicas.silent.length > 0) {
          const names = replicas.silent.map((e) => e.node).join(', ');
          sink.note(`warning: not answering, with no replica of ${req.target.app} recorded there: ${names}${req.follow ? ' (followed when they answer)' : ''}`);
        }
        if (req.follow) {
          const follower = new LogFollower(engines, replicas.target, sink, redact, { since: req.since, tail: req.tail, orderWindowMs: req.orderWindowMs });
          await follower.run(replicas.nodes, replicas.containers, [...replicas.errors, ...replicas.silent.map((e) => ({ ...e, quiet: true }))], signal);
          return { errors: [] };
        }
        const { lines, errors } = await readReplicaLogs(engines, replicas.nodes, replicas.containers, { since: req.since, tail: req.tail }, signal);
        for (const l of lines) {
          if (signal.aborted) break;
          sink.line({ ...l, text: redact(l.text) } satisfies AppLogLine);
        }
        return { errors: [...replicas.errors, ...errors] };
      } finally {
        close();
      }
    },
  };
}
