import type { BinaryOperator, Expr } from './ast.js';
import { children } from './ast.js';
import { lex, type Punctuation, type Token } from './lex.js';
import { canonicalFunctionName } from './references.js';
import { fail, ok, type Result } from '../result.js';

/** A syntax error; `offset` and `length` select the offending text in the parsed string. */
export interface ExpressionError {
  message: string;
  offset: number;
  length: number;
}

/** Deeper expressions are rejected, so every recursive walk over an Expr is safe from stack overflow. */
export const MAX_DEPTH = 100;
export const MAX_LENGTH = 10_000;

type Parsed = Result<Expr, ExpressionError>;

/** Loosest first; each level's operands are parsed at the next level. */
const LEVELS: readonly (readonly BinaryOperator[])[] = [['||'], ['&&'], ['==', '!='], ['<', '<=', '>', '>=']];
const KEYWORDS: ReadonlyMap<string, null | boolean> = new Map([
  ['null', null],
  ['true', true],
  ['false', false],
]);
const WORD_OPERATORS: ReadonlyMap<string, string> = new Map([
  ['and', '&&'],
  ['or', '||'],
  ['not', '!'],
]);

/**
 * Parses one expression (the text between `${{` and `}}`, or a bare `if:` condition).
 * `columnOf` turns an offset into the column shown in messages ("to close `(` at column 4");
 * parseTemplate passes one that counts within the whole string.
 */
export function parseExpression(source: string, columnOf: (offset: number) => number = (offset) => offset + 1): Parsed {
  if (source.length > MAX_LENGTH) {
    return fail({ message: `expression is too long (${source.length} characters; the limit is ${MAX_LENGTH})`, offset: 0, length: source.length });
  }
  if (source.trim() === '') return fail({ message: 'empty expression', offset: 0, length: source.length });
  const parser = new Parser(source, lex(source), columnOf);
  const expr = parser.whole();
  return expr.ok ? checkDepth(expr.value) : expr;
}

class Parser {
  private at = 0;
  private nesting = 0;
  /** Where a parenthesised node really starts and ends, so `(a) == b` spans from the `(`. */
  private readonly outer = new WeakMap<Expr, { start: number; end: number }>();

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
    private readonly columnOf: (offset: number) => number,
  ) {}

  whole(): Parsed {
    const expr = this.expression();
    if (!expr.ok) return expr;
    const token = this.peek();
    return token.kind === 'end' ? expr : this.unexpected(token, trailingHint(token));
  }

  private expression(): Parsed {
    return this.binary(0);
  }

  private binary(level: number): Parsed {
    const operators = LEVELS[level];
    if (operators === undefined) return this.unary();
    let left = this.binary(level + 1);
    for (let token = this.peek(); left.ok && isOneOf(token, operators); token = this.peek()) {
      this.at++;
      const right = this.binary(level + 1);
      if (!right.ok) return right;
      const start = this.extent(left.value).start;
      left = ok({ kind: 'binary', op: token.text as BinaryOperator, left: left.value, right: right.value, start, end: this.extent(right.value).end });
    }
    return left;
  }

  private unary(): Parsed {
    const token = this.peek();
    if (!isPunctuation(token, '!')) return this.postfix();
    return this.nested(token, () => {
      this.at++;
      const operand = this.unary();
      return operand.ok ? ok({ kind: 'not', operand: operand.value, start: token.start, end: this.extent(operand.value).end }) : operand;
    });
  }

  private postfix(): Parsed {
    const start = this.peek().start;
    let object = this.primary();
    while (object.ok) {
      const token = this.peek();
      const target = object.value;
      if (isPunctuation(token, '.')) object = this.property(target, start);
      else if (isPunctuation(token, '[')) object = this.nested(token, () => this.index(target, start));
      else if (isPunctuation(token, '(')) return this.failAt(token, 'unexpected `(` — only functions such as `contains(a, b)` can be called');
      else return object;
    }
    return object;
  }

  private property(object: Expr, start: number): Parsed {
    this.at++;
    const name = this.peek();
    if (name.kind !== 'identifier') return this.unexpected(name, 'expected a property name after `.`');
    this.at++;
    return ok({ kind: 'member', object, property: name.text, start, end: name.end });
  }

  private index(object: Expr, start: number): Parsed {
    const open = this.advance();
    const index = this.expression();
    if (!index.ok) return index;
    const close = this.close(open, ']', '[');
    if (!close.ok) return close;
    const end = close.value.end;
    const { value } = index;
    // `a['b']` is the same access as `a.b`, so static analysis sees one shape.
    if (value.kind === 'literal' && typeof value.value === 'string') return ok({ kind: 'member', object, property: value.value, start, end });
    return ok({ kind: 'index', object, index: value, start, end });
  }

  private primary(): Parsed {
    const token = this.peek();
    switch (token.kind) {
      case 'number':
      case 'string':
        this.at++;
        return ok({ kind: 'literal', value: token.value, start: token.start, end: token.end });
      case 'identifier':
        return this.name(token);
      case 'punctuation':
        return token.text === '(' ? this.nested(token, () => this.group()) : this.unexpected(token, 'expected a value');
      default:
        return this.unexpected(token, 'expected a value');
    }
  }

  private name(token: Token & { kind: 'identifier' }): Parsed {
    this.at++;
    const keyword = KEYWORDS.get(token.text);
    if (keyword !== undefined) return ok({ kind: 'literal', value: keyword, start: token.start, end: token.end });
    const open = this.peek();
    if (!isPunctuation(open, '(')) return ok({ kind: 'context', name: token.text, start: token.start, end: token.end });
    return this.nested(open, () => this.call(token));
  }

  private call(name: Token & { kind: 'identifier' }): Parsed {
    this.at++;
    const args = isPunctuation(this.peek(), ')') ? ok([]) : this.arguments();
    if (!args.ok) return args;
    const close = this.peek();
    if (!isPunctuation(close, ')')) return this.closeError(close, name.start, `\`,\` or \`)\` to close \`${name.text}(\``);
    this.at++;
    return ok({ kind: 'call', name: canonicalFunctionName(name.text), args: args.value, start: name.start, end: close.end });
  }

  private arguments(): Result<Expr[], ExpressionError> {
    const args: Expr[] = [];
    for (;;) {
      const arg = this.expression();
      if (!arg.ok) return arg;
      args.push(arg.value);
      if (!isPunctuation(this.peek(), ',')) return ok(args);
      this.at++;
    }
  }

  private group(): Parsed {
    const open = this.advance();
    const inner = this.expression();
    if (!inner.ok) return inner;
    const close = this.close(open, ')', '(');
    if (!close.ok) return close;
    this.outer.set(inner.value, { start: open.start, end: close.value.end });
    return inner;
  }

  /** Counts brackets and `!` as they nest, so the parser's own recursion stays bounded. */
  private nested(token: Token, parse: () => Parsed): Parsed {
    if (this.nesting >= MAX_DEPTH) return this.failAt(token, tooDeep());
    this.nesting++;
    const parsed = parse();
    this.nesting--;
    return parsed;
  }

  private close(open: Token, close: Punctuation, opener: string): Result<Token, ExpressionError> {
    const token = this.peek();
    if (!isPunctuation(token, close)) return this.closeError(token, open.start, `\`${close}\` to close \`${opener}\``);
    this.at++;
    return ok(token);
  }

  private closeError(token: Token, openedAt: number, expected: string): { ok: false; error: ExpressionError } {
    const expectation = `expected ${expected} at column ${this.columnOf(openedAt)}`;
    if (token.kind === 'end') return this.failAt(token, expectation);
    return this.unexpected(token, expectation);
  }

  private unexpected(token: Token, expectation: string): { ok: false; error: ExpressionError } {
    if (token.kind === 'error') return this.failAt(token, token.message);
    if (token.kind === 'end') return this.failAt(token, `unexpected end of expression — ${expectation}`);
    return this.failAt(token, `unexpected ${this.describe(token)} — ${expectation}`);
  }

  private failAt(token: Token, message: string): { ok: false; error: ExpressionError } {
    return fail({ message, offset: token.start, length: token.end - token.start });
  }

  private describe(token: Token): string {
    const text = this.source.slice(token.start, token.end);
    return `\`${text.length > 30 ? `${text.slice(0, 27)}...` : text}\``;
  }

  private extent(expr: Expr): { start: number; end: number } {
    return this.outer.get(expr) ?? expr;
  }

  private peek(): Token {
    return this.tokens[this.at] ?? END;
  }

  private advance(): Token {
    const token = this.peek();
    this.at++;
    return token;
  }
}

/** Never reached: the lexer always ends the token list with `end` or `error`. */
const END: Token = { kind: 'end', start: 0, end: 0 };

function isPunctuation(token: Token, text: Punctuation): boolean {
  return token.kind === 'punctuation' && token.text === text;
}

function isOneOf(token: Token, operators: readonly string[]): token is Token & { kind: 'punctuation' } {
  return token.kind === 'punctuation' && operators.includes(token.text);
}

function trailingHint(token: Token): string {
  if (isPunctuation(token, ')')) return 'there is no `(` for it to close';
  if (isPunctuation(token, ']')) return 'there is no `[` for it to close';
  const operator = token.kind === 'identifier' ? WORD_OPERATORS.get(token.text.toLowerCase()) : undefined;
  if (operator !== undefined) return `did you mean \`${operator}\`?`;
  return 'expected an operator or the end of the expression';
}

function tooDeep(): string {
  return `expression is nested too deeply (more than ${MAX_DEPTH} levels)`;
}

/** Long `a || b || …` chains nest without brackets, so the tree's depth is checked once it is built. */
function checkDepth(root: Expr): Parsed {
  const pending: [Expr, number][] = [[root, 1]];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const [expr, depth] = item;
    if (depth > MAX_DEPTH) return fail({ message: tooDeep(), offset: expr.start, length: expr.end - expr.start });
    // Reversed, so the first too-deep node found is the leftmost one.
    for (const child of children(expr).reverse()) pending.push([child, depth + 1]);
  }
  return ok(root);
}
