import { hash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Graph, Task } from '../compile/graph.js';
import { MinHeap } from '../compile/min-heap.js';
import { parseExpression } from '../expression/parse.js';
import { calls, FUNCTIONS } from '../expression/references.js';
import { evaluate, truthy } from '../expression/evaluate.js';
import type { Lookup, OutputsOf, SaveOptions } from '../cache/task-cache.js';
import type { Reporter, RunStatus, TaskStatus } from './events.js';
import { Limiter } from './limiter.js';
import { startOrder } from './priorities.js';
import { runProcess, shellCommand, type ProcessOutcome, type ProcessSpec } from './process.js';
import { isTransient, retryDelay } from './retry.js';
import { RedactingReporter, Redactor } from './redact.js';
import { parseTaskOutputs } from './task-outputs.js';
import { evaluateParts, needsContext, runEnv, taskContexts, taskEnv, type Upstream } from './task-command.js';

export interface ExecuteOptions {
  runId: string;
  /** The repository root; task folders are resolved against it. */
  root: string;
  /** `.dagline/runs/<run-id>`: logs and output files go here. */
  runDir: string;
  concurrency: number;
  keepGoing: boolean;
  /** Tasks that already finished (a resumed run): not run again; their outputs feed what needs them. */
  finished?: ReadonlyMap<string, Upstream>;
  /** `runDir` is an earlier run's (`--resume`): what its attempts wrote may be there. */
  resumed?: boolean;
  /** Only these tasks run; the others count as done and leave no outputs (`--only`, `--from`). */
  selected?: ReadonlySet<string>;
  signal?: AbortSignal;
  runTimeoutMs?: number | null;
  env: Readonly<Record<string, string | undefined>>;
  /** Whether reporters want each task's output as it comes (read from its log file while it runs). */
  streamOutput: boolean;
  killGraceMs?: number;
  startProcess?: (spec: ProcessSpec) => Promise<ProcessOutcome>;
  random?: () => number;
  /** Restores tasks whose outputs are cached and saves what succeeded; none: every task runs, nothing is saved. */
  cache?: RunCache;
}

/** The cache as the executor sees it (src/cache/task-cache.ts). */
export interface RunCache {
  lookup(task: Task, outputsOf: OutputsOf): Promise<Lookup>;
  save(task: Task, outputs: Record<string, string>, outputsOf: OutputsOf, options?: SaveOptions): Promise<{ error?: string; warning?: string }>;
}

/** Cache lookups at once: they hash inputs and copy files, and must not wait for task slots. */
const CACHE_CONCURRENCY = 16;

type Stop = 'failure' | 'cancelled' | 'timeout';

const OK_STATUSES: ReadonlySet<TaskStatus> = new Set(['succeeded', 'cached']);
const FAILED_STATUSES: ReadonlySet<TaskStatus> = new Set(['failed', 'upstream_failed']);

/**
 * Runs a compiled graph: the scheduler loop, retries, conditions, outputs. Reports through one event stream, in
 * which the values of the graph's secrets (as set in `options.env`) are already hidden.
 */
export function executeGraph(graph: Graph, options: ExecuteOptions, reporter: Reporter): Promise<RunStatus> {
  const redactor = Redactor.forSecrets(graph.secrets, options.env);
  return new Execution(graph, options, redactor.active ? new RedactingReporter(reporter, redactor) : reporter, redactor).run();
}

class Execution {
  private readonly byId = new Map<string, Task>();
  private readonly rank: Map<string, number>;
  private readonly byRank: Task[];
  private readonly waiting = new Map<string, number>();
  private readonly dependents = new Map<string, string[]>();
  private readonly results = new Map<string, Upstream>();
  private readonly ready = new MinHeap();
  private readonly held: Task[] = [];
  private readonly abort = new AbortController();
  private running = 0;
  /** Tasks whose cache lookup is under way. */
  private checking = 0;
  private readonly cacheLimiter = new Limiter(CACHE_CONCURRENCY);
  /** For the cache, which hashes them into fingerprints: with secrets hidden, as fingerprints must not hold them. */
  private readonly outputsOf: OutputsOf = (id) => {
    const result = this.results.get(id);
    return result !== undefined && OK_STATUSES.has(result.status) ? this.redactor.redactValues(result.outputs).values : undefined;
  };
  private stop: Stop | undefined;
  private readonly started = Date.now();
  private finish!: () => void;
  private readonly baseEnv: Record<string, string>;

  constructor(
    private readonly graph: Graph,
    private readonly options: ExecuteOptions,
    private readonly reporter: Reporter,
    private readonly redactor: Redactor,
  ) {
    this.baseEnv = { ...definedOnly(options.env), ...runEnv(graph) };
    graph.tasks.forEach((t) => {
      this.byId.set(t.id, t);
      for (const need of t.needs) {
        const list = this.dependents.get(need);
        if (list) list.push(t.id);
        else this.dependents.set(need, [t.id]);
      }
    });
    this.byRank = startOrder(graph.tasks);
    this.rank = new Map(this.byRank.map((t, i) => [t.id, i]));
  }

  async run(): Promise<RunStatus> {
    const { graph, options } = this;
    mkdirSync(join(options.runDir, 'logs'), { recursive: true });
    mkdirSync(join(options.runDir, 'outputs'), { recursive: true });
    const toRun = graph.tasks.filter((t) => !options.finished?.has(t.id) && (options.selected?.has(t.id) ?? true));
    this.reporter.onEvent({ type: 'run-start', runId: options.runId, pipeline: graph.pipeline, ds: graph.run.ds, tasks: toRun.map((t) => t.id), concurrency: options.concurrency, logDir: join(options.runDir, 'logs') });
    const done = new Promise<void>((resolve) => (this.finish = resolve));
    const onAbort = () => this.halt('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = options.runTimeoutMs ? setTimeout(() => this.halt('timeout'), options.runTimeoutMs) : undefined;
    for (const task of graph.tasks) {
      const previous = options.finished?.get(task.id);
      if (previous) this.results.set(task.id, previous);
      else if (!(options.selected?.has(task.id) ?? true)) this.results.set(task.id, { status: 'succeeded', outputs: {} });
    }
    for (const task of toRun) {
      const open = task.needs.filter((id) => !this.results.has(id)).length;
      this.waiting.set(task.id, open);
    }
    if (options.signal?.aborted) this.halt('cancelled');
    for (const task of toRun) if (this.waiting.get(task.id) === 0) this.settle(task);
    this.checkDone();
    await done;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    this.endUnfinished(toRun);
    const status = this.runStatus();
    const counts: Partial<Record<TaskStatus, number>> = {};
    for (const task of toRun) {
      const s = this.results.get(task.id)?.status;
      if (s) counts[s] = (counts[s] ?? 0) + 1;
    }
    this.reporter.onEvent({ type: 'run-end', status, durationMs: Date.now() - this.started, counts });
    return status;
  }

  /** All a task needs has finished: run it, or settle it as skipped / upstream_failed. */
  private settle(task: Task): void {
    const decision = this.decide(task);
    if (decision === 'run') {
      this.lookUp(task);
    } else {
      this.complete(task, { status: decision.status, outputs: {} }, { attempts: 0, exitCode: null, durationMs: 0, reason: decision.reason });
    }
  }

  private decide(task: Task): 'run' | { status: TaskStatus; reason: string } {
    const statuses = task.needs.map((id) => this.results.get(id)?.status ?? 'cancelled');
    const allOk = statuses.every((s) => OK_STATUSES.has(s));
    const anyFailed = statuses.some((s) => FAILED_STATUSES.has(s));
    const blocked = (): { status: TaskStatus; reason: string } => {
      if (anyFailed) return { status: 'upstream_failed', reason: 'a task it needs failed' };
      if (statuses.includes('cancelled')) return { status: 'cancelled', reason: 'a task it needs was cancelled' };
      return { status: 'skipped', reason: 'a task it needs was skipped' };
    };
    if (task.if === null) return allOk ? 'run' : blocked();
    const statusAware = this.usesStatusFunction(task);
    if (!statusAware && !allOk) return blocked();
    const status = { success: allOk, failure: anyFailed, cancelled: this.stop === 'cancelled' };
    const expr = parseExpression(task.if);
    const value = expr.ok ? evaluate(expr.value, { contexts: this.contexts(task, 1), status }) : expr;
    if (!value.ok) return { status: 'failed', reason: `condition \`${task.if}\`: ${'message' in value.error ? value.error.message : ''}` };
    if (truthy(value.value)) return 'run';
    return statusAware && !allOk ? blocked() : { status: 'skipped', reason: 'condition is false' };
  }

  /** Restores the task from the cache, or queues it to run. */
  private lookUp(task: Task): void {
    const { cache } = this.options;
    if (cache === undefined) return this.enqueue(task);
    this.checking++;
    void this.cacheLimiter.run(() => cache.lookup(task, this.outputsOf)).then((found) => {
      this.checking--;
      if (!found.hit && found.warning !== undefined) this.reporter.onEvent({ type: 'warning', id: task.id, message: found.warning });
      if (found.hit) this.complete(task, { status: 'cached', outputs: found.outputs }, { attempts: 0, exitCode: null, durationMs: 0, reason: undefined });
      else this.enqueue(task);
      this.checkDone();
    });
  }

  private enqueue(task: Task): void {
    if (this.stop !== undefined && !this.usesStatusFunction(task)) this.held.push(task);
    else this.ready.push(this.rank.get(task.id) ?? 0);
    this.pump();
  }

  private readonly statusAware = new Map<string, boolean>();

  private usesStatusFunction(task: Task): boolean {
    if (task.if === null) return false;
    let known = this.statusAware.get(task.id);
    if (known === undefined) {
      const expr = parseExpression(task.if);
      known = expr.ok && calls(expr.value).some((c) => FUNCTIONS[c.name]?.statusOnly === true);
      this.statusAware.set(task.id, known);
    }
    return known;
  }

  private pump(): void {
    while (this.running < this.options.concurrency) {
      const rank = this.ready.pop();
      if (rank === undefined) break;
      const task = this.byRank[rank] as Task;
      if (this.stop !== undefined && !this.usesStatusFunction(task)) {
        this.held.push(task);
        continue;
      }
      this.running++;
      void this.attemptAll(task).then(() => {
        this.running--;
        this.pump();
        this.checkDone();
      });
    }
  }

  private checkDone(): void {
    const readyLeft = this.stop === undefined ? this.ready.size > 0 : false;
    if (this.running === 0 && this.checking === 0 && !readyLeft) this.finish();
  }

  private async attemptAll(task: Task): Promise<void> {
    const started = Date.now();
    const logFile = join(this.options.runDir, 'logs', `${fileName(task.id)}.log`);
    let attempt = 1;
    for (;;) {
      const outcome = await this.saved(task, await this.attempt(task, attempt, logFile));
      const retry = outcome.status === 'failed' && outcome.retryable && isTransient(task.retries, { exitCode: outcome.exitCode, timedOut: outcome.timedOut === true }) && attempt <= task.retries.attempts;
      if (!retry || this.stop === 'cancelled' || this.stop === 'timeout') {
        this.complete(task, { status: outcome.status, outputs: outcome.outputs }, { attempts: attempt, exitCode: outcome.exitCode, durationMs: Date.now() - started, reason: outcome.reason });
        return;
      }
      const delayMs = retryDelay(task.retries, attempt, this.options.random);
      this.reporter.onEvent({ type: 'task-retry', id: task.id, attempt: attempt + 1, maxAttempts: task.retries.attempts + 1, delayMs, reason: outcome.reason ?? '' });
      const slept = await sleep(delayMs, true, { signal: this.abort.signal }).catch(() => false);
      if (!slept) {
        this.complete(task, { status: 'cancelled', outputs: {} }, { attempts: attempt, exitCode: outcome.exitCode, durationMs: Date.now() - started, reason: 'cancelled while waiting to retry' });
        return;
      }
      attempt++;
    }
  }

  private async attempt(task: Task, attempt: number, logFile: string): Promise<AttemptOutcome> {
    const contexts = this.contexts(task, attempt);
    const command = this.command(task, contexts);
    const env = renderEnv(task, contexts);
    if (typeof command === 'string' || typeof env === 'string') {
      return { status: 'failed', exitCode: null, retryable: false, outputs: {}, reason: typeof command === 'string' ? command : (env as string) };
    }
    // The task creates this file when it first appends to it; most tasks never do. A resumed run has the same
    // folder: what the attempt of the same number appended last time is not this attempt's output.
    const outputFile = join(this.options.runDir, 'outputs', `${fileName(task.id)}.${attempt}.env`);
    if (this.options.resumed === true) rmSync(outputFile, { force: true });
    this.reporter.onEvent({ type: 'task-start', id: task.id, attempt, command: [command.file, ...command.args].join(' '), logFile, at: Date.now() });
    const start = this.options.startProcess ?? runProcess;
    const outcome = await start({
      ...command,
      cwd: resolve(this.options.root, this.graph.dir, task.workingDirectory),
      env: { ...this.baseEnv, ...taskEnv(task, this.results, attempt), DAGLINE_OUTPUT: outputFile, ...env },
      timeoutMs: task.timeoutMs,
      killGraceMs: this.options.killGraceMs ?? 5_000,
      logFile,
      signal: this.abort.signal,
      ...(this.options.streamOutput ? { onOutput: (text: string) => this.reporter.onEvent({ type: 'task-output', id: task.id, text }) } : {}),
    });
    return this.interpret(task, outcome, outputFile);
  }

  /** A success is complete once its declared outputs are there and stored (a failure to store is a warning). */
  private async saved(task: Task, outcome: AttemptOutcome): Promise<AttemptOutcome> {
    const { cache } = this.options;
    if (cache === undefined || outcome.status !== 'succeeded') return outcome;
    const saved = await cache.save(task, outcome.outputs, this.outputsOf, { holdsSecret: this.redactor.redactValues(outcome.outputs).changed });
    if (saved.warning !== undefined) this.reporter.onEvent({ type: 'warning', id: task.id, message: saved.warning });
    return saved.error === undefined ? outcome : { status: 'failed', exitCode: outcome.exitCode, retryable: false, outputs: {}, reason: saved.error };
  }

  private interpret(task: Task, outcome: ProcessOutcome, outputFile: string): AttemptOutcome {
    const { exitCode } = outcome;
    if (outcome.spawnError !== undefined) return { status: 'failed', exitCode, retryable: false, outputs: {}, reason: outcome.spawnError };
    if (outcome.cancelled) return { status: 'cancelled', exitCode, retryable: false, outputs: {}, reason: 'cancelled' };
    if (outcome.timedOut) return { status: 'failed', exitCode, retryable: true, outputs: {}, reason: `timed out after ${formatMs(task.timeoutMs ?? outcome.durationMs)}`, timedOut: true };
    if (exitCode !== 0) {
      const reason = exitCode === null ? `killed by ${outcome.signal ?? 'a signal'}` : `exit code ${exitCode}`;
      return { status: 'failed', exitCode, retryable: true, outputs: {}, reason };
    }
    const outputs = parseTaskOutputs(readIfPresent(outputFile));
    if (!outputs.ok) return { status: 'failed', exitCode, retryable: false, outputs: {}, reason: outputs.error };
    return { status: 'succeeded', exitCode, retryable: false, outputs: outputs.value };
  }

  private contexts(task: Task, attempt: number) {
    return taskContexts(this.graph, task, needsContext(task, (id) => this.byId.get(id)?.name ?? id, this.results), attempt);
  }

  private command(task: Task, contexts: ReturnType<Execution['contexts']>): { file: string; args: string[] } | string {
    if (task.command.kind === 'run') {
      const script = evaluateParts(task.command.script, contexts, true);
      return script.ok ? shellCommand(task.command.shell, script.value) : script.error;
    }
    const args: string[] = [];
    for (const parts of task.command.args) {
      const arg = evaluateParts(parts, contexts);
      if (!arg.ok) return arg.error;
      args.push(arg.value);
    }
    const [file = '', ...rest] = args;
    return { file, args: rest };
  }

  private complete(task: Task, result: Upstream, end: { attempts: number; exitCode: number | null; durationMs: number; reason: string | undefined }, cascade = true): void {
    this.results.set(task.id, result);
    this.reporter.onEvent({ type: 'task-end', id: task.id, status: result.status, attempts: end.attempts, exitCode: end.exitCode, durationMs: end.durationMs, outputs: result.outputs, at: Date.now(), ...(end.reason === undefined ? {} : { reason: end.reason }) });
    if (result.status === 'failed' && !this.options.keepGoing) this.halt('failure');
    if (!cascade) return;
    for (const id of this.dependents.get(task.id) ?? []) {
      const left = (this.waiting.get(id) ?? 0) - 1;
      this.waiting.set(id, left);
      const dependent = this.byId.get(id);
      if (left === 0 && dependent && !this.results.has(id)) this.settle(dependent);
    }
  }

  private halt(reason: Stop): void {
    if (this.stop === 'cancelled' || this.stop === 'timeout') return;
    this.stop = reason;
    if (reason !== 'failure') this.abort.abort();
    this.pump(); // what is already queued: conditions such as failure() may still run
    this.checkDone();
  }

  /** Tasks the run never reached: downstream of a failure, or simply not started before it stopped. */
  private endUnfinished(toRun: readonly Task[]): void {
    for (const task of toRun) {
      if (this.results.has(task.id)) continue;
      const failedUpstream = task.needs.some((id) => FAILED_STATUSES.has(this.results.get(id)?.status ?? 'cancelled'));
      const status: TaskStatus = failedUpstream ? 'upstream_failed' : 'cancelled';
      const reason = failedUpstream ? 'a task it needs failed' : `not started: the run stopped (${this.stop ?? 'stopped'})`;
      this.complete(task, { status, outputs: {} }, { attempts: 0, exitCode: null, durationMs: 0, reason }, false);
    }
  }

  private runStatus(): RunStatus {
    if (this.stop === 'cancelled') return 'cancelled';
    const failed = [...this.results.values()].some((r) => FAILED_STATUSES.has(r.status));
    return failed || this.stop === 'timeout' ? 'failed' : 'succeeded';
  }
}

interface AttemptOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  exitCode: number | null;
  retryable: boolean;
  outputs: Record<string, string>;
  reason?: string;
  timedOut?: boolean;
}

function renderEnv(task: Task, contexts: Parameters<typeof evaluateParts>[1]): Record<string, string> | string {
  const env: Record<string, string> = {};
  for (const [key, parts] of Object.entries(task.env)) {
    const value = evaluateParts(parts, contexts);
    if (!value.ok) return `env ${key}: ${value.error}`;
    env[key] = value.value;
  }
  return env;
}

const formatMs = (ms: number) => (ms < 1000 ? `${ms}ms` : `${ms / 1000}s`);

/** Most tasks never write outputs: an existence check first spares an ENOENT exception per task. */
function readIfPresent(path: string): string {
  if (!existsSync(path)) return '';
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return '';
    throw e;
  }
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** A task id as a file name: readable, and unique even when two ids differ only in unsafe characters. */
export function fileName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._=,[\]-]/g, '_');
  return safe === id ? id : `${safe}-${hash('sha256', id).slice(0, 8)}`;
}
