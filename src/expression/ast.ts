/** A value an expression reads or produces: JSON, as in GitHub Actions. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

export type BinaryOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

/** `start` and `end` are 0-based offsets into the expression source (`end` exclusive). */
interface Span {
  start: number;
  end: number;
}

export interface LiteralExpr extends Span {
  kind: 'literal';
  value: Value;
}

/** A root name such as `params`, `matrix`, `run`, `env`, `needs`. */
export interface ContextExpr extends Span {
  kind: 'context';
  name: string;
}

/** `a.b`, or `a['b']` with a string literal. */
export interface MemberExpr extends Span {
  kind: 'member';
  object: Expr;
  property: string;
}

/** `a[0]`, or any computed index. */
export interface IndexExpr extends Span {
  kind: 'index';
  object: Expr;
  index: Expr;
}

export interface NotExpr extends Span {
  kind: 'not';
  operand: Expr;
}

export interface BinaryExpr extends Span {
  kind: 'binary';
  op: BinaryOperator;
  left: Expr;
  right: Expr;
}

export interface CallExpr extends Span {
  kind: 'call';
  name: string;
  args: Expr[];
}

export type Expr = LiteralExpr | ContextExpr | MemberExpr | IndexExpr | NotExpr | BinaryExpr | CallExpr;

/** The direct sub-expressions of a node, in source order, as a new array. */
export function children(expr: Expr): Expr[] {
  switch (expr.kind) {
    case 'literal':
    case 'context':
      return [];
    case 'member':
      return [expr.object];
    case 'index':
      return [expr.object, expr.index];
    case 'not':
      return [expr.operand];
    case 'binary':
      return [expr.left, expr.right];
    case 'call':
      return [...expr.args];
  }
}
