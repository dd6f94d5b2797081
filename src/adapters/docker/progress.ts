import { createInterface } from 'node:readline';
import { eventError, type ProgressEvent } from '../../model/progress-events.js';

export class ProgressError extends Error {
  constructor(message: string, readonly event: ProgressEvent) {
    super(message);
  }
}

/**
 * Reads a build/push/pull stream of JSON lines to its end, handing each event to `onEvent`;
 * rejects with a ProgressError on the first event that carries an error.
 */
export async function followProgress(
  stream: NodeJS.ReadableStream,
  onEvent: (e: ProgressEvent) => void = () => undefined,
): Promise<ProgressEvent[]> {
  const events: ProgressEvent[] = [];
  const lines = createInterface({ input: stream as NodeJS.ReadableStream, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let e: ProgressEvent;
    try {
      e = JSON.parse(line) as ProgressEvent;
    } catch {
      e = { stream: `${line}\n` };
    }
    events.push(e);
    const error = eventError(e);
    if (error !== null) {
      lines.close();
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw new ProgressError(error, e);
    }
    onEvent(e);
  }
  return events;
}
