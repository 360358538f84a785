import type { HistoryRow } from '../history/row.js';
import type { TaskHistory } from '../history/stats.js';
import type { Colors } from './colors.js';
import { formatDuration } from './run-summary.js';

/** `dagline history`: per task its figures over every run kept, then its `last` runs, newest first. */
export function formatHistoryText(pipeline: string, tasks: readonly TaskHistory[], last: number, c: Colors): string {
  if (tasks.length === 0) return `${pipeline}: no run recorded yet\n`;
  const out = [c.bold(`${pipeline}: the last ${last} run${last === 1 ? '' : 's'} of ${tasks.length} task${tasks.length === 1 ? '' : 's'}, newest first`)];
  for (const task of tasks) {
    const median = task.medianMs === null ? 'unknown' : formatDuration(task.medianMs);
    const rate = task.failureRate === null ? 'unknown' : `${Math.round(task.failureRate * 100)}% (${task.failed} of ${task.ran})`;
    out.push('', `${c.bold(task.id)}  ${c.dim('median')} ${median}  ${c.dim('failure rate')} ${rate}  ${c.dim(`(${task.runs.length} run${task.runs.length === 1 ? '' : 's'} kept)`)}`);
    out.push(...table(task.runs.slice(0, last), c));
  }
  return `${out.join('\n')}\n`;
}

function table(runs: readonly HistoryRow[], c: Colors): string[] {
  const rows = runs.map((r) => [r.ds, r.status, r.cached ? '' : formatDuration(r.durationMs), r.attempts === 0 ? '' : `${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`, r.run]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const paint = (status: string): string => (status === 'succeeded' ? c.green(status) : status === 'failed' ? c.red(status) : status === 'cached' ? c.cyan(status) : c.dim(status));
  return rows.map(([ds, status, duration, attempts, run]) =>
    `  ${(ds ?? '').padEnd(widths[0] ?? 0)}  ${paint((status ?? '').padEnd(widths[1] ?? 0))}  ${(duration ?? '').padStart(widths[2] ?? 0)}  ${(attempts ?? '').padEnd(widths[3] ?? 0)}  ${c.dim(run ?? '')}`.trimEnd(),
  );
}

/** The same as JSON: every figure, and each task's `last` runs, newest first. */
export function formatHistoryJson(pipeline: string, tasks: readonly TaskHistory[], last: number): string {
  const json = tasks.map(({ runs, ...figures }) => ({ ...figures, kept: runs.length, runs: runs.slice(0, last).map(({ id: _id, name: _name, ...run }) => run) }));
  return `${JSON.stringify({ pipeline, last, tasks: json }, null, 2)}\n`;
}
