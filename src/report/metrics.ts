import type { Graph } from '../compile/graph.js';
import type { TaskStatus } from '../run/events.js';
import type { RunRecord } from '../run/record.js';

/*
 * A run's figures in the Prometheus text exposition format (version 0.0.4), as node-exporter's textfile
 * collector and the Pushgateway read it. Every sample is a gauge: each describes the last run, not a total.
 */

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  samples: { labels: Labels; value: number }[];
}

const STATUSES: readonly TaskStatus[] = ['succeeded', 'failed', 'skipped', 'upstream_failed', 'cancelled', 'cached'];

/** The exposition text, and a warning per declared metric output whose value is not a number. */
export function runMetrics(graph: Graph, record: RunRecord): { text: string; warnings: string[] } {
  const pipeline = graph.pipeline;
  const tasks = Object.entries(record.tasks);
  const ended = tasks.filter(([, t]) => t.end !== undefined);
  const perTask = (value: (t: (typeof tasks)[number][1]) => number) =>
    ended.map(([id, t]) => ({ labels: { pipeline, task: id, status: t.status }, value: value(t) }));
  const outputs = outputSamples(graph, record);
  const families: Family[] = [
    { name: 'dagline_task_duration_seconds', help: 'How long the task took in the last run (the restore, when cached).', samples: perTask((t) => (t.durationMs ?? 0) / 1000) },
    { name: 'dagline_task_attempts', help: 'Attempts the task made in the last run.', samples: perTask((t) => t.attempts.length) },
    { name: 'dagline_task_cached', help: '1 when the task was restored from the cache in the last run, else 0.', samples: perTask((t) => (t.status === 'cached' ? 1 : 0)) },
    { name: 'dagline_run_duration_seconds', help: 'Wall time of the last run.', samples: [{ labels: { pipeline }, value: runSeconds(record) }] },
    { name: 'dagline_run_success', help: '1 when the last run succeeded, else 0.', samples: [{ labels: { pipeline }, value: record.status === 'succeeded' ? 1 : 0 }] },
    { name: 'dagline_run_timestamp_seconds', help: 'When the last run ended, in seconds since the epoch.', samples: [{ labels: { pipeline }, value: Date.parse(record.endedAt ?? record.startedAt) / 1000 }] },
    { name: 'dagline_tasks', help: 'Tasks of the last run, by how they ended.', samples: STATUSES.map((status) => ({ labels: { pipeline, status }, value: ended.filter(([, t]) => t.status === status).length })) },
    { name: 'dagline_output', help: 'Numeric task outputs declared in `metrics:`, from the last run.', samples: outputs.samples },
  ];
  return { text: families.filter((f) => f.samples.length > 0).map(formatFamily).join(''), warnings: outputs.warnings };
}

function outputSamples(graph: Graph, record: RunRecord): { samples: Family['samples']; warnings: string[] } {
  const samples: Family['samples'] = [];
  const warnings: string[] = [];
  for (const task of graph.tasks) {
    const outputs = record.tasks[task.id]?.outputs ?? {};
    for (const key of task.metrics ?? []) {
      const value = outputs[key];
      if (value === undefined) continue; // the task did not run, or did not write it this time
      const number = numeric(value);
      if (number === undefined) warnings.push(`${task.id}: output \`${key}\` is declared in metrics but \`${value}\` is not a number; it is left out of the metrics`);
      else samples.push({ labels: { pipeline: graph.pipeline, task: task.id, key }, value: number });
    }
  }
  return { samples, warnings };
}

/** The number an output holds (decimal, with an optional exponent), or undefined. */
export function numeric(value: string): number | undefined {
  const text = value.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : undefined;
}

function runSeconds(record: RunRecord): number {
  const end = record.endedAt === undefined ? Date.now() : Date.parse(record.endedAt);
  return Math.max(0, end - Date.parse(record.startedAt)) / 1000;
}

function formatFamily(family: Family): string {
  const head = `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} gauge\n`;
  return head + family.samples.map((s) => `${family.name}{${formatLabels(s.labels)}} ${formatValue(s.value)}\n`).join('');
}

const formatLabels = (labels: Labels): string =>
  Object.entries(labels)
    .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
    .join(',');

/** Label values escape `\`, `"` and line feeds; HELP text only `\` and line feeds. */
export const escapeLabel = (value: string): string => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
const escapeHelp = (text: string): string => text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');

const formatValue = (value: number): string => (Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value));
