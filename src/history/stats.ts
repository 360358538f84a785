import type { HistoryRow } from './row.js';

/** What the history says about one task. */
export interface TaskHistory {
  id: string;
  name: string;
  /** The runs kept (at most the history's bound), newest first. */
  runs: HistoryRow[];
  /** The median duration of its successful runs that were not restored from the cache; null: there is none. */
  medianMs: number | null;
  /** Runs that failed, of the runs that ran to an end (succeeded or failed): a cached or skipped run says nothing. */
  failed: number;
  ran: number;
  /** `failed / ran`; null when it never ran. */
  failureRate: number | null;
}

/** Per task (in the order of their first row), its runs and figures. `rows` as the store returns them: oldest first. */
export function taskHistories(rows: readonly HistoryRow[]): TaskHistory[] {
  return [...Map.groupBy(rows, (r) => r.id).values()].map(summarize);
}

function summarize(rows: readonly HistoryRow[]): TaskHistory {
  const first = rows[0] as HistoryRow;
  const ran = rows.filter((r) => r.status === 'succeeded' || r.status === 'failed');
  const failed = ran.filter((r) => r.status === 'failed').length;
  return {
    id: first.id,
    name: first.name,
    runs: [...rows].reverse(),
    medianMs: median(rows.filter(isTimedSuccess).map((r) => r.durationMs)) ?? null,
    failed,
    ran: ran.length,
    failureRate: ran.length === 0 ? null : failed / ran.length,
  };
}

/** Per task id, the median duration of its successful uncached runs: what `plan` expects the task to take. */
export function durationEstimates(rows: readonly HistoryRow[]): Map<string, number> {
  const timed = Map.groupBy(rows.filter(isTimedSuccess), (r) => r.id);
  return new Map([...timed].map(([id, list]) => [id, median(list.map((r) => r.durationMs)) as number]));
}

/** A run that says how long the task takes: it succeeded, and ran rather than being restored. */
const isTimedSuccess = (row: HistoryRow): boolean => row.status === 'succeeded' && !row.cached;

/** The middle value (the mean of the two middle ones for an even count); undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
