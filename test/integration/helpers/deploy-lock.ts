import { setTimeout as sleep } from 'node:timers/promises';

/** Other test files deploy on the same lab: retry (bounded: 2 minutes) while one of them holds the deploy lock. */
export async function unlocked<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 120 || !/holds the lock|taking the lock/.test((err as Error).message)) throw err;
      await sleep(1000);
    }
  }
}
