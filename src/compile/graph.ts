import type { Value } from '../expression/ast.js';
import type { RunMacros } from '../schedule/logical-date.js';

/**
 * A piece of compiled text: literal text, or an expression that can only be evaluated when the task starts
 * (it reads `needs.*` or `run.attempt`). Keeping the two apart means a value substituted at compile time can
 * never be mistaken for an expression later.
 */
export type Part = string | { expr: string };

export type Command =
  | { kind: 'run'; shell: string; script: Part[] }
  | { kind: 'args'; args: Part[][] };

export interface RetryPolicy {
  /** Retries after the first attempt. */
  attempts: number;
  delayMs: number;
  backoff: 'fixed' | 'exponential';
  maxDelayMs: number;
  jitter: boolean;
  /** Exit codes (and 'timeout') that count as transient; empty means every failure is retried. */
  on: (number | 'timeout')[];
}

/** One concrete task of a compiled pipeline. */
export interface Task {
  /** `name` or `name[axis=value,…]`. */
  id: string;
  name: string;
  matrix: Record<string, Value>;
  needs: string[];
  command: Command;
  env: Record<string, Part[]>;
  /** Relative to the pipeline's folder. */
  workingDirectory: string;
  inputs: string[];
  outputs: string[];
  timeoutMs: number | null;
  retries: RetryPolicy;
  /** A condition evaluated when the task is ready, or null for "run when everything it needs succeeded". */
  if: string | null;
  cache: boolean;
  /** Output keys whose numeric values are exported as metrics (src/report/metrics.ts). */
  metrics?: string[];
  /** The pipeline's `alerts` with the task's own over them (src/report/alerts.ts). */
  alerts?: AlertRules;
}

export interface AlertRules {
  /** Factor of the median duration of the last successful runs. */
  slowerThan: number;
  slaMs: number | null;
  failureRate: { max: number; runs: number } | null;
  outputs: Record<string, OutputBound>;
}

export interface OutputBound {
  min?: number;
  max?: number;
  /** Largest acceptable fall against the last run, as a fraction. */
  drop?: number;
}

export type NotifyOn = 'failure' | 'alert' | 'success';

export interface Notify {
  /** The URL itself, or the environment variable holding it (a secret, read when the run ends). */
  webhook?: { url: { literal: string } | { env: string }; on: NotifyOn[] };
  githubIssue: boolean;
}

/** A pipeline compiled for one logical date: concrete tasks in a stable topological order. */
export interface Graph {
  pipeline: string;
  file: string;
  /** The repository root (absolute): task folders, logs and the cache live below it. */
  root: string;
  /** The pipeline file's folder, relative to the repository root ('' when it is the root). */
  dir: string;
  params: Record<string, Value>;
  /** The pipeline-level `env`, as expressions read it. */
  env: Record<string, string>;
  /** Names of environment variables whose values are secret: redacted from what a run prints and records. */
  secrets: string[];
  run: RunMacros;
  tasks: Task[];
  notify?: Notify;
}

export const renderParts = (parts: readonly Part[]): string =>
  parts.map((p) => (typeof p === 'string' ? p : `\${{ ${p.expr} }}`)).join('');
