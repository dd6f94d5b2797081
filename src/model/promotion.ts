import { parseReference } from './image-ref.js';

/** The image a promotion writes: the source's repository at the exact digest that runs there (`cloud/web@sha256:...`). */
export function promotedImage(image: string, digest: string): string {
  const r = parseReference(image);
  return `${r.domain ? `${r.domain}/` : ''}${r.path}@${digest}`;
}

export interface SourceReplica {
  state: string;
  healthy: boolean;
  knownGood: boolean;
  revision: string;
}

/**
 * The one revision an app runs healthy in the source plan: its known-good replicas that answer
 * their health check now, all of one revision. Else why not (nothing is promoted).
 */
export function healthyRevision(replicas: readonly SourceReplica[], desired: number): { revision: string } | { why: string } {
  const good = replicas.filter((r) => r.state === 'running' && r.knownGood && r.healthy);
  if (good.length === 0) return { why: `not healthy (0 of ${desired} replicas known-good and answering their health check)` };
  const revisions = [...new Set(good.map((r) => r.revision))].sort();
  if (revisions.length > 1) return { why: `runs ${revisions.length} revisions at once (${revisions.join(', ')}: a deploy in progress?)` };
  return { revision: revisions[0]! };
}

/** One unified-diff hunk: `a[from..aTo)` became `b[from..bTo)`, with up to `ctx` lines of context each side. */
function hunk(a: string[], b: string[], from: number, aTo: number, bTo: number, ctx: number): string[] {
  const start = Math.max(0, from - ctx);
  const lead = a.slice(start, from);
  const trail = a.slice(aTo, Math.min(a.length, aTo + ctx));
  const removed = a.slice(from, aTo);
  const added = b.slice(from, bTo);
  return [
    `@@ -${start + 1},${lead.length + removed.length + trail.length} +${start + 1},${lead.length + added.length + trail.length} @@`,
    ...lead.map((l) => ` ${l}`), ...removed.map((l) => `-${l}`), ...added.map((l) => `+${l}`), ...trail.map((l) => ` ${l}`),
  ];
}

/**
 * The change as a unified diff. An edit that kept the number of lines (a promotion replaces
 * scalars in place) gets one hunk per run of changed lines; otherwise one hunk between the lines
 * both texts share at the start and at the end. Empty when nothing changed.
 */
export function textDiff(file: string, before: string, after: string, ctx = 1): string {
  if (before === after) return '';
  const a = before.split('\n');
  const b = after.split('\n');
  const out = [`--- ${file}`, `+++ ${file}`];
  if (a.length === b.length) {
    // Runs of changed lines; runs closer than 2 * ctx share a hunk (their contexts would overlap).
    const runs: [number, number][] = [];
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) continue;
      let j = i;
      while (j < a.length && a[j] !== b[j]) j++;
      const last = runs.at(-1);
      if (last && i - last[1] <= 2 * ctx) last[1] = j;
      else runs.push([i, j]);
      i = j;
    }
    for (const [i, j] of runs) {
      const start = Math.max(0, i - ctx);
      const stop = Math.min(a.length, j + ctx);
      const body: string[] = [];
      for (let k = start; k < stop; k++) {
        if (a[k] === b[k]) {
          body.push(` ${a[k]}`);
          continue;
        }
        let m = k;
        while (m < stop && a[m] !== b[m]) m++;
        body.push(...a.slice(k, m).map((l) => `-${l}`), ...b.slice(k, m).map((l) => `+${l}`));
        k = m - 1;
      }
      out.push(`@@ -${start + 1},${stop - start} +${start + 1},${stop - start} @@`, ...body);
    }
    return out.join('\n');
  }
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  out.push(...hunk(a, b, start, a.length - end, b.length - end, ctx));
  return out.join('\n');
}
