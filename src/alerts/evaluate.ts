import type { AlertRules, Graph, OutputBound } from '../compile/graph.js';
import { median } from '../history/stats.js';
import type { HistoryRow } from '../history/row.js';
import { formatDuration } from '../report/run-summary.js';
import { numeric } from '../report/metrics.js';
import type { RunRecord, TaskRecord } from '../run/record.js';

export type AlertKind = 'slower_than' | 'sla' | 'failure_rate' | 'output';

export interface Alert {
  task: string;
  kind: AlertKind;
  message: string;
}

/** `slower_than` compares with the median only once a task has this many successful runs behind it. */
export const MIN_PAST_RUNS = 3;

/** What the alerts compare a run with: the history without this run, and per task the last value of each output. */
export interface Past {
  rows: readonly HistoryRow[];
  /** Task id → output key → the value in the last earlier run that had it. */
  outputs: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** The alerts a finished run raises, task by task in graph order. Pure: the run record and its past in, alerts out. */
export function evaluateAlerts(graph: Graph, record: RunRecord, past: Past): Alert[] {
  const rowsByTask = Map.groupBy(past.rows, (r) => r.id);
  return graph.tasks.flatMap((task) => {
    const run = record.tasks[task.id];
    if (run === undefined || run.end === undefined || task.alerts === undefined) return [];
    const rows = rowsByTask.get(task.id) ?? [];
    const raised = [
      slower(task.alerts, run, rows),
      overSla(task.alerts, run),
      failureRate(task.alerts, run, rows),
      ...Object.entries(task.alerts.outputs).map(([key, bound]) => outputOutOfBounds(key, bound, run, past.outputs.get(task.id)?.[key])),
    ];
    return raised.filter((a) => a !== undefined).map((a) => ({ task: task.id, ...a }));
  });
}

type Raised = Omit<Alert, 'task'> | undefined;

const ranToEnd = (status: string): boolean => status === 'succeeded' || status === 'failed';

function slower(rules: AlertRules, run: TaskRecord, rows: readonly HistoryRow[]): Raised {
  if (run.status !== 'succeeded') return undefined;
  const timed = rows.filter((r) => r.status === 'succeeded' && !r.cached).map((r) => r.durationMs);
  const usual = timed.length >= MIN_PAST_RUNS ? median(timed) : undefined;
  const took = run.durationMs ?? 0;
  if (usual === undefined || usual <= 0 || took <= rules.slowerThan * usual) return undefined;
  return { kind: 'slower_than', message: `took ${formatDuration(took)}, ${(took / usual).toFixed(1)}× its median of ${formatDuration(usual)} over ${timed.length} successful runs (slower_than: ${rules.slowerThan})` };
}

function overSla(rules: AlertRules, run: TaskRecord): Raised {
  const took = run.durationMs ?? 0;
  if (rules.slaMs === null || !ranToEnd(run.status) || took <= rules.slaMs) return undefined;
  return { kind: 'sla', message: `took ${formatDuration(took)}, over its SLA of ${formatDuration(rules.slaMs)}` };
}

function failureRate(rules: AlertRules, run: TaskRecord, rows: readonly HistoryRow[]): Raised {
  if (rules.failureRate === null || !ranToEnd(run.status)) return undefined;
  const { max, runs } = rules.failureRate;
  const statuses = [...rows.filter((r) => ranToEnd(r.status)).map((r) => r.status), run.status].slice(-runs);
  const failed = statuses.filter((s) => s === 'failed').length;
  if (failed / statuses.length <= max) return undefined;
  return { kind: 'failure_rate', message: `failed ${failed} of its last ${statuses.length} runs, over the failure rate of ${max} (failure_rate.max)` };
}

function outputOutOfBounds(key: string, bound: OutputBound, run: TaskRecord, last: string | undefined): Raised {
  const text = run.outputs[key];
  const value = text === undefined ? undefined : numeric(text);
  if (value === undefined) return undefined;
  const out = (why: string): Raised => ({ kind: 'output', message: `output ${key}=${value} ${why}` });
  if (bound.min !== undefined && value < bound.min) return out(`is below its minimum of ${bound.min}`);
  if (bound.max !== undefined && value > bound.max) return out(`is above its maximum of ${bound.max}`);
  const before = last === undefined ? undefined : numeric(last);
  if (bound.drop !== undefined && before !== undefined && before > 0 && (before - value) / before > bound.drop) {
    return out(`fell by ${Math.round(((before - value) / before) * 100)}% against the last run (${before}), more than its drop of ${bound.drop}`);
  }
  return undefined;
}

/** Per task, the last value of each output in the earlier records (newest first, as `listRuns` gives them). */
export function lastOutputs(records: readonly RunRecord[]): Map<string, Record<string, string>> {
  const last = new Map<string, Record<string, string>>();
  for (const record of records) {
    for (const [id, task] of Object.entries(record.tasks)) {
      last.set(id, { ...task.outputs, ...last.get(id) });
    }
  }
  return last;
}

/** The one line an alert is shown as. */
export const alertLine = (alert: Alert): string => `alert: ${alert.task} ${alert.message}`;
