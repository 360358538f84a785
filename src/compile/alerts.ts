import type { Alerts as AlertsSpec, PipelineDocument } from '../validate/pipeline.generated.js';
import { parseDuration } from './duration.js';
import type { AlertRules, Notify, NotifyOn } from './graph.js';

export const DEFAULT_SLOWER_THAN = 2;
export const DEFAULT_FAILURE_RUNS = 10;

/** A task's alert rules: its own `alerts` over the pipeline's, key by key (output bounds key by output key). */
export function alertRules(pipeline: AlertsSpec | undefined, task: AlertsSpec | undefined): AlertRules {
  const merged = { ...pipeline, ...task };
  const sla = merged.sla === undefined ? undefined : parseDuration(merged.sla);
  return {
    slowerThan: merged.slower_than ?? DEFAULT_SLOWER_THAN,
    slaMs: sla ?? null,
    failureRate: merged.failure_rate === undefined ? null : { max: merged.failure_rate.max, runs: merged.failure_rate.runs ?? DEFAULT_FAILURE_RUNS },
    outputs: { ...pipeline?.outputs, ...task?.outputs },
  };
}

/** The pipeline's `notify`, or undefined when it has none. */
export function notifySettings(spec: PipelineDocument['notify']): Notify | undefined {
  if (spec === undefined) return undefined;
  const webhook = spec.webhook;
  const url = webhook?.url !== undefined ? { literal: webhook.url } : webhook?.url_env !== undefined ? { env: webhook.url_env } : undefined;
  return {
    ...(url === undefined ? {} : { webhook: { url, on: (webhook?.on ?? ['failure']) as NotifyOn[] } }),
    githubIssue: spec.github_issue === true,
  };
}
