import { shellQuote } from '../compile/shell-quote.js';
import type { Graph, Part, Task } from '../compile/graph.js';
import type { Value } from '../expression/ast.js';
import { evaluate, toText } from '../expression/evaluate.js';
import { parseExpression } from '../expression/parse.js';
import { fail, ok, type Result } from '../result.js';
import type { TaskStatus } from './events.js';

/** What a finished upstream task leaves for the tasks that need it. */
export interface Upstream {
  status: TaskStatus;
  outputs: Record<string, string>;
}

/** GitHub's words for a need's result. */
const RESULT: Readonly<Record<TaskStatus, string>> = {
  succeeded: 'success',
  cached: 'success',
  failed: 'failure',
  upstream_failed: 'failure',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

/**
 * The `needs` context of one task. With one instance of a needed task, `needs.<name>.outputs.<key>` is its
 * value; with several (a fan-in over a matrix), it is the list of their values in graph order.
 */
export function needsContext(task: Task, nameOf: (id: string) => string, finished: ReadonlyMap<string, Upstream>): Value {
  const byName = new Map<string, { id: string; upstream: Upstream }[]>();
  for (const id of task.needs) {
    const upstream = finished.get(id);
    const name = nameOf(id);
    if (upstream === undefined) continue;
    const instances = byName.get(name);
    if (instances === undefined) byName.set(name, [{ id, upstream }]);
    else instances.push({ id, upstream });
  }
  const context: Record<string, Value> = {};
  for (const [name, instances] of byName) {
    const [single, ...more] = instances;
    if (single !== undefined && more.length === 0) {
      context[name] = { outputs: single.upstream.outputs, result: RESULT[single.upstream.status] };
      continue;
    }
    const keys = new Set(instances.flatMap((i) => Object.keys(i.upstream.outputs)));
    const outputs = Object.fromEntries([...keys].map((k) => [k, instances.map((i) => i.upstream.outputs[k] ?? null)]));
    const allSucceeded = instances.every((i) => RESULT[i.upstream.status] === 'success');
    context[name] = { outputs, result: allSucceeded ? 'success' : 'failure' };
  }
  return context;
}

export type Contexts = Record<string, Value>;

export function taskContexts(graph: Graph, task: Task, needs: Value, attempt: number): Contexts {
  return { params: graph.params, run: { ...graph.run, attempt }, matrix: task.matrix, needs, env: graph.env };
}

/** Fills in the run-time expressions of compiled text (`renderParts` in compile/graph.ts only displays them). */
export function evaluateParts(parts: readonly Part[], contexts: Contexts, quote = false): Result<string, string> {
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const expr = parseExpression(part.expr);
    if (!expr.ok) return fail(`\`${part.expr}\`: ${expr.error.message}`);
    const value = evaluate(expr.value, { contexts });
    if (!value.ok) return fail(`\`${part.expr}\`: ${value.error.message}`);
    text += quote ? shellQuote(toText(value.value)) : toText(value.value);
  }
  return ok(text);
}

/** Environment names for values: `evaluate[model=x]` → `EVALUATE_MODEL_X`. */
export const envName = (text: string): string => text.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');

/** What every task of the run finds in its environment besides the runner's own: run macros and params. Computed once a run. */
export function runEnv(graph: Graph): Record<string, string> {
  const env: Record<string, string> = { DAGLINE_PIPELINE: graph.pipeline };
  for (const [key, value] of Object.entries(graph.run)) env[`DAGLINE_${key === 'id' ? 'RUN_ID' : envName(key)}`] = value;
  for (const [key, value] of Object.entries(graph.params)) env[`DAGLINE_PARAM_${envName(key)}`] = toText(value);
  return env;
}

/** What one task finds besides {@link runEnv}: its id, attempt, matrix values and upstream outputs. */
export function taskEnv(task: Task, finished: ReadonlyMap<string, Upstream>, attempt: number): Record<string, string> {
  const env: Record<string, string> = { DAGLINE_TASK: task.id, DAGLINE_ATTEMPT: String(attempt) };
  for (const [key, value] of Object.entries(task.matrix)) env[`DAGLINE_MATRIX_${envName(key)}`] = toText(value);
  for (const id of task.needs) {
    for (const [key, value] of Object.entries(finished.get(id)?.outputs ?? {})) env[`DAGLINE_NEEDS_${envName(id)}_${envName(key)}`] = value;
  }
  return env;
}
