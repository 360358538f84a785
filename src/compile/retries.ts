import { parseDuration } from './duration.js';
import type { RetryPolicy } from './graph.js';

export type RetriesSpec =
  | number
  | {
      attempts?: number;
      delay?: string | number;
      backoff?: 'fixed' | 'exponential';
      max_delay?: string | number;
      jitter?: boolean;
      on?: (number | 'timeout')[];
    };

export const NO_RETRIES: RetryPolicy = {
  attempts: 0,
  delayMs: 10_000,
  backoff: 'fixed',
  maxDelayMs: 600_000,
  jitter: false,
  on: [],
};

/** The task's own settings over the pipeline defaults over NO_RETRIES, key by key. */
export function retryPolicy(...specs: (RetriesSpec | undefined)[]): RetryPolicy {
  let policy = NO_RETRIES;
  for (const spec of specs) {
    if (spec === undefined) continue;
    if (typeof spec === 'number') {
      policy = { ...policy, attempts: spec };
      continue;
    }
    policy = {
      attempts: spec.attempts ?? policy.attempts,
      delayMs: spec.delay === undefined ? policy.delayMs : (parseDuration(spec.delay) ?? policy.delayMs),
      backoff: spec.backoff ?? policy.backoff,
      maxDelayMs: spec.max_delay === undefined ? policy.maxDelayMs : (parseDuration(spec.max_delay) ?? policy.maxDelayMs),
      jitter: spec.jitter ?? policy.jitter,
      on: spec.on ?? policy.on,
    };
  }
  return policy;
}
