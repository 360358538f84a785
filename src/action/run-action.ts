import * as core from '@actions/core';
import { globSync, readFileSync } from 'node:fs';
import { compareWithBase, type BaseComparison } from '../cache/compare.js';
import { githubCacheAvailable } from '../cache/github-availability.js';
import { repositoryRoot } from '../cli/repository.js';
import { scheduleStateDir } from '../schedule/state.js';
import { historyDir } from '../history/store.js';
import { restoreFolder, saveFolder } from './carried-folder.js';
import { main } from '../cli/main.js';
import { loadGraphs } from '../cli/pipelines.js';
import { EXIT, type CliIo } from '../cli/io.js';
import { parseParams } from '../cli/arguments.js';
import type { Graph } from '../compile/graph.js';
import type { Plan } from '../plan/plan.js';
import { datesMarkdown, planMarkdown, runMarkdown, type DateOutcome } from '../report/markdown.js';
import { listRuns, type RunRecord } from '../run/record.js';
import { secretLines } from '../run/redact.js';
import { checkoutBase } from './base-tree.js';
import { OUTPUT, readInputs, type ActionInputs } from './inputs.js';
import { chooseMode, type Mode } from './mode.js';
import { updateFailureIssue } from './failure-issue.js';
import { upsertComment } from './pr-comment.js';

/** GitHub's limit on a comment body is 65,536 characters. */
const COMMENT_MAX = 60_000;

interface Context {
  inputs: ActionInputs;
  io: CliIo;
  eventName: string;
  event: Record<string, unknown>;
  /** The pipeline paths to hand to the CLI (a glob input expanded). */
  paths: string[];
}

/**
 * The GitHub Action: reads its inputs and the event, picks what to do, and does it through the same code as the
 * CLI (the CLI's commands run in this process), then reports to the job summary, the outputs and, on pull
 * requests, one sticky comment. Returns the exit code; never exits the process.
 */
export async function runAction(io: CliIo): Promise<number> {
  const inputs = readInputs((name) => core.getInput(name));
  if (!inputs.ok) return failed(inputs.error, EXIT.usage);
  const eventName = io.env.GITHUB_EVENT_NAME ?? '';
  const context: Context = { inputs: inputs.value, io, eventName, event: readEvent(io.env.GITHUB_EVENT_PATH), paths: pipelinePaths(inputs.value.pipeline, io.cwd) };
  const mode = chooseMode(eventName, inputs.value);
  if (mode === 'review' && inputs.value.command !== 'auto' && inputs.value.command !== 'plan') core.notice(`command: ${inputs.value.command} on a ${eventName} event: pull requests are untrusted, so this only validates and plans`);
  core.info(`dagline: ${describeMode(mode)} (${eventName || 'no event'})`);
  if (mode === 'run' || mode === 'scheduled' || mode === 'backfill') await maskSecrets(context);
  return withCarriedState(context, mode, () => MODES[mode](context));
}

/** Before anything runs, so the runner hides the values in the whole log, also where Dagline does not print. */
async function maskSecrets(context: Context): Promise<void> {
  for (const graph of await graphs(context, context.io.cwd)) {
    for (const value of secretLines(graph.secrets, context.io.env)) core.setSecret(value);
  }
}

const MODES: Readonly<Record<Mode, (context: Context) => Promise<number>>> = {
  validate,
  review,
  plan: (context) => plan(context, false),
  run,
  scheduled,
  backfill,
};

function describeMode(mode: Mode): string {
  return { validate: 'validate', review: 'validate and plan the pull request (nothing runs)', plan: 'plan', run: 'run', scheduled: 'run the dates due by the schedule', backfill: 'backfill' }[mode];
}

async function validate(context: Context): Promise<number> {
  const code = await cli(context, ['validate', ...context.paths]);
  core.setOutput(OUTPUT.status, code === EXIT.ok ? 'valid' : 'invalid');
  return code;
}

/** A pull request: validate, plan, compare with the base branch; never runs a task. */
async function review(context: Context): Promise<number> {
  return plan(context, true);
}

async function plan(context: Context, againstBase: boolean): Promise<number> {
  const valid = await validate(context);
  if (valid !== EXIT.ok) {
    await core.summary.addRaw('### Dagline: the pipeline is invalid\n\nSee the annotations on the pipeline files.\n').write();
    return valid;
  }
  const planned = await capture(context, ['plan', ...context.paths, ...runOptions(context.inputs, ['date', 'params', 'cache', 'concurrency']), '--format', 'json']);
  if (planned.code !== EXIT.ok) return failed('dagline plan failed', planned.code);
  const plans = (JSON.parse(planned.stdout) as { plans: Plan[] }).plans;
  core.setOutput(OUTPUT.plan, JSON.stringify(plans));
  core.setOutput(OUTPUT.status, 'planned');
  if (context.inputs.matrix !== undefined && !againstBase) {
    const matrix = await capture(context, ['plan', ...context.paths, ...runOptions(context.inputs, ['date', 'params', 'cache']), '--matrix', context.inputs.matrix]);
    if (matrix.code !== EXIT.ok) return failed('dagline plan --matrix failed', matrix.code);
    core.setOutput(OUTPUT.matrix, matrix.stdout.trim());
  }
  const comparisons = againstBase ? await baseComparisons(context) : new Map<string, BaseComparison>();
  const markdown = plans.map((p) => planMarkdown(p, comparisons.get(p.pipeline))).join('\n');
  await core.summary.addRaw(`## Dagline plan\n\n${markdown}`).write();
  if (againstBase) await comment(context, markdown);
  return EXIT.ok;
}

async function run(context: Context): Promise<number> {
  const started = Date.now();
  const shard = context.inputs.shard === undefined ? [] : ['--shard', context.inputs.shard];
  const code = await cli(context, ['run', ...context.paths.slice(0, 1), ...shard, ...runOptions(context.inputs, ['date', 'params', 'cache', 'concurrency'])]);
  const record = latestRecord(runsRoot(context), started);
  if (record === undefined) {
    core.setOutput(OUTPUT.status, 'failure');
    return code === EXIT.ok ? EXIT.internal : code;
  }
  const graph = await graphOf(context, record);
  await reportRun(record, graph);
  if (graph?.notify?.githubIssue === true) await failureIssue(context, [record]);
  return code;
}

async function reportRun(record: RunRecord, graph: Graph | undefined): Promise<void> {
  const failedTasks = Object.entries(record.tasks).filter(([, t]) => t.status === 'failed').map(([id]) => id);
  core.setOutput(OUTPUT.status, record.status === 'succeeded' ? 'success' : 'failure');
  core.setOutput(OUTPUT.failedTasks, JSON.stringify(failedTasks));
  const tasks = graph?.tasks ?? Object.keys(record.tasks).map((id) => ({ id, needs: [] }));
  await core.summary.addRaw(`## Dagline run\n\n${runMarkdown(record, tasks)}`).write();
}

/** A schedule event: every logical date due (since the last successful one, remembered in the cache). */
async function scheduled(context: Context): Promise<number> {
  const due = await capture(context, ['schedule', 'due', ...context.paths, '--format', 'json']);
  if (due.code !== EXIT.ok) return failed('dagline schedule due failed', due.code);
  const pipelines = (JSON.parse(due.stdout) as { pipelines: DuePipeline[] }).pipelines;
  let code: number = EXIT.ok;
  for (const { pipeline, due: dates } of pipelines) {
    const first = dates[0];
    const last = dates[dates.length - 1];
    if (first === undefined || last === undefined) {
      core.info(`dagline: ${pipeline}: no logical date is due`);
      continue;
    }
    const ran = await runDates(context, `${pipeline}: scheduled dates`, ['--pipeline', pipeline, '--from', first.ts, '--to', last.ts]);
    if (code === EXIT.ok) code = ran;
  }
  return code;
}

interface DuePipeline {
  pipeline: string;
  due: { ds: string; ts: string }[];
}

/** workflow_dispatch with from/to: every logical date between them, max-active-runs at once. */
async function backfill(context: Context): Promise<number> {
  const { from, to } = context.inputs;
  if (from === undefined || to === undefined) return failed('a backfill needs both `from` and `to`', EXIT.usage);
  return runDates(context, `backfill ${from} to ${to}`, ['--from', from, '--to', to]);
}

/** Runs `dagline backfill` for the dates and reports one row per date. */
async function runDates(context: Context, title: string, range: string[]): Promise<number> {
  const started = Date.now();
  const maxActive = context.inputs.maxActiveRuns === undefined ? [] : ['--max-active-runs', context.inputs.maxActiveRuns];
  const code = await cli(context, ['backfill', ...context.paths.slice(0, 1), ...range, ...maxActive, ...runOptions(context.inputs, ['params', 'cache', 'concurrency'])]);
  const records = listRuns(runsRoot(context)).filter((r) => Date.parse(r.startedAt) >= started - 1000);
  const rows = records.map(dateOutcome).sort((a, b) => a.date.localeCompare(b.date));
  core.setOutput(OUTPUT.status, code === EXIT.ok ? 'success' : 'failure');
  core.setOutput(OUTPUT.failedTasks, JSON.stringify(records.flatMap((r) => Object.entries(r.tasks).filter(([, t]) => t.status === 'failed').map(([id]) => `${r.ds}/${id}`))));
  await core.summary.addRaw(`## Dagline\n\n${datesMarkdown(title, rows)}`).write();
  const graph = records[0] === undefined ? undefined : await graphOf(context, records[0]);
  if (graph?.notify?.githubIssue === true) await failureIssue(context, records);
  return code;
}

/**
 * `notify: { github_issue: true }`: one issue per failing pipeline, opened, commented on and closed with its
 * runs (src/action/failure-issue.ts). A problem with the API is a warning.
 */
async function failureIssue(context: Context, records: readonly RunRecord[]): Promise<void> {
  const token = context.inputs.githubToken;
  const [owner, repo] = (context.io.env.GITHUB_REPOSITORY ?? '').split('/');
  const first = records[0];
  if (token === undefined || !owner || !repo || first === undefined) return;
  const failedRuns = records.filter((r) => r.status !== 'succeeded');
  const failedTasks = failedRuns.flatMap((r) => Object.entries(r.tasks).filter(([, t]) => t.status === 'failed').map(([id]) => `- \`${id}\` (${r.ds})`));
  const { GITHUB_SERVER_URL: server, GITHUB_RUN_ID: runId } = context.io.env;
  const link = server && runId ? `\n\n[Workflow run](${server}/${owner}/${repo}/actions/runs/${runId})` : '';
  const details = failedRuns.length === 0 ? `Dates: ${records.map((r) => r.ds).join(', ')}.${link}` : `Failed tasks:\n${failedTasks.join('\n')}${link}`;
  const done = await updateFailureIssue(token, { owner, repo }, { pipeline: first.pipeline, succeeded: failedRuns.length === 0, details });
  if (done.ok) core.info(`dagline: failure issue: ${done.action}`);
  else core.warning(`dagline: could not update the failure issue: ${done.error}`);
}

function dateOutcome(record: RunRecord): DateOutcome {
  const statuses = Object.values(record.tasks).map((t) => t.status);
  const count = (status: string) => statuses.filter((s) => s === status).length;
  const end = record.endedAt === undefined ? Date.now() : Date.parse(record.endedAt);
  return { date: record.ds, status: record.status, succeeded: count('succeeded'), cached: count('cached'), failed: count('failed'), durationMs: end - Date.parse(record.startedAt) };
}

/** Modes that run tasks: they add to the state, which is saved at the end. */
const RUNS_TASKS: ReadonlySet<Mode> = new Set(['run', 'scheduled', 'backfill']);

/**
 * The last successful logical date (`.dagline/schedule`) and the run history (`.dagline/history`) live under
 * `.dagline`; on GitHub they are carried from one workflow run to the next through the Actions cache (when the
 * cache is on and the service is there): restored once before the work (plans read the history for their
 * estimates) and, when tasks ran, saved once after it.
 */
async function withCarriedState(context: Context, mode: Mode, work: () => Promise<number>): Promise<number> {
  const { env } = context.io;
  const carried = mode !== 'validate' && context.inputs.cache !== 'local' && context.inputs.cache !== 'off' && githubCacheAvailable(env);
  const root = runsRoot(context);
  const folder = { dirs: [scheduleStateDir(root), historyDir(root)], prefix: 'dagline-v1-state-' };
  const warn = (message: string) => core.warning(`dagline: ${message}`);
  if (carried) await restoreFolder(folder, context.io.cwd, warn);
  const code = await work();
  if (carried && RUNS_TASKS.has(mode)) await saveFolder(folder, context.io.cwd, stateKey(context), warn);
  return code;
}

/**
 * Unique per job of a workflow run (entries cannot be overwritten): the jobs of a fan-out each save their own,
 * and the next workflow run restores the newest, the join's.
 */
function stateKey(context: Context): string {
  const { env } = context.io;
  const shard = context.inputs.shard === undefined ? '' : `-shard-${context.inputs.shard.replace('/', '-of-')}`;
  return `${env.GITHUB_RUN_ID ?? Date.now()}-${env.GITHUB_RUN_ATTEMPT ?? 1}${env.GITHUB_JOB === undefined ? '' : `-${env.GITHUB_JOB}`}${shard}`;
}

const runsRoot = (context: Context): string => repositoryRoot(context.io.cwd);

// ---- the pull request's base ----

/** Per pipeline: which tasks the pull request invalidates against its base commit. Problems are warnings. */
async function baseComparisons(context: Context): Promise<Map<string, BaseComparison>> {
  const comparisons = new Map<string, BaseComparison>();
  const base = (context.event.pull_request as { base?: { sha?: string; ref?: string } } | undefined)?.base;
  if (base?.sha === undefined) return comparisons;
  const tree = checkoutBase(context.io.cwd, base.sha);
  if (!tree.ok) {
    core.warning(`dagline: no comparison with the base branch: ${tree.error}`);
    return comparisons;
  }
  try {
    const head = await graphs(context, context.io.cwd);
    const before = await graphs(context, tree.value.dir);
    for (const graph of head) {
      const compared = await compareWithBase(graph, before.find((g) => g.pipeline === graph.pipeline), base.ref ?? base.sha.slice(0, 12));
      if (compared.ok) comparisons.set(graph.pipeline, compared.value);
      else core.warning(`dagline: no comparison with the base branch for ${graph.pipeline}: ${compared.error.message}`);
    }
  } finally {
    tree.value.remove();
  }
  return comparisons;
}

/** The compiled graphs of the pipeline paths, read in `root` (the checkout, or the base commit's files). */
async function graphs(context: Context, root: string): Promise<Graph[]> {
  const params = parseParams(context.inputs.params);
  if (!params.ok) return [];
  const quiet: CliIo = { ...context.io, cwd: root, stdout: { write: () => true }, stderr: { write: () => true } };
  const loaded = await loadGraphs({ paths: context.paths, date: context.inputs.date, params: params.value }, quiet);
  return loaded.ok ? loaded.value.graphs : [];
}

async function graphOf(context: Context, record: RunRecord): Promise<Graph | undefined> {
  return (await graphs({ ...context, inputs: { ...context.inputs, date: record.date } }, context.io.cwd)).find((g) => g.pipeline === record.pipeline);
}

async function comment(context: Context, markdown: string): Promise<void> {
  const token = context.inputs.githubToken;
  const number = (context.event.pull_request as { number?: number } | undefined)?.number ?? (context.event.number as number | undefined);
  const [owner, repo] = (context.io.env.GITHUB_REPOSITORY ?? '').split('/');
  if (token === undefined || number === undefined || !owner || !repo) return;
  const body = markdown.length <= COMMENT_MAX ? markdown : `${markdown.slice(0, COMMENT_MAX)}\n\n_… cut here; the job summary has the whole plan._\n`;
  const done = await upsertComment(token, { owner, repo, number }, `## Dagline plan\n\n${body}`);
  if (done.ok) core.info(`dagline: plan comment ${done.action}`);
  else core.warning(`dagline: could not comment on the pull request: ${done.error}`);
}

// ---- the CLI, in this process ----

/** Runs a CLI command with this process's streams. */
function cli(context: Context, argv: string[]): Promise<number> {
  return main(argv, context.io);
}

/** Runs a CLI command and keeps its stdout (stderr goes to the log). */
async function capture(context: Context, argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await main(argv, { ...context.io, stdout: { write: (text: string) => (stdout += text) } });
  return { code, stdout };
}

type RunOption = 'date' | 'params' | 'cache' | 'concurrency';

function runOptions(inputs: ActionInputs, which: readonly RunOption[]): string[] {
  const args: string[] = [];
  if (which.includes('date') && inputs.date !== undefined) args.push('--date', inputs.date);
  if (which.includes('params')) for (const param of inputs.params) args.push('--param', param);
  if (which.includes('cache') && inputs.cache !== undefined) args.push('--cache', inputs.cache);
  if (which.includes('concurrency') && inputs.concurrency !== undefined) args.push('--concurrency', inputs.concurrency);
  return args;
}

// ---- the environment ----

function pipelinePaths(pipeline: string | undefined, cwd: string): string[] {
  if (pipeline === undefined) return [];
  if (!/[*?[{]/.test(pipeline)) return [pipeline];
  const matches = globSync(pipeline, { cwd }).sort();
  return matches.length > 0 ? matches : [pipeline]; // the CLI then says that nothing is there
}

function readEvent(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The record of the run this action started: the newest, if it started after `since`. */
function latestRecord(root: string, since: number): RunRecord | undefined {
  const newest = listRuns(root)[0];
  return newest !== undefined && Date.parse(newest.startedAt) >= since - 1000 ? newest : undefined;
}

function failed(message: string, code: number): number {
  core.setFailed(`dagline: ${message}`);
  return code;
}
