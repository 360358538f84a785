import type { TaskStatus } from '../run/events.js';
import type { RunRecord } from '../run/record.js';

/** One task's outcome in one run: a line of the history. */
export interface HistoryRow {
  /** The run id (`.dagline/runs/<run>`). */
  run: string;
  /** The run's logical date. */
  ds: string;
  id: string;
  name: string;
  status: TaskStatus;
  /** Restored from the cache rather than run (then `durationMs` is the restore's time). */
  cached: boolean;
  durationMs: number;
  attempts: number;
  exitCode: number | null;
  /** When the task ended (ISO 8601): what "the last runs" are counted by. */
  end: string;
}

const STATUSES: ReadonlySet<string> = new Set<TaskStatus>(['succeeded', 'failed', 'skipped', 'upstream_failed', 'cancelled', 'cached']);

/** The tasks of a run record that have ended, as history rows; `nameOf` gives a task id's name. */
export function historyRows(record: RunRecord, nameOf: (id: string) => string): HistoryRow[] {
  return Object.entries(record.tasks).flatMap(([id, task]) =>
    STATUSES.has(task.status) && task.end !== undefined
      ? [{ run: record.runId, ds: record.ds, id, name: nameOf(id), status: task.status as TaskStatus, cached: task.status === 'cached', durationMs: task.durationMs ?? 0, attempts: task.attempts.length, exitCode: task.exitCode, end: task.end }]
      : [],
  );
}

/** One line of a history file, or undefined for a line that is not a whole row (a torn or foreign line is skipped). */
export function parseRow(line: string): HistoryRow | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isRow(value) ? value : undefined;
}

function isRow(value: unknown): value is HistoryRow {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const strings = ['run', 'ds', 'id', 'name', 'end'].every((key) => typeof r[key] === 'string');
  const numbers = Number.isFinite(r.durationMs) && Number.isInteger(r.attempts) && (r.exitCode === null || Number.isInteger(r.exitCode));
  return strings && numbers && STATUSES.has(r.status as string) && typeof r.cached === 'boolean';
}

/**
 * What a history keeps: one row per run of a task (the one that ended last, should a resumed run have written
 * it twice), and of those the `keep` that ended last, per task and per kind (cached or run). Oldest first.
 */
export function latestRuns(rows: readonly HistoryRow[], keep: number): HistoryRow[] {
  const unique = new Map<string, HistoryRow>();
  for (const row of rows) {
    const key = `${row.run}\u0000${row.id}`;
    const seen = unique.get(key);
    if (seen === undefined || byEnd(seen, row) <= 0) unique.set(key, row);
  }
  // Cached and executed runs are bounded apart: a task restored from the cache night after night must not push
  // the runs that say how long it takes (and how often it fails) out of its history.
  const perTask = Map.groupBy([...unique.values()].sort(byEnd), (r) => `${r.id}\u0000${r.cached}`);
  return [...perTask.values()].flatMap((list) => list.slice(-keep)).sort(byEnd);
}

/** By end time, then run id: the same order on every machine. */
export const byEnd = (a: HistoryRow, b: HistoryRow): number => compare(a.end, b.end) || compare(a.run, b.run) || compare(a.id, b.id);

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
