import type { BinaryOperator, Expr, Value } from './ast.js';

/** Binding strength, loosest first; postfix and primary expressions bind tightest. */
const PRECEDENCE: Readonly<Record<BinaryOperator | 'not' | 'postfix', number>> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  not: 5,
  postfix: 6,
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const KEYWORDS = new Set(['null', 'true', 'false']);

/**
 * Canonical source for an expression: single spaces around operators, `a.b` where the name allows,
 * only the parentheses precedence needs. Parsing the output gives the same tree, for any tree the parser
 * can make (a hand-built `index` with a string literal reads back as the equivalent `member`).
 */
export function print(expr: Expr): string {
  switch (expr.kind) {
    case 'literal':
      return printValue(expr.value);
    case 'context':
      return printName(expr.name);
    case 'member':
      return `${printObject(expr.object)}${IDENTIFIER.test(expr.property) ? `.${expr.property}` : `[${quote(expr.property)}]`}`;
    case 'index':
      return `${printObject(expr.object)}[${print(expr.index)}]`;
    case 'not':
      return `!${printOperand(expr.operand, PRECEDENCE.not)}`;
    case 'binary':
      return printBinary(expr.op, expr.left, expr.right);
    case 'call':
      return `${printName(expr.name)}(${expr.args.map(print).join(', ')})`;
  }
}

function printBinary(op: BinaryOperator, left: Expr, right: Expr): string {
  const precedence = PRECEDENCE[op];
  // Operators associate to the left, so a right operand at the same level needs parentheses.
  return `${printOperand(left, precedence)} ${op} ${printOperand(right, precedence + 1)}`;
}

function printOperand(expr: Expr, minimum: number): string {
  return precedenceOf(expr) < minimum ? `(${print(expr)})` : print(expr);
}

/** `1.x` would lex as a (bad) number, so numbers get parentheses before `.` and `[` too. */
function printObject(expr: Expr): string {
  const isNumber = expr.kind === 'literal' && typeof expr.value === 'number';
  return isNumber ? `(${print(expr)})` : printOperand(expr, PRECEDENCE.postfix);
}

function precedenceOf(expr: Expr): number {
  if (expr.kind === 'binary') return PRECEDENCE[expr.op];
  return expr.kind === 'not' ? PRECEDENCE.not : PRECEDENCE.postfix;
}

function printValue(value: Value): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return printNumber(value);
  if (typeof value === 'string') return quote(value);
  // The grammar has no list or object literals; the parser never makes these, but hand-built trees may.
  return `fromJSON(${quote(JSON.stringify(value))})`;
}

function printNumber(n: number): string {
  if (Number.isNaN(n)) throw new Error('print: NaN has no source form');
  if (!Number.isFinite(n)) return n > 0 ? '1e999' : '-1e999';
  return Object.is(n, -0) ? '-0' : String(n);
}

function printName(name: string): string {
  if (!IDENTIFIER.test(name) || KEYWORDS.has(name)) throw new Error(`print: \`${name}\` is not a valid name`);
  return name;
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
