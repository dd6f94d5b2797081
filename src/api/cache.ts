/**
 * Memoises an async read for `ttlMs` after it finishes; callers that arrive while a read is
 * under way share it, so that a dashboard refresh and a metrics scrape cost one round to the
 * nodes. A failed read is not kept.
 */
export function cached<T>(read: () => Promise<T>, ttlMs: number, now: () => number = Date.now): () => Promise<T> {
  let entry: { doneAt: number | null; promise: Promise<T> } | null = null;
  return () => {
    if (entry && (entry.doneAt === null || now() - entry.doneAt < ttlMs)) return entry.promise;
    const mine: { doneAt: number | null; promise: Promise<T> } = { doneAt: null, promise: read() };
    entry = mine;
    mine.promise.then(
      () => (mine.doneAt = now()),
      () => {
        if (entry === mine) entry = null;
      },
    );
    return mine.promise;
  };
}
