import { cpus } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Graph } from '../compile/graph.js';
import { parseDuration } from '../compile/duration.js';
import { planGraph } from '../plan/plan.js';
import { selectTasks } from '../plan/selection.js';
import { colorsFor } from '../report/colors.js';
import { formatPlanText } from '../report/plan-formats.js';
import { chooseReporter } from '../report/reporters.js';
import { fail, ok, type Result } from '../result.js';
import { historyRows } from '../history/row.js';
import { appendHistory, historyDir } from '../history/store.js';
import { CompositeReporter, type Reporter, type RunStatus } from '../run/events.js';
import { executeGraph } from '../run/execute.js';
import { listRuns, newRunId, readRecord, RecordKeeper, runsDir, type RunRecord } from '../run/record.js';
import type { Upstream } from '../run/task-command.js';
import { COMMON_OPTIONS, oneOf, positiveInteger, type ParsedArguments } from './arguments.js';
import { CACHE_OPTIONS, openCache, type OpenedCache } from './cache-setup.js';
import { loadPipeline, shardTasks, type Command } from './commands.js';
import type { Alert } from '../alerts/evaluate.js';
import { afterRun } from './after-run.js';
import { EXIT, type CliIo, type UsageProblem } from './io.js';
import { repositoryRoot } from './repository.js';

export const runCommand: Command = {
  options: {
    ...COMMON_OPTIONS,
    ...CACHE_OPTIONS,
    concurrency: { type: 'string', short: 'j' },
    only: { type: 'string', multiple: true },
    from: { type: 'string', multiple: true },
    'keep-going': { type: 'boolean', short: 'k' },
    'dry-run': { type: 'boolean', short: 'n' },
    resume: { type: 'string' },
    timeout: { type: 'string' },
    shard: { type: 'string' },
    'metrics-file': { type: 'string' },
    pushgateway: { type: 'string' },
  },
  async run(args, io) {
    const concurrency = positiveInteger(args.values.concurrency, cpus().length, 'concurrency');
    if (!concurrency.ok) return concurrency.error;
    const timeout = args.values.timeout === undefined ? ok(null) : durationOption(String(args.values.timeout));
    if (!timeout.ok) return timeout.error;
    const root = repositoryRoot(io.cwd);
    const resumed = resumeFrom(args.values.resume, root);
    if (!resumed.ok) return resumed.error;
    const previous = resumed.value;
    const one = await loadPipeline(
      { paths: previous ? [join(root, previous.file)] : args.paths, values: { ...args.values, date: args.values.date ?? previous?.date } },
      io,
      previous?.params,
    );
    if (!one.ok) return one.error;
    const { graph } = one.value;
    const warnings = new Warnings();
    const selected = await selection(graph, args, io, warnings.warn);
    if (!selected.ok) return selected.error;
    const opened = await openCache(graph, args, io, warnings.warn);
    if (!opened.ok) return opened.error;
    if (args.values['dry-run'] === true) {
      const plan = planGraph(graph, await opened.value.cache.predictAll());
      const shown = selected.value === undefined ? plan : { ...plan, tasks: plan.tasks.filter((t) => selected.value?.has(t.id)) };
      warnings.attach((message) => io.stderr.write(`warning: ${message}\n`));
      io.stdout.write(`${formatPlanText(shown, colorsFor(io.stdout, io.env))}dry run: nothing was run\n`);
      return EXIT.ok;
    }
    const outcome = await runGraph(graph, {
      cache: opened.value,
      warnings,
      io,
      root: graph.root,
      concurrency: concurrency.value,
      keepGoing: args.values['keep-going'] === true,
      selected: selected.value,
      timeoutMs: timeout.value,
      previous,
      date: (args.values.date as string | undefined) ?? previous?.date ?? new Date().toISOString().slice(0, 10),
      metricsFile: args.values['metrics-file'] === undefined ? undefined : resolve(io.cwd, String(args.values['metrics-file'])),
      pushgateway: args.values.pushgateway as string | undefined,
    });
    return exitCode(outcome);
  },
};

/** `--shard K/N` (src/plan/shard.ts), else `--only` / `--from`; undefined when every task runs. */
async function selection(graph: Graph, args: ParsedArguments, io: CliIo, warn: (message: string) => void): Promise<Result<Set<string> | undefined, UsageProblem>> {
  const only = (args.values.only as string[] | undefined) ?? [];
  const from = (args.values.from as string[] | undefined) ?? [];
  if (args.values.shard !== undefined) {
    return only.length + from.length === 0 ? shardTasks(graph, String(args.values.shard), args, io, warn) : fail({ code: 'DAG090', message: '--shard takes no --only or --from' });
  }
  const selected = selectTasks(graph, only, from);
  return selected.ok ? selected : fail({ code: 'DAG090', message: selected.error });
}

/** 0 when every task succeeded, 3 when one failed, 130 / 143 when a signal cancelled the run. */
export function exitCode(outcome: RunOutcome): number {
  if (outcome.status === 'cancelled') return outcome.signal === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT;
  return outcome.status === 'succeeded' ? EXIT.ok : EXIT.taskFailed;
}

/** Warnings said before there is anywhere to report them are kept until there is; later ones pass straight on. */
export class Warnings {
  private readonly pending: string[] = [];
  private sink: ((message: string) => void) | undefined;

  readonly warn = (message: string): void => {
    if (this.sink === undefined) this.pending.push(message);
    else this.sink(message);
  };

  attach(sink: (message: string) => void): void {
    this.sink = sink;
    for (const message of this.pending.splice(0)) sink(message);
  }
}

export interface RunSettings {
  cache: OpenedCache;
  /** The cache's warnings, said while it opens and while the run goes on. */
  warnings: Warnings;
  io: CliIo;
  root: string;
  concurrency: number;
  keepGoing: boolean;
  selected: Set<string> | undefined;
  timeoutMs: number | null;
  previous: RunRecord | undefined;
  date: string;
  /** Where the run is shown; default: the live block, GitHub groups or plain lines, as io's stdout and env suit. */
  terminal?: Reporter;
  /** `--metrics-file` (absolute) and `--pushgateway` (src/cli/after-run.ts). */
  metricsFile?: string | undefined;
  pushgateway?: string | undefined;
}

export interface RunOutcome {
  status: RunStatus;
  record: RunRecord;
  /** The signal that cancelled the run, if one did. */
  signal: 'SIGINT' | 'SIGTERM' | undefined;
  /** What the run's alerts said (src/alerts/evaluate.ts). */
  alerts: Alert[];
}

/** Runs one compiled graph as `dagline run` does: its record, its reporters, its cache (closed at the end). */
export async function runGraph(graph: Graph, settings: RunSettings): Promise<RunOutcome> {
  const { io, previous } = settings;
  const runId = previous?.runId ?? newRunId(new Date());
  const runDir = join(runsDir(settings.root), runId);
  const finished = new Map<string, Upstream>();
  for (const [id, task] of Object.entries(previous?.tasks ?? {})) {
    if (task.outputsRedacted === true) continue; // recorded as `***`: it runs again, so what needs it gets the real values
    if (task.status === 'succeeded' || task.status === 'skipped' || task.status === 'cached') finished.set(id, { status: task.status, outputs: task.outputs });
  }
  const record: RunRecord = previous
    ? { ...previous, status: 'running' }
    : { format: 1, runId, pipeline: graph.pipeline, file: join(graph.dir, basename(graph.file)), date: settings.date, ds: graph.run.ds, params: graph.params, status: 'running', startedAt: new Date().toISOString(), tasks: {} };
  const keeper = new RecordKeeper(record, runDir);
  const reporter = new CompositeReporter([keeper, settings.terminal ?? chooseReporter({ stdout: io.stdout, env: io.env })]);
  const controller = new AbortController();
  let signal: 'SIGINT' | 'SIGTERM' | undefined;
  const unsubscribe = io.onSignal?.((s) => {
    signal ??= s;
    controller.abort();
  });
  settings.warnings.attach((message) => reporter.onEvent({ type: 'warning', message }));
  try {
    const status = await executeGraph(
      graph,
      {
        runId,
        root: settings.root,
        runDir,
        concurrency: settings.concurrency,
        keepGoing: settings.keepGoing,
        finished,
        resumed: previous !== undefined,
        ...(settings.selected ? { selected: settings.selected } : {}),
        signal: controller.signal,
        runTimeoutMs: settings.timeoutMs,
        env: io.env,
        streamOutput: true,
        cache: settings.cache.cache,
      },
      reporter,
    );
    const problem = await settings.cache.close();
    if (problem !== undefined) reporter.onEvent({ type: 'warning', message: problem });
    const kept = keepHistory(graph, keeper.record);
    if (!kept.ok) reporter.onEvent({ type: 'warning', message: kept.error });
    const alerts = await afterRun(graph, keeper.record, { metricsFile: settings.metricsFile, pushgateway: settings.pushgateway, env: io.env }, (message, id) =>
      reporter.onEvent({ type: 'warning', message, ...(id === undefined ? {} : { id }) }),
    );
    if (alerts.length > 0) keeper.record.alerts = alerts;
    await reporter.close();
    return { status, record: keeper.record, signal, alerts };
  } finally {
    unsubscribe?.();
  }
}

/** Adds the run's task outcomes to `.dagline/history` (src/history/store.ts). */
function keepHistory(graph: Graph, record: RunRecord): Result<void, string> {
  const names = new Map(graph.tasks.map((t) => [t.id, t.name]));
  return appendHistory(historyDir(graph.root), graph.pipeline, historyRows(record, (id) => names.get(id) ?? id));
}

function resumeFrom(value: unknown, root: string): Result<RunRecord | undefined, UsageProblem> {
  if (value === undefined) return ok(undefined);
  const id = String(value);
  if (id === 'last') {
    const [last] = listRuns(root);
    return last ? ok(last) : fail({ code: 'DAG090', message: '--resume last: there is no recorded run yet' });
  }
  const record = readRecord(root, id);
  return record.ok ? ok(record.value) : fail({ code: 'DAG090', message: `--resume: ${record.error}` });
}

function durationOption(text: string): Result<number, UsageProblem> {
  const ms = parseDuration(text);
  return ms === undefined ? fail({ code: 'DAG090', message: `--timeout must be a duration such as 30m or 2h, not \`${text}\`` }) : ok(ms);
}

export const runsCommand: Command = {
  options: { help: COMMON_OPTIONS.help, format: COMMON_OPTIONS.format },
  async run(args, io) {
    const format = oneOf(args.values.format, ['text', 'json'] as const, 'text', 'format');
    if (!format.ok) return format.error;
    const runs = listRuns(repositoryRoot(io.cwd));
    if (format.value === 'json') {
      io.stdout.write(`${JSON.stringify({ runs: runs.map(({ tasks, ...run }) => ({ ...run, tasks: Object.keys(tasks).length })) }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (runs.length === 0) io.stdout.write('no runs yet\n');
    for (const run of runs) {
      const summary = [...countTasks(run)].map(([status, n]) => `${n} ${status}`).join(', ');
      io.stdout.write(`${run.runId}  ${run.pipeline}  ds=${run.ds}  ${run.status}  (${summary})\n`);
    }
    return EXIT.ok;
  },
};

/** How many of a run's tasks ended (or stand) in each status. */
export function countTasks(record: RunRecord): Map<string, number> {
  const counts = new Map<string, number>();
  for (const task of Object.values(record.tasks)) counts.set(task.status, (counts.get(task.status) ?? 0) + 1);
  return counts;
}
