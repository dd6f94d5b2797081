/** What the decision needs of an app: its range and its autoscale settings. */
export interface AutoscalePolicy {
  min: number;
  max: number;
  /** requests per second one replica should take */
  target: number;
  scaleDownDelayMs: number;
}

/** What the decision remembers between samples. */
export interface AutoscaleState {
  replicas: number;
  /** when the count last changed (ms) */
  changedAt: number;
  /** since when the rate has asked for fewer replicas without a break, or null */
  lowSince: number | null;
}

export interface Decision {
  state: AutoscaleState;
  /** set when the count changes */
  change?: { from: number; to: number; why: 'up' | 'down' | 'range' };
}

/** Up only when the rate exceeds what the replicas are meant to take by more than this. */
export const UP_MARGIN = 1.1;

export const clamp = (n: number, min: number, max: number): number => Math.min(max, Math.max(min, n));

/** The count the rate asks for: ceil(rate / target) within [min, max]. */
export function wanted(p: AutoscalePolicy, rate: number): number {
  return clamp(Math.ceil(Math.max(0, rate) / p.target), p.min, p.max);
}

/**
 * One sample's decision. A count outside the range moves into it at once; up at once when the
 * rate is more than 10% above what the replicas take; down only when the rate asked for fewer
 * the whole scaleDownDelay and the last change is that old, so noise around a boundary cannot
 * make the count flap.
 */
export function decide(p: AutoscalePolicy, s: AutoscaleState, rate: number, now: number): Decision {
  const to = (n: number, why: 'up' | 'down' | 'range'): Decision => ({
    state: { replicas: n, changedAt: now, lowSince: null },
    change: { from: s.replicas, to: n, why },
  });
  const inRange = clamp(s.replicas, p.min, p.max);
  if (inRange !== s.replicas) return to(inRange, 'range');
  const want = wanted(p, rate);
  if (want > s.replicas && rate > s.replicas * p.target * UP_MARGIN) return to(want, 'up');
  if (want >= s.replicas) return { state: { ...s, lowSince: null } };
  const lowSince = s.lowSince ?? now;
  if (now - lowSince >= p.scaleDownDelayMs && now - s.changedAt >= p.scaleDownDelayMs) return to(want, 'down');
  return { state: { ...s, lowSince } };
}
