import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { CloudEvent } from '../model/events.js';
import { eventLogPath, parseEventLines } from './log.js';

/**
 * Calls `onEvent` for each event appended to the log from now on, polling its size every
 * `everyMs`; a rotation (another file at the path, or a shorter one) is read from its start.
 * Returns the stop function.
 */
export function followEvents(stateDir: string, onEvent: (e: CloudEvent) => void, everyMs = 250): () => void {
  const path = eventLogPath(stateDir);
  const stat = () => {
    try {
      const s = statSync(path);
      return { ino: s.ino, size: s.size };
    } catch {
      return { ino: -1, size: 0 };
    }
  };
  let at = stat();
  let partial = Buffer.alloc(0);
  const poll = () => {
    const now = stat();
    if (now.ino !== at.ino || now.size < at.size) {
      at = { ino: now.ino, size: 0 };
      partial = Buffer.alloc(0);
    }
    if (now.size <= at.size) return;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(size - at.size);
      const n = readSync(fd, buf, 0, buf.length, at.size);
      // Bytes, not text: a line still being written may end inside a character.
      const bytes = Buffer.concat([partial, buf.subarray(0, n)]);
      const cut = bytes.lastIndexOf(0x0a);
      partial = bytes.subarray(cut + 1);
      at = { ino: at.ino, size: at.size + n };
      for (const e of parseEventLines(bytes.subarray(0, cut + 1).toString('utf8'))) onEvent(e);
    } finally {
      closeSync(fd);
    }
  };
  const timer = setInterval(poll, everyMs);
  return () => clearInterval(timer);
}
