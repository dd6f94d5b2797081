import type { AppLogLine } from './lines.js';

/** `node/container`: what each line of `logs` starts with. */
export const sourceOf = (l: Pick<AppLogLine, 'node' | 'container'>): string => `${l.node}/${l.container}`;

/** One output line: the source padded to `width`, ` | `, the timestamp when asked, the text. */
export function formatLogLine(l: AppLogLine, width: number, timestamps = false): string {
  const time = timestamps && l.time ? `${l.time} ` : '';
  return `${sourceOf(l).padEnd(width)} | ${time}${l.text}`;
}
