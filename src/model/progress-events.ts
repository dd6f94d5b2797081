/** One JSON line of a build, push or pull stream of the Engine API. */
export interface ProgressEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

/** A stream reports failure as an event, not as an HTTP status: every event must be checked. */
export function eventError(e: ProgressEvent): string | null {
  const message = e.errorDetail?.message ?? e.error;
  return message === undefined ? null : message.trim() || 'unknown error';
}

const STEP = /^Step \d+\/\d+ : .*/;

/** The `Step N/M : INSTRUCTION` line an output chunk of the legacy builder starts, if any. */
export function buildStep(chunk: string): string | null {
  for (const line of chunk.split('\n')) {
    const m = STEP.exec(line.trim());
    if (m) return m[0];
  }
  return null;
}

/**
 * What is worth printing of a push or pull event: status changes per layer, not every byte
 * count. `last` remembers the status each layer showed.
 */
export function progressLine(e: ProgressEvent, last: Map<string, string>): string | null {
  if (e.status === undefined) return null;
  if (e.id === undefined) return e.status;
  if (last.get(e.id) === e.status) return null;
  last.set(e.id, e.status);
  const size = e.progressDetail?.total ? ` (${formatBytes(e.progressDetail.total)})` : '';
  return `${e.id}: ${e.status}${size}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
