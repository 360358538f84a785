import type { BaseChange, BaseComparison } from '../cache/compare.js';
import type { Plan } from '../plan/plan.js';
import type { RunRecord } from '../run/record.js';
import { formatMermaid, type DiagramTask } from './graph-formats.js';
import { describeWallTime, estimateCell, hasEstimates } from './plan-formats.js';
import { formatDuration } from './run-summary.js';

/** Past this many tasks, a diagram is folded away; past the second, it is left out (Mermaid gives up). */
const DIAGRAM_OPEN_MAX = 40;
const DIAGRAM_MAX = 400;

const ACTION_LABEL: Readonly<Record<string, string>> = { run: '🟡 will run', cached: '🔵 cached', skip: '⚪ skipped' };

/** One pipeline's plan: counts, the table of tasks with the reason and the change against the base, the DAG. */
export function planMarkdown(plan: Plan, comparison?: BaseComparison): string {
  const running = plan.tasks.filter((t) => t.action === 'run').length;
  const cached = plan.tasks.filter((t) => t.action === 'cached').length;
  const out = [`### ${escape(plan.pipeline)} (\`${plan.file}\`) for ${plan.ds}`, ''];
  out.push(`**${running} of ${plan.tasks.length} tasks will run**, ${cached} cached.`);
  if (comparison !== undefined) out.push('', comparisonSummary(comparison, plan.tasks.length));
  const timed = hasEstimates(plan);
  const headings = ['task', 'plan', 'why', ...(comparison === undefined ? [] : [`vs \`${escape(comparison.base)}\``]), ...(timed ? ['estimate'] : [])];
  out.push('', `| ${headings.join(' | ')} |`, `|${' --- |'.repeat(headings.length)}`);
  for (const t of plan.tasks) {
    const cells = [`\`${escape(t.id)}\``, ACTION_LABEL[t.action] ?? t.action, escape(t.reason)];
    if (comparison !== undefined) cells.push(changeCell(comparison.tasks.get(t.id)));
    if (timed) cells.push(estimateCell(t));
    out.push(`| ${cells.join(' | ')} |`);
  }
  if (comparison !== undefined && comparison.removed.length > 0) out.push('', `Removed by this change: ${comparison.removed.map((id) => `\`${escape(id)}\``).join(', ')}.`);
  const pathTime = timed && plan.timing !== undefined ? ` (~${formatDuration(plan.timing.criticalPathMs)})` : '';
  if (plan.criticalPath.length > 0) out.push('', `Critical path: ${plan.criticalPath.map((id) => `\`${escape(id)}\``).join(' → ')}${pathTime}`);
  if (plan.timing !== undefined) out.push('', `Expected wall time: ${escape(describeWallTime(plan))}`);
  const actions = new Map(plan.tasks.map((t) => [t.id, t.action]));
  out.push('', diagram(plan.tasks, (id) => actions.get(id)));
  return `${out.join('\n')}\n`;
}

function comparisonSummary(comparison: BaseComparison, total: number): string {
  const changed = [...comparison.tasks.values()].filter((c) => c.change === 'changed').length;
  const added = [...comparison.tasks.values()].filter((c) => c.change === 'added').length;
  const same = total - changed - added;
  return `Against \`${escape(comparison.base)}\`: this change invalidates **${changed}** task${changed === 1 ? '' : 's'}, adds ${added}, removes ${comparison.removed.length}; ${same} keep their fingerprint (cached once the base has run them).`;
}

function changeCell(change: BaseChange | undefined): string {
  if (change === undefined) return '';
  if (change.change === 'unchanged') return 'unchanged';
  if (change.change === 'added') return '🆕 new';
  return `✏️ ${escape(change.reasons.join(', ') || 'changed')}`;
}

const STATUS_LABEL: Readonly<Record<string, string>> = {
  succeeded: '✅ succeeded',
  cached: '🔵 cached',
  failed: '❌ failed',
  upstream_failed: '⛔ upstream failed',
  skipped: '⚪ skipped',
  cancelled: '⏹️ cancelled',
  pending: '… pending',
  running: '▶ running',
};

/** One run: per task status, duration, attempts, cached or not; the DAG coloured by status; a Gantt chart. */
export function runMarkdown(record: RunRecord, tasks: readonly DiagramTask[]): string {
  const entries = Object.entries(record.tasks);
  const count = (status: string) => entries.filter(([, t]) => t.status === status).length;
  const out = [`### ${escape(record.pipeline)} for ${record.ds}: ${record.status}`, ''];
  out.push(`${count('succeeded')} succeeded, ${count('cached')} cached, ${count('failed')} failed, ${count('skipped')} skipped, ${count('upstream_failed')} upstream failed.`);
  out.push('', '| task | status | duration | attempts | exit code |', '| --- | --- | --- | --- | --- |');
  for (const [id, t] of entries) {
    const duration = t.durationMs === undefined ? '' : formatDuration(t.durationMs);
    out.push(`| \`${escape(id)}\` | ${STATUS_LABEL[t.status] ?? t.status} | ${duration} | ${t.attempts.length || ''} | ${t.exitCode ?? ''} |`);
  }
  const alerts = record.alerts ?? [];
  if (alerts.length > 0) out.push('', '**Alerts**', '', ...alerts.map((a) => `- ⚠️ \`${escape(a.task)}\` (${a.kind}): ${escape(a.message)}`));
  out.push('', diagram(tasks, (id) => record.tasks[id]?.status));
  const chart = gantt(record);
  if (chart !== '') out.push('', chart);
  return `${out.join('\n')}\n`;
}

/** Past this many bars a Gantt chart shows the longest tasks only: more would be unreadable. */
const GANTT_MAX = 100;

const GANTT_TAG: Readonly<Record<string, string>> = { succeeded: 'done, ', failed: 'crit, ' };

/**
 * The tasks that ran, on their real start and end (every attempt, with the waits between them); cached and
 * skipped tasks took no time and are left out. Empty when no task ran.
 */
function gantt(record: RunRecord): string {
  const bars = Object.entries(record.tasks).flatMap(([id, t]) =>
    t.start !== undefined && t.end !== undefined && t.attempts.length > 0 ? [{ id, status: t.status, start: Date.parse(t.start), end: Date.parse(t.end) }] : [],
  );
  if (bars.length === 0) return '';
  const shown = bars.length <= GANTT_MAX ? bars : [...bars].sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, GANTT_MAX);
  shown.sort((a, b) => a.start - b.start || a.end - b.end);
  const lines = ['gantt', '  dateFormat x', '  axisFormat %H:%M:%S', '  todayMarker off'];
  // Mermaid reads `:` as the end of a bar's title and `#`, `;` as syntax: they may occur in matrix values.
  shown.forEach((bar, i) => lines.push(`  ${bar.id.replace(/[:;#\r\n]/g, '_')} :${GANTT_TAG[bar.status] ?? 'active, '}t${i}, ${bar.start}, ${Math.max(bar.end, bar.start + 1)}`));
  const note = shown.length < bars.length ? `\n\n_The chart shows the ${shown.length} longest of the ${bars.length} tasks that ran._` : '';
  return `\`\`\`mermaid\n${lines.join('\n')}\n\`\`\`${note}`;
}

export interface DateOutcome {
  date: string;
  status: string;
  succeeded: number;
  cached: number;
  failed: number;
  durationMs: number;
}

/** A backfill or a catch-up: one row per logical date. */
export function datesMarkdown(title: string, rows: readonly DateOutcome[]): string {
  const out = [`### ${escape(title)}`, '', '| logical date | status | succeeded | cached | failed | duration |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) out.push(`| ${r.date} | ${STATUS_LABEL[r.status] ?? r.status} | ${r.succeeded} | ${r.cached} | ${r.failed} | ${formatDuration(r.durationMs)} |`);
  return `${out.join('\n')}\n`;
}

function diagram(tasks: readonly DiagramTask[], statusOf: (id: string) => string | undefined): string {
  if (tasks.length > DIAGRAM_MAX) return `_The DAG has ${tasks.length} tasks: too many to draw here; \`dagline graph\` prints it._`;
  const block = `\`\`\`mermaid\n${formatMermaid(tasks, statusOf)}\`\`\``;
  return tasks.length <= DIAGRAM_OPEN_MAX ? block : `<details><summary>DAG (${tasks.length} tasks)</summary>\n\n${block}\n\n</details>`;
}

/** Table cells and headings: `|` would end a cell, `<` could open HTML. */
function escape(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('\n', ' ');
}
