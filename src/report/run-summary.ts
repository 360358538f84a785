import type { RunEvent, RunStatus, TaskStatus } from '../run/events.js';
import type { Colors } from './colors.js';

/**
 * The wording of a run, in one place: durations, the per-task lines (`▶`, `↻`, `✔`, `✖`, `-`) and the final
 * summary. Every run reporter (plain, live, GitHub) prints these, so a CI log and a terminal say the same thing.
 */

export type RunStartEvent = Extract<RunEvent, { type: 'run-start' }>;
export type TaskStartEvent = Extract<RunEvent, { type: 'task-start' }>;
export type TaskOutputEvent = Extract<RunEvent, { type: 'task-output' }>;
export type TaskRetryEvent = Extract<RunEvent, { type: 'task-retry' }>;
export type WarningEvent = Extract<RunEvent, { type: 'warning' }>;
export type TaskEndEvent = Extract<RunEvent, { type: 'task-end' }>;
export type RunEndEvent = Extract<RunEvent, { type: 'run-end' }>;

/** Where a reporter writes: `process.stdout`, or a fake that records writes in tests. */
export interface ReportStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `850ms`, `1.2s`, `2m03s`, `1h02m`: rounded to the unit shown, so `59.96s` reads `1m00s`. */
export function formatDuration(ms: number): string {
  const t = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (Math.round(t) < 1000) return `${Math.round(t)}ms`;
  const tenths = Math.round(t / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(t / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad2(seconds % 60)}s`;
  const minutes = Math.round(t / 60_000);
  return `${Math.floor(minutes / 60)}h${pad2(minutes % 60)}m`;
}

/** A ticking clock for the live block: whole seconds, never rounded up (`0s`, `59s`, `1m00s`, `1h02m`). */
export function formatElapsed(ms: number): string {
  const seconds = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad2(seconds % 60)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)}h${pad2(minutes % 60)}m`;
}

/** `daily-training 2024-03-01: 15 tasks, concurrency 4, logs in .dagline/runs/…` */
export function formatRunStart(e: RunStartEvent, c: Colors): string {
  const tasks = `${e.tasks.length} task${e.tasks.length === 1 ? '' : 's'}`;
  return `${c.bold(`${e.pipeline} ${e.ds}`)}: ${tasks}, concurrency ${e.concurrency}${c.dim(`, logs in ${e.logDir}`)}`;
}

/** `▶ id`, or `▶ id (attempt 2)` on a retry. */
export function formatTaskStart(e: TaskStartEvent, c: Colors): string {
  return `${c.cyan('▶')} ${e.id}${e.attempt > 1 ? c.dim(` (attempt ${e.attempt})`) : ''}`;
}

/**
 * `↻ id: exit 1, retrying in 2.0s (attempt 2 of 4)`. `attempt` is the attempt about to start.
 */
export function formatTaskRetry(e: TaskRetryEvent, c: Colors): string {
  const why = e.reason === '' ? '' : `${e.reason}, `;
  return `${c.yellow('↻')} ${e.id}: ${why}retrying in ${formatDuration(e.delayMs)} ${c.dim(`(attempt ${e.attempt} of ${e.maxAttempts})`)}`;
}

/** `⚠ cache: train not saved: …`: trouble that does not change the run's result. */
export const formatWarning = (e: WarningEvent, c: Colors): string => `${c.yellow('⚠')} ${e.message}`;

/** Why a task failed: the executor's words, else its exit code. */
export function failureReason(e: TaskEndEvent): string | undefined {
  if (e.reason !== undefined && e.reason !== '') return e.reason;
  return e.exitCode !== null ? `exit code ${e.exitCode}` : undefined;
}

/**
 * `✔ id 1.2s`, `✔ id cached`, `✖ id failed: exit code 3 (log: path)` (` after 4 attempts` when retried),
 * `- id skipped: condition is false`, `- id upstream_failed`, `- id cancelled`.
 */
export function formatTaskEnd(e: TaskEndEvent, c: Colors, logFile?: string): string {
  const why = e.reason !== undefined && e.reason !== '' ? `: ${e.reason}` : '';
  switch (e.status) {
    case 'succeeded':
      return `${c.green('✔')} ${e.id} ${c.dim(formatDuration(e.durationMs))}`;
    case 'cached':
      return `${c.green('✔')} ${e.id} ${c.dim('cached')}`;
    case 'failed': {
      const reason = failureReason(e);
      const attempts = e.attempts > 1 ? ` after ${e.attempts} attempts` : '';
      const log = logFile !== undefined ? c.dim(` (log: ${logFile})`) : '';
      return `${c.red('✖')} ${e.id} ${c.red(`failed${attempts}`)}${reason !== undefined ? `: ${reason}` : ''}${log}`;
    }
    case 'skipped':
      return `${c.dim('-')} ${e.id} ${c.dim('skipped')}${why}`;
    case 'upstream_failed':
      return `${c.yellow('-')} ${e.id} ${c.yellow('upstream_failed')}${why}`;
    case 'cancelled':
      return `${c.yellow('-')} ${e.id} ${c.yellow('cancelled')}${why}`;
  }
}

/** The order and words of the summary's counts. */
const SUMMARY_ORDER: ReadonlyArray<readonly [TaskStatus, string]> = [
  ['succeeded', 'succeeded'],
  ['cached', 'cached'],
  ['failed', 'failed'],
  ['upstream_failed', 'upstream failed'],
  ['cancelled', 'cancelled'],
  ['skipped', 'skipped'],
];

export interface RunSummary {
  /** Tasks per final status, from the task-end events (the last one per task wins). */
  counts: Record<TaskStatus, number>;
  /** Tasks the run-start listed that never ended (the run was cancelled or crashed). */
  notRun: number;
  /** Tasks the run knew of: the run-start's list plus any that ended without being listed. */
  total: number;
  /** Ids that failed, in the order they ended. */
  failed: string[];
  durationMs: number;
  /** The run-end's status; without a run-end, `failed` if any task failed, else `succeeded`. */
  status: RunStatus;
  /** `12 succeeded, 1 failed, 2 skipped in 14.2s` (uncoloured). */
  text: string;
}

export interface SummaryInput {
  start?: RunStartEvent;
  ends: readonly TaskEndEvent[];
  end?: RunEndEvent;
  /** Used when there is no run-end (e.g. the reporter was closed early). */
  durationMs?: number;
}

/** The final summary: pure, from the task-end events plus the run-start and run-end. */
export function summarizeRun({ start, ends, end, durationMs }: SummaryInput): RunSummary {
  const last = new Map<string, TaskEndEvent>();
  for (const e of ends) {
    last.delete(e.id);
    last.set(e.id, e);
  }
  const counts: Record<TaskStatus, number> = { succeeded: 0, failed: 0, skipped: 0, upstream_failed: 0, cancelled: 0, cached: 0 };
  for (const e of last.values()) counts[e.status] += 1;
  const listed = new Set(start?.tasks ?? []);
  const notRun = [...listed].filter((id) => !last.has(id)).length;
  const total = listed.size + [...last.keys()].filter((id) => !listed.has(id)).length;
  const failed = [...last.values()].filter((e) => e.status === 'failed').map((e) => e.id);
  const duration = end?.durationMs ?? durationMs ?? 0;
  const status: RunStatus = end?.status ?? (counts.failed > 0 || counts.upstream_failed > 0 ? 'failed' : 'succeeded');

  const parts = SUMMARY_ORDER.filter(([s]) => counts[s] > 0).map(([s, words]) => `${counts[s]} ${words}`);
  if (notRun > 0) parts.push(`${notRun} not run`);
  const text = `${parts.length > 0 ? parts.join(', ') : 'no tasks'} in ${formatDuration(duration)}`;
  return { counts, notRun, total, failed, durationMs: duration, status, text };
}

/** The summary line, green when the run succeeded, red when it failed, yellow when cancelled. */
export function formatSummary(summary: RunSummary, c: Colors): string {
  const paint = summary.status === 'succeeded' ? c.green : summary.status === 'failed' ? c.red : c.yellow;
  return paint(c.bold(summary.text));
}
