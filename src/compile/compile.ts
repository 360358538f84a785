import { dirname, extname, relative, resolve } from 'node:path';
import YAML from 'yaml';
import type { Value } from '../expression/ast.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { locate, locateInString, type Document, type PathSegment } from '../parse/document.js';
import { fail, ok, type Result } from '../result.js';
import { DAILY, type Cron } from '../schedule/cron.js';
import { logicalDate, runMacros } from '../schedule/logical-date.js';
import type { PipelineDocument, Task as TaskSpec } from '../validate/pipeline.generated.js';
import { alertRules, notifySettings } from './alerts.js';
import { parseDuration } from './duration.js';
import type { Graph, Part, Task } from './graph.js';
import { expandMatrix, instanceId, MAX_TASKS, type Combination } from './matrix.js';
import { resolveNeeds } from './needs.js';
import { repoPath } from './paths.js';
import { retryPolicy } from './retries.js';
import { shellQuote } from './shell-quote.js';
import { substitute, substituteNow, isRuntime, type Contexts, type SubstitutionError } from './substitute.js';
import { parseExpression } from '../expression/parse.js';
import { evaluate } from '../expression/evaluate.js';
import { truthy } from '../expression/evaluate.js';

export interface CompileOptions {
  /** `--date`: a day or an ISO timestamp. */
  date: string;
  /** `--param` overrides, already parsed. */
  params?: Readonly<Record<string, Value>>;
  /** The repository root (absolute); no path may leave it. */
  root: string;
  /** Reads a file for matrix `from:`; the only I/O compile needs, injected so compile stays pure. */
  /** A matrix `from:` file's text; undefined when it does not exist, `unreadable` with why it cannot be read. */
  readFile: (absolutePath: string) => string | undefined | { unreadable: string };
  runId?: string;
}

/** Compiles a validated pipeline into concrete tasks for one logical date. Pure given its inputs. */
export function compile(doc: Document, options: CompileOptions): Result<Graph, Diagnostic[]> {
  const spec = doc.value as unknown as PipelineDocument;
  const context = new CompileContext(doc, spec, options);
  const cron: Cron = spec.schedule ? { expression: spec.schedule.cron, timezone: spec.schedule.timezone ?? 'UTC' } : DAILY;
  const date = logicalDate(options.date, cron);
  if (!date.ok) return fail([error('DAG093', date.error)]);
  const run = runMacros(date.value, cron, options.runId);
  const params = { ...((spec.params ?? {}) as Record<string, Value>), ...options.params };
  const env = context.env(['env'], spec.env, { params, run });
  const pipelineEnv = flatten(env);
  const contexts: Contexts = { params, run, env: pipelineEnv };
  const instances = context.instances(contexts);
  context.checkUniqueIds(instances);
  if (context.problems.length > 0) return fail(context.problems);
  const ordered = resolveNeeds(instances, spec);
  if (!ordered.ok) return fail(ordered.error.map((p) => error(p.code, p.message, locate(doc, p.path))));
  return ok({
    pipeline: spec.name ?? defaultName(doc.path),
    file: doc.file,
    root: options.root,
    dir: relative(options.root, dirname(doc.path)).replaceAll('\\', '/'),
    params,
    env: pipelineEnv,
    secrets: spec.secrets ?? [],
    run,
    tasks: ordered.value,
    ...(spec.notify === undefined ? {} : { notify: notifySettings(spec.notify) }),
  });
}

export interface Instance {
  task: Task;
  combo: Combination | undefined;
}

class CompileContext {
  readonly problems: Diagnostic[] = [];
  private readonly reported = new Set<string>();
  private readonly pipelineDir: string;

  constructor(
    private readonly doc: Document,
    private readonly spec: PipelineDocument,
    private readonly options: CompileOptions,
  ) {
    this.pipelineDir = relative(options.root, dirname(doc.path));
  }

  instances(contexts: Contexts): Instance[] {
    const instances: Instance[] = [];
    for (const [name, task] of Object.entries(this.spec.tasks)) {
      for (const combo of this.combinations(name, task, contexts)) {
        if (instances.length >= MAX_TASKS) {
          this.report('DAG073', `the pipeline expands to more than ${MAX_TASKS.toLocaleString('en')} tasks`, ['tasks', name]);
          return instances;
        }
        const matrix = combo?.values ?? {};
        instances.push({ task: this.task(name, task, combo, { ...contexts, matrix }), combo });
      }
    }
    return instances;
  }

  checkUniqueIds(instances: Instance[]): void {
    const seen = new Set<string>();
    for (const { task } of instances) {
      if (seen.has(task.id)) {
        this.report('DAG043', `two tasks have the id \`${task.id}\``, ['tasks', task.name, 'matrix'], undefined, 'make every matrix combination, `include` entries too, unique');
      }
      seen.add(task.id);
    }
  }

  private combinations(name: string, task: TaskSpec, contexts: Contexts): (Combination | undefined)[] {
    if (task.matrix === undefined) return [undefined];
    const expanded = expandMatrix(task.matrix as Record<string, unknown>, {
      contexts,
      readList: (file) => this.readList(file),
    });
    if (!expanded.ok) {
      for (const p of expanded.error) this.report(p.code, p.message, ['tasks', name, 'matrix', ...p.path], p.offset);
      return [];
    }
    if (expanded.value.length === 0) {
      this.report('DAG044', `the matrix of \`${name}\` leaves no combination, so the task would never run`, ['tasks', name, 'matrix']);
    }
    return expanded.value;
  }

  private task(name: string, spec: TaskSpec, combo: Combination | undefined, contexts: Contexts): Task {
    const defaults = this.spec.defaults ?? {};
    const at = (...path: PathSegment[]) => ['tasks', name, ...path];
    const fromDefaults = (key: 'working-directory') => (spec[key] === undefined && defaults[key] !== undefined ? ['defaults', key] : at(key));
    const timeout = spec.timeout ?? defaults.timeout;
    return {
      id: instanceId(name, combo),
      name,
      matrix: combo?.values ?? {},
      needs: [],
      command: this.command(spec, contexts, at),
      env: { ...this.env(['defaults', 'env'], defaults.env, contexts), ...this.env(at('env'), spec.env, contexts) },
      workingDirectory: this.path(spec['working-directory'] ?? defaults['working-directory'] ?? '.', fromDefaults('working-directory'), contexts),
      inputs: (spec.inputs ?? []).map((p, i) => this.path(p, at('inputs', i), contexts)),
      outputs: (spec.outputs ?? []).map((p, i) => this.path(p, at('outputs', i), contexts)),
      timeoutMs: timeout === undefined ? null : (parseDuration(timeout) ?? null),
      retries: retryPolicy(defaults.retries, spec.retries),
      if: this.condition(spec.if, at('if'), contexts),
      cache: spec.cache ?? defaults.cache ?? true,
      metrics: spec.metrics ?? [],
      alerts: alertRules(this.spec.alerts, spec.alerts),
    };
  }

  private command(spec: TaskSpec, contexts: Contexts, at: (...p: PathSegment[]) => PathSegment[]): Task['command'] {
    if (spec.args !== undefined) {
      return { kind: 'args', args: spec.args.map((arg, i) => this.parts(arg, at('args', i), contexts)) };
    }
    const shell = spec.shell ?? this.spec.defaults?.shell ?? 'bash';
    return { kind: 'run', shell, script: this.parts(spec.run ?? '', at('run'), contexts, shellQuote) };
  }

  env(path: PathSegment[], env: Record<string, unknown> | undefined, contexts: Contexts): Record<string, Part[]> {
    const out: Record<string, Part[]> = {};
    for (const [key, value] of Object.entries(env ?? {})) out[key] = this.parts(String(value), [...path, key], contexts);
    return out;
  }

  private condition(condition: string | boolean | undefined, path: PathSegment[], contexts: Contexts): string | null {
    if (condition === undefined) return null;
    const written = String(condition);
    const source = written.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1').trim();
    const at = written.indexOf(source);
    const expr = parseExpression(source);
    if (!expr.ok) {
      this.report('DAG047', expr.error.message, path, at + expr.error.offset);
      return null;
    }
    if (isRuntime(expr.value)) return source;
    const value = evaluate(expr.value, { contexts });
    if (!value.ok) {
      this.report('DAG072', value.error.message, path, at + value.error.start);
      return null;
    }
    return truthy(value.value) ? 'true' : 'false';
  }

  private parts(text: string, path: PathSegment[], contexts: Contexts, quote?: (s: string) => string): Part[] {
    const parts = substitute(text, contexts, quote);
    if (parts.ok) return parts.value;
    this.reportSubstitution(parts.error, path);
    return [];
  }

  private path(written: string, path: PathSegment[], contexts: Contexts): string {
    const text = substituteNow(written, contexts);
    if (!text.ok) {
      this.reportSubstitution(text.error, path);
      return written;
    }
    const checked = repoPath(text.value, this.pipelineDir, this.options.root);
    if ('refused' in checked) {
      this.report('DAG050', checked.refused, path);
      return text.value;
    }
    return checked.path;
  }

  private readList(file: string): Result<unknown, { code: 'DAG050' | 'DAG070'; message: string }> {
    const checked = repoPath(file, this.pipelineDir, this.options.root);
    if ('refused' in checked) return fail({ code: 'DAG050', message: checked.refused });
    const text = this.options.readFile(resolve(this.options.root, this.pipelineDir, checked.path));
    if (text === undefined) return fail({ code: 'DAG070', message: 'no such file' });
    if (typeof text !== 'string') return fail({ code: 'DAG070', message: text.unreadable });
    try {
      return ok(extname(file) === '.json' ? JSON.parse(text) : YAML.parse(text, { maxAliasCount: 100 }));
    } catch (e) {
      return fail({ code: 'DAG070', message: e instanceof Error ? e.message.replaceAll('\n', ' ') : String(e) });
    }
  }

  private reportSubstitution(problem: SubstitutionError, path: PathSegment[]): void {
    this.report('DAG072', problem.message, path, problem.offset);
  }

  private report(code: Diagnostic['code'], message: string, path: PathSegment[], offset?: number, hint?: string): void {
    const location = offset === undefined ? locate(this.doc, path) : locateInString(this.doc, path, offset);
    const key = `${code} ${location.start.offset} ${message}`;
    if (this.reported.has(key)) return; // one problem in a matrix task is one diagnostic, not one per instance
    this.reported.add(key);
    this.problems.push(error(code, message, location, hint));
  }
}

function flatten(env: Record<string, Part[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, parts]) => [k, parts.filter((p) => typeof p === 'string').join('')]));
}

/** `pipelines/churn.yml` is `churn`; `examples/diamond/pipeline.yml` is `diamond`. */
export function defaultName(path: string): string {
  const [folder = '', file = ''] = path.split(/[\\/]/).slice(-2);
  const stem = file.replace(/\.ya?ml$/, '');
  const name = stem === 'pipeline' || stem === 'dagline' ? folder : stem;
  return name.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
}
