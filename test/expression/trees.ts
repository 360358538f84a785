import type { Expr } from '../../src/expression/ast.js';
import { parseExpression } from '../../src/expression/parse.js';

/** An expression tree without source positions, for comparing shapes. */
export type Shape =
  | { kind: 'literal'; value: unknown }
  | { kind: 'context'; name: string }
  | { kind: 'member'; object: Shape; property: string }
  | { kind: 'index'; object: Shape; index: Shape }
  | { kind: 'not'; operand: Shape }
  | { kind: 'binary'; op: string; left: Shape; right: Shape }
  | { kind: 'call'; name: string; args: Shape[] };

export function shape(expr: Expr): Shape {
  switch (expr.kind) {
    case 'literal':
      return { kind: 'literal', value: expr.value };
    case 'context':
      return { kind: 'context', name: expr.name };
    case 'member':
      return { kind: 'member', object: shape(expr.object), property: expr.property };
    case 'index':
      return { kind: 'index', object: shape(expr.object), index: shape(expr.index) };
    case 'not':
      return { kind: 'not', operand: shape(expr.operand) };
    case 'binary':
      return { kind: 'binary', op: expr.op, left: shape(expr.left), right: shape(expr.right) };
    case 'call':
      return { kind: 'call', name: expr.name, args: expr.args.map(shape) };
  }
}

/** Parses source that the test expects to be valid. */
export function parsed(source: string): Expr {
  const result = parseExpression(source);
  if (!result.ok) throw new Error(`expected \`${source}\` to parse: ${result.error.message}`);
  return result.value;
}

/** A compact notation for trees: `or(ctx('a'), lit(1))`. */
export const lit = (value: unknown): Shape => ({ kind: 'literal', value });
export const ctx = (name: string): Shape => ({ kind: 'context', name });
export const member = (object: Shape, property: string): Shape => ({ kind: 'member', object, property });
export const index = (object: Shape, i: Shape): Shape => ({ kind: 'index', object, index: i });
export const not = (operand: Shape): Shape => ({ kind: 'not', operand });
export const bin = (op: string, left: Shape, right: Shape): Shape => ({ kind: 'binary', op, left, right });
export const call = (name: string, ...args: Shape[]): Shape => ({ kind: 'call', name, args });
