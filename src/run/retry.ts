import type { RetryPolicy } from '../compile/graph.js';

export interface AttemptFailure {
  exitCode: number | null;
  timedOut: boolean;
}

/** Transient failures are retried; `on: []` means every exit code and timeout counts as transient. */
export function isTransient(policy: RetryPolicy, failure: AttemptFailure): boolean {
  if (policy.on.length === 0) return true;
  if (failure.timedOut) return policy.on.includes('timeout');
  return failure.exitCode !== null && policy.on.includes(failure.exitCode);
}

/**
 * The wait before retry number `retry` (1 for the first retry). Jitter takes a random share of up to half the
 * delay off, so many tasks failing together do not retry in lockstep.
 */
export function retryDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = policy.backoff === 'exponential' ? policy.delayMs * 2 ** (retry - 1) : policy.delayMs;
  const capped = Math.min(base, policy.maxDelayMs);
  return policy.jitter ? Math.round(capped * (1 - random() / 2)) : capped;
}
