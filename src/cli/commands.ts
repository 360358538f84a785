import { cpus } from 'node:os';
import type { Graph } from '../compile/graph.js';
import type { Value } from '../expression/ast.js';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { fail, ok, type Result } from '../result.js';
import type { TaskCache } from '../cache/task-cache.js';
import { durationEstimates } from '../history/stats.js';
import { historyDir, readHistory } from '../history/store.js';
import { planGraph, type Plan } from '../plan/plan.js';
import { MAX_SHARDS, parseShard, shardMatrix, shardSelection, splitIntoShards, uncachedTasks, type Split } from '../plan/shard.js';
import { colorsFor } from '../report/colors.js';
import { diagnosticsJson, formatAnnotation, formatDiagnostics, type Sources } from '../report/diagnostics.js';
import { formatGraph } from '../report/graph-formats.js';
import { formatExplainJson, formatExplainText, formatPlanJson, formatPlanText } from '../report/plan-formats.js';
import { COMMON_OPTIONS, oneOf, parseParams, positiveInteger, type OptionSpec, type ParsedArguments } from './arguments.js';
import { CACHE_OPTIONS, openCache } from './cache-setup.js';
import { EXIT, type CliIo, type UsageProblem } from './io.js';
import { loadGraphs, type Loaded } from './pipelines.js';

export interface Command {
  options: OptionSpec;
  run(args: ParsedArguments, io: CliIo): Promise<number | UsageProblem>;
}

export const validateCommand: Command = {
  options: COMMON_OPTIONS,
  async run(args, io) {
    const prepared = await loadAs(args, io, ['text', 'json'] as const);
    if (!prepared.ok) return prepared.error;
    const { format, loaded } = prepared.value;
    const { diagnostics, graphs } = loaded;
    if (format === 'json') {
      io.stdout.write(diagnosticsJson(sortDiagnostics(diagnostics)));
      return hasErrors(diagnostics) ? EXIT.invalid : EXIT.ok;
    }
    if (report(loaded, io)) return EXIT.invalid;
    const tasks = graphs.reduce((n, g) => n + g.tasks.length, 0);
    io.stdout.write(`${graphs.length} pipeline${graphs.length === 1 ? '' : 's'} valid (${tasks} tasks)\n`);
    return EXIT.ok;
  },
};

export const graphCommand: Command = {
  options: COMMON_OPTIONS,
  async run(args, io) {
    const prepared = await loadAs(args, io, ['mermaid', 'dot', 'json'] as const);
    if (!prepared.ok) return prepared.error;
    const { format, loaded } = prepared.value;
    if (report(loaded, io)) return EXIT.invalid;
    const graph = onePipeline(loaded.graphs, args.values.pipeline);
    if (!graph.ok) return graph.error;
    io.stdout.write(formatGraph(graph.value, format));
    return EXIT.ok;
  },
};

export const planCommand: Command = {
  options: { ...COMMON_OPTIONS, ...CACHE_OPTIONS, explain: { type: 'string' }, matrix: { type: 'string' }, concurrency: { type: 'string', short: 'j' } },
  async run(args, io) {
    if (args.values.matrix !== undefined) return planMatrix(args, io);
    const concurrency = positiveInteger(args.values.concurrency, cpus().length, 'concurrency');
    if (!concurrency.ok) return concurrency.error;
    const prepared = await loadAs(args, io, ['text', 'json'] as const);
    if (!prepared.ok) return prepared.error;
    const { format, loaded } = prepared.value;
    if (report(loaded, io)) return EXIT.invalid;
    const chosen = args.values.pipeline === undefined && args.values.explain === undefined ? ok(loaded.graphs) : onePipeline(loaded.graphs, args.values.pipeline);
    if (!chosen.ok) return chosen.error;
    const warn = (message: string): void => void io.stderr.write(`warning: ${message}\n`);
    const plans: Plan[] = [];
    for (const graph of [chosen.value].flat()) {
      const opened = await openCache(graph, args, io, warn);
      if (!opened.ok) return opened.error;
      if (args.values.explain !== undefined) return explain(graph, opened.value.cache, String(args.values.explain), format, io);
      plans.push(planGraph(graph, await opened.value.cache.predictAll(), { medians: recentDurations(graph, warn), concurrency: concurrency.value }));
      const problem = await opened.value.close();
      if (problem !== undefined) warn(problem);
    }
    const colors = colorsFor(io.stdout, io.env);
    io.stdout.write(format === 'json' ? formatPlanJson(plans) : plans.map((p) => formatPlanText(p, colors)).join('\n'));
    return EXIT.ok;
  },
};

/** Per task, the median of its recent successful runs, from `.dagline/history` (none when it cannot be read). */
function recentDurations(graph: Graph, warn: (message: string) => void): Map<string, number> {
  const history = readHistory(historyDir(graph.root), graph.pipeline);
  if (!history.ok) warn(`${history.error}: the plan has no estimates`);
  return durationEstimates(history.ok ? history.value : []);
}

/** `plan --matrix N`: the fan-out as JSON for `strategy.matrix`, and nothing else on stdout. */
async function planMatrix(args: ParsedArguments, io: CliIo): Promise<number | UsageProblem> {
  const max = Number(args.values.matrix);
  if (!Number.isInteger(max) || max < 1 || max > MAX_SHARDS) {
    return { code: 'DAG090', message: `--matrix must be a whole number from 1 to ${MAX_SHARDS} (GitHub's limit on the jobs of a matrix), not \`${String(args.values.matrix)}\`` };
  }
  if (args.values.explain !== undefined || args.values.format !== undefined) return { code: 'DAG090', message: '--matrix prints JSON for strategy.matrix: it takes no --explain or --format' };
  // Annotations go to stderr (the runner reads workflow commands there too): stdout is the matrix alone.
  const one = await loadPipeline(args, io, undefined, { ...io, stdout: io.stderr });
  if (!one.ok) return one.error;
  const { graph } = one.value;
  const split = await splitFromCache(graph, max, args, io, (message) => void io.stderr.write(`warning: ${message}\n`));
  if (!split.ok) return split.error;
  io.stdout.write(`${JSON.stringify(shardMatrix(split.value))}\n`);
  return EXIT.ok;
}

/**
 * `run --shard K/N`: shard K's tasks and their needs, split again from the cache as this run finds it. Other
 * shards may have saved work since the plan, so the split can differ from the plan's; the join job runs whatever
 * no shard ran (docs/design.md, "Fan-out across jobs").
 */
export async function shardTasks(graph: Graph, shard: string, args: ParsedArguments, io: CliIo, warn: (message: string) => void): Promise<Result<Set<string>, UsageProblem>> {
  const id = parseShard(shard);
  if (!id.ok) return fail({ code: 'DAG090', message: id.error });
  const split = await splitFromCache(graph, id.value.count, args, io, warn);
  if (!split.ok) return split;
  if (split.value.shards.length !== id.value.count) {
    warn(`--shard ${shard}: the cache has changed since the plan (${split.value.shards.length} shards now, not ${id.value.count}): other shards have saved their work; the join job runs what no shard ran`);
  }
  return ok(shardSelection(graph.tasks, split.value, id.value.index));
}

/**
 * The split of what will run, from a cache opened for this alone: a cache remembers fingerprints, and one taken
 * before a shard has restored its needs would hash their outputs as missing and miss at run time.
 */
async function splitFromCache(graph: Graph, max: number, args: ParsedArguments, io: CliIo, warn: (message: string) => void): Promise<Result<Split, UsageProblem>> {
  if (args.values['no-cache'] === true || args.values.cache === 'off') return fail({ code: 'DAG090', message: 'shards hand their work to the join job through the cache: --matrix and --shard need it on' });
  const opened = await openCache(graph, args, io, warn);
  if (!opened.ok) return opened;
  const predictions = await opened.value.cache.predictAll();
  const problem = await opened.value.close();
  if (problem !== undefined) warn(problem);
  return ok(splitIntoShards(graph.tasks, uncachedTasks(predictions), max));
}

/** `plan --explain TASK`: the parts of its fingerprint, its cache key, and what changed since its last entry. */
async function explain(graph: Graph, cache: TaskCache, id: string, format: 'text' | 'json', io: CliIo): Promise<number | UsageProblem> {
  const task = graph.tasks.find((t) => t.id === id);
  if (task === undefined) return { code: 'DAG090', message: `--explain: no task \`${id}\` in ${graph.pipeline} (a matrix instance is named like \`train[model=a]\`)` };
  const predictions = await cache.predictAll();
  const explained = await cache.explain(task, (need) => predictions.get(need)?.outputs);
  if (!explained.ok) return { code: 'DAG090', message: `--explain ${id}: ${explained.error}` };
  const verdict = predictions.get(id);
  io.stdout.write(format === 'json' ? formatExplainJson(id, explained.value, verdict) : formatExplainText(id, explained.value, verdict, colorsFor(io.stdout, io.env)));
  return EXIT.ok;
}

/** `--format` (the first choice is the default), then the pipelines. */
async function loadAs<F extends string>(args: ParsedArguments, io: CliIo, formats: readonly [F, ...F[]]): Promise<Result<{ format: F; loaded: Loaded }, UsageProblem>> {
  const format = oneOf(args.values.format, formats, formats[0], 'format');
  if (!format.ok) return format;
  const loaded = await load(args, io);
  return loaded.ok ? ok({ format: format.value, loaded: loaded.value }) : loaded;
}

export async function load(args: ParsedArguments, io: CliIo, params?: Record<string, Value>): Promise<Result<Loaded, UsageProblem>> {
  const parsed = params === undefined ? parseParams(args.values.param as string[] | undefined) : ok(params);
  if (!parsed.ok) return parsed;
  return loadGraphs({ paths: args.paths, date: args.values.date as string | undefined, params: parsed.value }, io);
}

/** Prints the diagnostics (and annotations inside GitHub Actions); true when any is an error. */
export function report(loaded: { diagnostics: Diagnostic[]; sources: Sources }, io: CliIo): boolean {
  const diagnostics = sortDiagnostics(loaded.diagnostics);
  if (diagnostics.length === 0) return false;
  io.stderr.write(formatDiagnostics(diagnostics, loaded.sources, colorsFor(io.stderr, io.env)));
  if (io.env.GITHUB_ACTIONS === 'true') io.stdout.write(`${diagnostics.map(formatAnnotation).join('\n')}\n`);
  return hasErrors(diagnostics);
}

/** `load`, its diagnostics (EXIT.invalid when one is an error; reported through `reportIo`), then one pipeline. */
export async function loadPipeline(
  args: ParsedArguments,
  io: CliIo,
  params?: Record<string, Value>,
  reportIo: CliIo = io,
): Promise<Result<{ loaded: Loaded; graph: Graph }, UsageProblem | number>> {
  const loaded = await load(args, io, params);
  if (!loaded.ok) return loaded;
  if (report(loaded.value, reportIo)) return fail(EXIT.invalid);
  const graph = onePipeline(loaded.value.graphs, args.values.pipeline);
  return graph.ok ? ok({ loaded: loaded.value, graph: graph.value }) : graph;
}

export function onePipeline(graphs: Graph[], name: unknown): Result<Graph, UsageProblem> {
  const names = graphs.map((g) => g.pipeline).join(', ');
  if (typeof name === 'string') {
    const graph = graphs.find((g) => g.pipeline === name);
    return graph ? ok(graph) : fail({ code: 'DAG094', message: `no pipeline named \`${name}\` (found: ${names})` });
  }
  const [only, ...others] = graphs;
  if (only === undefined || others.length > 0) {
    return fail({ code: 'DAG094', message: `this command works on one pipeline; found ${graphs.length} (${names}): pass one file or --pipeline NAME` });
  }
  return ok(only);
}
