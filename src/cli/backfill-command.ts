import { cpus } from 'node:os';
import { mapLimit } from '../cache/fs-util.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { colorsFor, type Colors } from '../report/colors.js';
import { PlainReporter } from '../report/run-plain.js';
import { formatDuration } from '../report/run-summary.js';
import type { Reporter, RunStatus } from '../run/events.js';
import { datesBetween } from '../schedule/due.js';
import { iso } from '../schedule/logical-date.js';
import type { DateTime } from '../schedule/luxon.js';
import { recordSuccess, scheduleStateDir } from '../schedule/state.js';
import { COMMON_OPTIONS, positiveInteger, type ParsedArguments } from './arguments.js';
import { CACHE_OPTIONS, openCache } from './cache-setup.js';
import { load, loadPipeline, onePipeline, report, type Command } from './commands.js';
import { EXIT, type CliIo } from './io.js';
import { countTasks, runGraph, Warnings } from './run-command.js';
import { pipelineSchedule } from './schedule-command.js';

export const backfillCommand: Command = {
  options: {
    help: COMMON_OPTIONS.help,
    param: COMMON_OPTIONS.param,
    pipeline: COMMON_OPTIONS.pipeline,
    ...CACHE_OPTIONS,
    from: { type: 'string' },
    to: { type: 'string' },
    'max-active-runs': { type: 'string' },
    concurrency: { type: 'string', short: 'j' },
    'keep-going': { type: 'boolean', short: 'k' },
    'dry-run': { type: 'boolean', short: 'n' },
  },
  async run(args, io) {
    const { from, to } = args.values;
    if (typeof from !== 'string' || typeof to !== 'string') return { code: 'DAG090', message: 'backfill needs --from D and --to D (days or ISO timestamps)' };
    const concurrency = positiveInteger(args.values.concurrency, cpus().length, 'concurrency');
    if (!concurrency.ok) return concurrency.error;
    const one = await loadPipeline(args, io);
    if (!one.ok) return one.error;
    const { loaded, graph } = one.value;
    const schedule = pipelineSchedule(loaded, graph, io.cwd);
    const dates = datesBetween(schedule, from, to);
    if (!dates.ok) return { code: 'DAG093', message: `backfill: ${dates.error}` };
    const maxActiveRuns = positiveInteger(args.values['max-active-runs'], schedule.maxActiveRuns ?? 1, 'max-active-runs');
    if (!maxActiveRuns.ok) return maxActiveRuns.error;
    const labels = dateLabels(dates.value);
    if (args.values['dry-run'] === true) {
      io.stdout.write(`${labels.map((l) => `${l}\n`).join('')}dry run: ${labels.length} logical date${labels.length === 1 ? '' : 's'} of ${graph.pipeline}, nothing was run\n`);
      return EXIT.ok;
    }
    const checked = await openCache(graph, args, io, () => undefined); // the cache options, once rather than per date
    if (!checked.ok) return checked.error;
    const results = await backfill({
      args,
      pipeline: graph.pipeline,
      dates: dates.value,
      maxActiveRuns: maxActiveRuns.value,
      concurrency: concurrency.value,
      keepGoing: args.values['keep-going'] === true,
      stateDir: scheduleStateDir(graph.root),
    }, io);
    io.stdout.write(formatBackfillSummary(graph.pipeline, results, colorsFor(io.stdout, io.env)));
    return backfillExitCode(results);
  },
};

export interface BackfillSettings {
  /** The pipeline as a command line names it: its paths, `--pipeline`, `--param` and the cache options. */
  args: ParsedArguments;
  pipeline: string;
  dates: readonly DateTime[];
  /** Dates run at once. */
  maxActiveRuns: number;
  /** Task slots in all: each of the `maxActiveRuns` dates gets an equal share, at least one. */
  concurrency: number;
  keepGoing: boolean;
  /** The schedule state folder: each date that succeeds is recorded there. */
  stateDir: string;
}

export interface DateResult {
  date: DateTime;
  /** The date as the output names it: its day, or its time when a day has several dates. */
  label: string;
  /** `invalid`: the pipeline did not compile for this date; `not started`: the backfill was cancelled first. */
  status: RunStatus | 'invalid' | 'not started';
  tasks: Map<string, number>;
  durationMs: number;
  runId: string | undefined;
  signal: 'SIGINT' | 'SIGTERM' | undefined;
}

/**
 * Runs the pipeline once per date, each an independent run with its own record (as `dagline run --date D`), at
 * most `maxActiveRuns` at once, oldest first. A failed date does not stop the others; a signal stops new dates
 * from starting and cancels the running ones.
 */
export async function backfill(settings: BackfillSettings, io: CliIo): Promise<DateResult[]> {
  const active = Math.min(settings.maxActiveRuns, settings.dates.length);
  const share = Math.max(1, Math.floor(settings.concurrency / active));
  const labels = dateLabels(settings.dates);
  let stopped = false;
  const unsubscribe = io.onSignal?.(() => (stopped = true));
  try {
    return await mapLimit(settings.dates, active, (date, i) => {
      const label = labels[i] ?? iso(date);
      if (stopped) return Promise.resolve(notRun(date, label, 'not started'));
      // Several dates at once share the terminal: plain lines, each prefixed with its date.
      const terminal = active > 1 ? prefixedReporter(io, label) : undefined;
      return runDate(date, label, { ...settings, concurrency: share }, io, terminal);
    });
  } finally {
    unsubscribe?.();
  }
}

async function runDate(date: DateTime, label: string, settings: BackfillSettings, io: CliIo, terminal: Reporter | undefined): Promise<DateResult> {
  const started = Date.now();
  const loaded = await load({ ...settings.args, values: { ...settings.args.values, date: iso(date) } }, io);
  if (!loaded.ok || hasErrors(loaded.value.diagnostics)) {
    if (loaded.ok) report(loaded.value, io);
    else io.stderr.write(`dagline: error ${loaded.error.code}: ${label}: ${loaded.error.message}\n`);
    return notRun(date, label, 'invalid');
  }
  const graph = onePipeline(loaded.value.graphs, settings.pipeline);
  const warnings = new Warnings();
  const opened = graph.ok ? await openCache(graph.value, settings.args, io, warnings.warn) : graph;
  if (!graph.ok || !opened.ok) return notRun(date, label, 'invalid'); // both were checked on the first date
  const outcome = await runGraph(graph.value, {
    cache: opened.value,
    warnings,
    io,
    root: graph.value.root,
    concurrency: settings.concurrency,
    keepGoing: settings.keepGoing,
    selected: undefined,
    timeoutMs: null,
    previous: undefined,
    date: iso(date),
    terminal,
  });
  if (outcome.status === 'succeeded') {
    const recorded = recordSuccess(settings.stateDir, graph.value.pipeline, date);
    if (!recorded.ok) io.stderr.write(`warning: ${label} succeeded but the schedule state was not kept: ${recorded.error}\n`);
  }
  const { status, record, signal } = outcome;
  return { date, label, status, tasks: countTasks(record), durationMs: Date.now() - started, runId: record.runId, signal };
}

const notRun = (date: DateTime, label: string, status: 'invalid' | 'not started'): DateResult =>
  ({ date, label, status, tasks: new Map(), durationMs: 0, runId: undefined, signal: undefined });

/** Days when they tell the dates apart (a daily schedule), full times when a day has several. */
function dateLabels(dates: readonly DateTime[]): string[] {
  const days = dates.map((d) => d.toISODate() ?? iso(d));
  return new Set(days).size === days.length ? days : dates.map(iso);
}

/** A plain reporter whose every line starts with `[label] `. */
function prefixedReporter(io: CliIo, label: string): Reporter {
  const prefix = `[${label}] `;
  const stream = { write: (text: string) => io.stdout.write(text.replace(/^(?=.)/gm, prefix)) };
  return new PlainReporter(stream, { colors: colorsFor(io.stdout, io.env) });
}

/** 0 when every date succeeded; else 130 / 143 after a signal, 3 when a date failed, 1 when one did not compile. */
export function backfillExitCode(results: readonly DateResult[]): number {
  const signal = results.find((r) => r.signal !== undefined)?.signal;
  if (signal !== undefined) return signal === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT;
  if (results.every((r) => r.status === 'succeeded')) return EXIT.ok;
  return results.some((r) => r.status === 'invalid') && !results.some((r) => r.status === 'failed') ? EXIT.invalid : EXIT.taskFailed;
}

const COLUMNS = ['date', 'status', 'succeeded', 'cached', 'failed', 'duration', 'run'];

/** One row per date (date, status, tasks succeeded / cached / failed, duration, run id), then which did not succeed. */
export function formatBackfillSummary(pipeline: string, results: readonly DateResult[], c: Colors): string {
  const rows = results.map((r) => [
    r.label,
    r.status,
    ...['succeeded', 'cached', 'failed'].map((s) => String(r.tasks.get(s) ?? 0)),
    r.runId === undefined ? '-' : formatDuration(r.durationMs),
    r.runId ?? '-',
  ]);
  const widths = COLUMNS.map((name, i) => Math.max(name.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const numeric = (i: number) => i >= 2 && i <= 5;
  const pad = (cell: string, i: number) => (numeric(i) ? cell.padStart(widths[i] ?? 0) : i === COLUMNS.length - 1 ? cell : cell.padEnd(widths[i] ?? 0));
  const line = (cells: readonly string[], paint: (cell: string, i: number) => string) => cells.map((cell, i) => paint(pad(cell, i), i)).join('  ');
  const status = (cell: string, i: number) => (i !== 1 ? cell : cell.startsWith('succeeded') ? c.green(cell) : c.red(cell));
  const body = rows.map((row) => line(row, status));
  const bad = results.filter((r) => r.status !== 'succeeded');
  const verdict = bad.length === 0
    ? c.green(results.length === 1 ? 'the date succeeded' : `all ${results.length} dates succeeded`)
    : c.red(`${bad.length} of ${results.length} dates did not succeed: ${bad.map((r) => r.label).join(', ')}`);
  return `\n${c.bold(`backfill ${pipeline}`)}\n${line(COLUMNS, c.dim)}\n${body.join('\n')}\n${verdict}\n`;
}
