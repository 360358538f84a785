import type { Value } from '../expression/ast.js';
import { toText } from '../expression/evaluate.js';
import { fail, ok, type Result } from '../result.js';
import { evaluateValue, type Contexts } from './substitute.js';

/** Concrete tasks one pipeline may expand to; past this a typo in a matrix would exhaust memory. */
export const MAX_TASKS = 50_000;

export interface Combination {
  values: Record<string, Value>;
  /** The keys that name the instance in its id (the axes, not values merged in by `include`). */
  idKeys: string[];
}

export interface MatrixProblem {
  code: 'DAG044' | 'DAG050' | 'DAG070' | 'DAG071' | 'DAG072' | 'DAG073' | 'DAG074';
  message: string;
  /** The path below `matrix` the problem is at, and the offset in that string value when known. */
  path: (string | number)[];
  offset?: number;
}

export interface MatrixSources {
  contexts: Contexts;
  /** Reads a JSON or YAML list file named relative to the pipeline's folder. */
  readList: (file: string) => Result<unknown, { code: 'DAG050' | 'DAG070'; message: string }>;
}

type Row = Record<string, Value>;

export function expandMatrix(raw: Record<string, unknown>, sources: MatrixSources): Result<Combination[], MatrixProblem[]> {
  const axes: [string, Value[]][] = [];
  const problems: MatrixProblem[] = [];
  for (const [axis, spec] of Object.entries(raw)) {
    if (axis === 'include' || axis === 'exclude') continue;
    const values = axisValues(axis, spec, sources);
    if (values.ok) axes.push([axis, values.value]);
    else problems.push(values.error);
  }
  if (problems.length > 0) return fail(problems);
  const size = axes.reduce((n, [, values]) => n * values.length, 1);
  if (size > MAX_TASKS) {
    return fail([{ code: 'DAG073', path: [], message: `this matrix expands to ${size.toLocaleString('en')} tasks; the limit is ${MAX_TASKS.toLocaleString('en')}` }]);
  }
  const rows = entries(raw.exclude, sources.contexts);
  const includes = entries(raw.include, sources.contexts);
  if (!rows.ok) return fail([rows.error]);
  if (!includes.ok) return fail([includes.error]);
  const axisNames = axes.map(([name]) => name);
  const kept = product(axes).filter((row) => !rows.value.some((pattern) => matches(row, pattern)));
  return ok(applyIncludes(kept, includes.value, axisNames));
}

function axisValues(axis: string, spec: unknown, sources: MatrixSources): Result<Value[], MatrixProblem> {
  const problem = (code: MatrixProblem['code'], message: string, offset?: number, below: (string | number)[] = []): Result<Value[], MatrixProblem> =>
    fail({ code, message, path: [axis, ...below], ...(offset === undefined ? {} : { offset }) });
  let values: unknown = spec;
  if (typeof spec === 'string') {
    const evaluated = evaluateValue(spec, sources.contexts);
    if (!evaluated.ok) return problem('DAG072', evaluated.error.message, evaluated.error.offset);
    values = evaluated.value;
  } else if (isFileAxis(spec)) {
    const read = sources.readList(spec.from);
    if (!read.ok) return problem(read.error.code, `matrix axis \`${axis}\`: cannot read ${spec.from}: ${read.error.message}`, undefined, ['from']);
    values = read.value;
  }
  if (!Array.isArray(values)) {
    return problem('DAG071', `matrix axis \`${axis}\` must be a list, but it is ${describe(values)}`);
  }
  if (values.length === 0) return problem('DAG044', `matrix axis \`${axis}\` has no values, so the task would never run`);
  const resolved = resolveValues(values, sources.contexts);
  if (!resolved.ok) return problem('DAG072', resolved.error);
  const invalid = resolved.value.findIndex((v) => v === null || typeof v === 'object');
  if (invalid >= 0) {
    const message = `matrix axis \`${axis}\`: value ${invalid + 1} is ${describe(resolved.value[invalid])}; values name task instances, so use strings, numbers or booleans`;
    return problem('DAG074', message, undefined, Array.isArray(spec) ? [invalid] : []);
  }
  return ok(resolved.value);
}

function resolveValues(values: unknown[], contexts: Contexts): Result<Value[], string> {
  const out: Value[] = [];
  for (const value of values) {
    const resolved = typeof value === 'string' ? evaluateValue(value, contexts) : ok(value as Value);
    if (!resolved.ok) return fail(resolved.error.message);
    out.push(resolved.value);
  }
  return ok(out);
}

function entries(raw: unknown, contexts: Contexts): Result<Row[], MatrixProblem> {
  if (raw === undefined) return ok([]);
  const list = typeof raw === 'string' ? evaluateValue(raw, contexts) : ok(raw as Value);
  if (!list.ok) return fail({ code: 'DAG072', message: list.error.message, path: [] });
  if (!Array.isArray(list.value)) return fail({ code: 'DAG071', message: 'matrix include/exclude must be a list of mappings', path: [] });
  return ok(list.value.filter((row): row is Row => typeof row === 'object' && row !== null && !Array.isArray(row)));
}

function product(axes: [string, Value[]][]): Row[] {
  let rows: Row[] = [{}];
  for (const [axis, values] of axes) rows = rows.flatMap((row) => values.map((value) => ({ ...row, [axis]: value })));
  return axes.length === 0 ? [] : rows;
}

/** GitHub's include rule: extend every combination it does not contradict, or else add it as a new one. */
function applyIncludes(rows: Row[], includes: Row[], axes: string[]): Combination[] {
  const combos: Combination[] = rows.map((values) => ({ values, idKeys: axes }));
  const originals = combos.length;
  for (const include of includes) {
    const targets = combos.slice(0, originals).filter((c) => matches(pick(c.values, axes), pick(include, axes)));
    if (targets.length === 0) combos.push({ values: { ...include }, idKeys: Object.keys(include) });
    for (const target of targets) Object.assign(target.values, include);
  }
  return combos;
}

const pick = (row: Row, keys: string[]): Row => Object.fromEntries(keys.filter((k) => k in row).map((k) => [k, row[k] ?? null]));

function matches(row: Row, pattern: Row): boolean {
  return Object.entries(pattern).every(([key, value]) => key in row && sameValue(row[key] ?? null, value));
}

export const sameValue = (a: Value, b: Value): boolean => toText(a) === toText(b);

const isFileAxis = (spec: unknown): spec is { from: string } =>
  typeof spec === 'object' && spec !== null && typeof (spec as { from?: unknown }).from === 'string';

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value} (${JSON.stringify(value)})`;
}

/** `train[model=xgboost,region=eu]`: axes sorted so an id does not depend on declaration order. */
export function instanceId(name: string, combo: Combination | undefined): string {
  if (combo === undefined || combo.idKeys.length === 0) return name;
  const keys = [...combo.idKeys].sort();
  return `${name}[${keys.map((k) => `${k}=${toText(combo.values[k] ?? null)}`).join(',')}]`;
}
