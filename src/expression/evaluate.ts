import type { BinaryExpr, CallExpr, ContextExpr, Expr, Value } from './ast.js';
import { looseEquals, lessThan, toNumber, toText, truthy } from './coerce.js';
import { IMPLEMENTATIONS } from './functions.js';
import { FUNCTIONS, type FunctionName } from './references.js';
import type { Template } from './template.js';
import { fail, ok, type Result } from '../result.js';

export { toText, truthy } from './coerce.js';

/** Where in the expression source a problem is (`end` exclusive). */
export interface EvaluationError {
  message: string;
  start: number;
  end: number;
}

export interface Status {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

export interface Scope {
  contexts: Readonly<Record<string, Value>>;
  /** Only known when a task is about to start; `success()` and friends fail without it. */
  status?: Status;
}

type Evaluated = Result<Value, EvaluationError>;

/** Evaluates with GitHub's semantics: reading a property of null or a missing key gives null, not an error. */
export function evaluate(expr: Expr, scope: Scope): Evaluated {
  switch (expr.kind) {
    case 'literal':
      return ok(expr.value);
    case 'context':
      return readContext(expr, scope);
    case 'member':
      return then(evaluate(expr.object, scope), (object) => ok(element(object, expr.property)));
    case 'index':
      return then(evaluate(expr.object, scope), (object) => then(evaluate(expr.index, scope), (index) => ok(element(object, index))));
    case 'not':
      return then(evaluate(expr.operand, scope), (operand) => ok(!truthy(operand)));
    case 'binary':
      return binary(expr, scope);
    case 'call':
      return call(expr, scope);
  }
}

/** Concatenates the text parts with each expression's value as text, passed through `quote`. Offsets are into the whole string. */
export function renderTemplate(
  template: Template,
  scope: Scope,
  quote: (text: string) => string = (text) => text,
): Result<string, EvaluationError & { offset: number }> {
  let out = '';
  for (const part of template.parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const value = evaluate(part.expr, scope);
    if (!value.ok) return fail({ ...value.error, offset: part.offset + value.error.start });
    try {
      out += quote(toText(value.value));
    } catch (e) {
      if (!(e instanceof RangeError)) throw e; // longer than the longest string V8 can hold
      return fail({ message: 'the text is too long once its expressions are filled in', start: part.expr.start, end: part.expr.end, offset: part.offset + part.expr.start });
    }
  }
  return ok(out);
}

function then(result: Evaluated, next: (value: Value) => Evaluated): Evaluated {
  return result.ok ? next(result.value) : result;
}

function readContext(expr: ContextExpr, scope: Scope): Evaluated {
  if (Object.hasOwn(scope.contexts, expr.name)) return ok(scope.contexts[expr.name] ?? null);
  const known = Object.keys(scope.contexts).map((name) => `\`${name}\``).join(', ');
  return fail({ message: `unknown context \`${expr.name}\`; expressions here can read ${known || 'no contexts'}`, start: expr.start, end: expr.end });
}

/** Own keys only: `params.constructor` is null, not Object's constructor. */
function property(object: Value, name: string): Value {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return null;
  return Object.hasOwn(object, name) ? (object[name] ?? null) : null;
}

/**
 * `a.b`, `a['b']` and `a[0]` alike: arrays take a number (converted and floored, as GitHub does),
 * objects take a key; anything else gives null.
 */
function element(object: Value, index: Value): Value {
  if (index !== null && typeof index === 'object') return null;
  if (!Array.isArray(object)) return property(object, toText(index));
  const position = Math.floor(toNumber(index));
  return Number.isInteger(position) && position >= 0 ? (object[position] ?? null) : null;
}

function binary(expr: BinaryExpr, scope: Scope): Evaluated {
  const left = evaluate(expr.left, scope);
  if (!left.ok) return left;
  // && and || return an operand, not a boolean, and skip the right side when the left decides.
  if (expr.op === '&&' && !truthy(left.value)) return left;
  if (expr.op === '||' && truthy(left.value)) return left;
  const right = evaluate(expr.right, scope);
  if (!right.ok || expr.op === '&&' || expr.op === '||') return right;
  return ok(compare(expr.op, left.value, right.value));
}

function compare(op: '==' | '!=' | '<' | '<=' | '>' | '>=', left: Value, right: Value): boolean {
  switch (op) {
    case '==':
      return looseEquals(left, right);
    case '!=':
      return !looseEquals(left, right);
    case '<':
      return lessThan(left, right);
    case '<=':
      return lessThan(left, right) || looseEquals(left, right);
    case '>':
      return lessThan(right, left);
    case '>=':
      return lessThan(right, left) || looseEquals(left, right);
  }
}

function call(expr: CallExpr, scope: Scope): Evaluated {
  const spec = FUNCTIONS[expr.name];
  if (spec === undefined) return fail({ message: `unknown function \`${expr.name}()\``, start: expr.start, end: expr.end });
  const arity = expr.args.length;
  if (arity < spec.minArgs || arity > spec.maxArgs) {
    return fail({ message: `\`${expr.name}()\` takes ${describeArity(spec.minArgs, spec.maxArgs)}, not ${arity}`, start: expr.start, end: expr.end });
  }
  const args: Value[] = [];
  for (const arg of expr.args) {
    const value = evaluate(arg, scope);
    if (!value.ok) return value;
    args.push(value.value);
  }
  try {
    return IMPLEMENTATIONS[expr.name as FunctionName](args, expr, scope.status);
  } catch (e) {
    // Hostile values (fromJSON of text nested 100,000 deep, join or format of huge strings) overflow the stack or
    // the largest string V8 can hold: an error of this call, not an exception out of the compiler or the runner.
    if (!(e instanceof RangeError)) throw e;
    const why = /string length/i.test(e.message) ? 'the result would be too long' : 'the value is nested too deeply';
    return fail({ message: `\`${expr.name}()\`: ${why}`, start: expr.start, end: expr.end });
  }
}

function describeArity(min: number, max: number): string {
  if (min === max) return `${min} argument${min === 1 ? '' : 's'}`;
  if (max === Number.POSITIVE_INFINITY) return `at least ${min} argument${min === 1 ? '' : 's'}`;
  return `${min} to ${max} arguments`;
}
