import type { Expr, Value } from '../expression/ast.js';
import { evaluate, toText } from '../expression/evaluate.js';
import { references } from '../expression/references.js';
import { isSingleExpression, parseTemplate } from '../expression/template.js';
import { FUNCTIONS } from '../expression/references.js';
import { fail, ok, type Result } from '../result.js';
import type { Part } from './graph.js';

export type Contexts = Readonly<Record<string, Value>>;

/** Where in the string the problem is, so the caller can point at the exact column. */
export interface SubstitutionError {
  message: string;
  offset: number;
}

/** True when an expression can only be evaluated once the task is about to start. */
export function isRuntime(expr: Expr): boolean {
  const readsRuntime = references(expr).some(
    ({ path }) => path[0] === 'needs' || (path[0] === 'run' && path[1] === 'attempt'),
  );
  return readsRuntime || callsStatusFunction(expr);
}

function callsStatusFunction(expr: Expr): boolean {
  switch (expr.kind) {
    case 'call':
      return FUNCTIONS[expr.name]?.statusOnly === true || expr.args.some(callsStatusFunction);
    case 'member':
      return callsStatusFunction(expr.object);
    case 'index':
      return callsStatusFunction(expr.object) || callsStatusFunction(expr.index);
    case 'not':
      return callsStatusFunction(expr.operand);
    case 'binary':
      return callsStatusFunction(expr.left) || callsStatusFunction(expr.right);
    default:
      return false;
  }
}

/**
 * Fills in every expression that compile-time contexts can answer; run-time ones stay as expression parts.
 * `quote` is applied to each substituted value (shell quoting for `run:`).
 */
export function substitute(
  text: string,
  contexts: Contexts,
  quote: (value: string) => string = (v) => v,
): Result<Part[], SubstitutionError> {
  const template = parseTemplate(text);
  if (!template.ok) return fail(template.error);
  const parts: Part[] = [];
  for (const part of template.value.parts) {
    if (part.kind === 'text') {
      push(parts, part.text);
    } else if (isRuntime(part.expr)) {
      parts.push({ expr: part.source.trim() });
    } else {
      const value = evaluate(part.expr, { contexts });
      if (!value.ok) return fail({ message: value.error.message, offset: part.offset + value.error.start });
      try {
        push(parts, quote(toText(value.value)));
      } catch (e) {
        // Thousands of references to a long param exceed the longest string V8 can hold: a diagnostic, not a crash.
        if (!(e instanceof RangeError)) throw e;
        return fail({ message: 'the text is too long once its expressions are filled in', offset: part.offset });
      }
    }
  }
  return ok(parts);
}

/** Like substitute, for text that must be fully known at compile time (paths, matrix values). */
export function substituteNow(text: string, contexts: Contexts): Result<string, SubstitutionError> {
  const parts = substitute(text, contexts);
  if (!parts.ok) return parts;
  const runtime = parts.value.find((p) => typeof p !== 'string');
  if (runtime !== undefined) {
    return fail({ message: 'this value must be known before the run starts; it cannot read `needs` or `run.attempt`', offset: 0 });
  }
  return ok(parts.value.join(''));
}

/** A whole-string `${{ … }}` keeps the expression's type (a list stays a list); anything else is text. */
export function evaluateValue(text: string, contexts: Contexts): Result<Value, SubstitutionError> {
  const template = parseTemplate(text);
  if (!template.ok) return fail(template.error);
  const single = isSingleExpression(template.value);
  if (single === undefined) return substituteNow(text, contexts);
  const value = evaluate(single.expr, { contexts });
  return value.ok ? ok(value.value) : fail({ message: value.error.message, offset: single.offset + value.error.start });
}

function push(parts: Part[], text: string): void {
  if (text === '') return;
  const last = parts[parts.length - 1];
  if (typeof last === 'string') parts[parts.length - 1] = last + text;
  else parts.push(text);
}
