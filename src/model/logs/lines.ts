import { StringDecoder } from 'node:string_decoder';

export type LogStreamName = 'stdout' | 'stderr';

/** One line a container wrote, with Docker's timestamp (RFC 3339, nanoseconds) and without its line end. */
export interface TimedLine {
  stream: LogStreamName;
  /** as Docker wrote it, e.g. 2026-12-02T01:05:56.123456789Z; '' when the line had none */
  time: string;
  text: string;
}

/** A line of one replica of an app, as `logs` and the API show it. */
export interface AppLogLine extends TimedLine {
  node: string;
  container: string;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) /;

/** Docker's `timestamps=1` prefix split off a line; a line without one keeps its text whole. */
export function splitTimestamp(line: string): { time: string; text: string } {
  const m = STAMP.exec(line);
  return m ? { time: m[1]!, text: line.slice(m[0].length) } : { time: '', text: line };
}

/**
 * Nanoseconds since the epoch of a timestamp, for ordering (a bigint: a number cannot hold
 * them exactly); -1 for '' or text that is not one, so that such lines sort first.
 */
export function timeNs(time: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return -1n;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return -1n;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * Whole lines from the chunks of one output stream, whatever the chunks' boundaries (a frame
 * may end inside a line, or inside a UTF-8 character); `end()` gives a last line without a line end.
 */
export class LineAssembler {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly stream: LogStreamName) {}

  push(chunk: Buffer | string): TimedLine[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    return parts.map((p) => this.line(p));
  }

  end(): TimedLine[] {
    this.pending += this.decoder.end();
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : [this.line(rest)];
  }

  private line(raw: string): TimedLine {
    const { time, text } = splitTimestamp(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    return { stream: this.stream, time, text };
  }
}
