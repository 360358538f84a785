import { children, type Expr } from './ast.js';

export interface FunctionSpec {
  minArgs: number;
  maxArgs: number;
  /** Reads the task's status, so it can only be evaluated when the task is about to start (in `if:`). */
  statusOnly: boolean;
}

const SPECS = {
  contains: { minArgs: 2, maxArgs: 2, statusOnly: false },
  startsWith: { minArgs: 2, maxArgs: 2, statusOnly: false },
  endsWith: { minArgs: 2, maxArgs: 2, statusOnly: false },
  format: { minArgs: 1, maxArgs: Number.POSITIVE_INFINITY, statusOnly: false },
  join: { minArgs: 1, maxArgs: 2, statusOnly: false },
  toJSON: { minArgs: 1, maxArgs: 1, statusOnly: false },
  fromJSON: { minArgs: 1, maxArgs: 1, statusOnly: false },
  success: { minArgs: 0, maxArgs: 0, statusOnly: true },
  failure: { minArgs: 0, maxArgs: 0, statusOnly: true },
  always: { minArgs: 0, maxArgs: 0, statusOnly: true },
  cancelled: { minArgs: 0, maxArgs: 0, statusOnly: true },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof SPECS;

/**
 * The built-in functions, shared by the evaluator and the validator.
 * No prototype, so `FUNCTIONS['toString']` is undefined rather than Object's method.
 */
export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, FunctionSpec>, SPECS),
);

const BY_LOWER_CASE = new Map(Object.keys(SPECS).map((name) => [name.toLowerCase(), name]));

/** GitHub matches function names case-insensitively (`toJson` is `toJSON`); unknown names stay as written. */
export function canonicalFunctionName(name: string): string {
  return BY_LOWER_CASE.get(name.toLowerCase()) ?? name;
}

/** A name an expression reads: `['needs', 'train', 'outputs', 'auc']`, spanning the whole access chain. */
export interface Reference {
  path: string[];
  start: number;
  end: number;
}

export interface Call {
  name: string;
  arity: number;
  start: number;
  end: number;
}

/** Every maximal chain of static property accesses rooted at a context, in source order. */
export function references(expr: Expr): Reference[] {
  const path = staticPath(expr);
  if (path !== undefined) return [{ path, start: expr.start, end: expr.end }];
  return children(expr).flatMap(references);
}

/** Every function call, outermost first, in source order. */
export function calls(expr: Expr): Call[] {
  const inner = children(expr).flatMap(calls);
  if (expr.kind !== 'call') return inner;
  return [{ name: expr.name, arity: expr.args.length, start: expr.start, end: expr.end }, ...inner];
}

/** The names of `context.a['b'][0]`, or undefined when some step is computed (`a[b]`) or the root is not a context. */
function staticPath(expr: Expr): string[] | undefined {
  switch (expr.kind) {
    case 'context':
      return [expr.name];
    case 'member':
      return extend(staticPath(expr.object), expr.property);
    case 'index':
      return expr.index.kind === 'literal' && (typeof expr.index.value === 'string' || typeof expr.index.value === 'number')
        ? extend(staticPath(expr.object), String(expr.index.value))
        : undefined;
    default:
      return undefined;
  }
}

function extend(path: string[] | undefined, name: string): string[] | undefined {
  return path === undefined ? undefined : [...path, name];
}
