import type { Expr } from './ast.js';
import { parseExpression, type ExpressionError } from './parse.js';
import { fail, ok, type Result } from '../result.js';

export type TemplatePart =
  | { kind: 'text'; text: string }
  /** `offset`: where `source` (the text just after `${{`) begins in the whole string. */
  | { kind: 'expr'; source: string; expr: Expr; offset: number };

export type ExpressionPart = Extract<TemplatePart, { kind: 'expr' }>;

export interface Template {
  readonly parts: readonly TemplatePart[];
}

const OPEN = '${{';
const CLOSE = '}}';

/** Quick check before parsing: does this string hold any `${{`? */
export function hasExpressions(text: string): boolean {
  return text.includes(OPEN);
}

/**
 * Parsed templates by their text. Every instance of a matrix task has the same `run:`, `env:` and paths: a
 * 1,000-instance task parses them once, not a thousand times (~15 ms of compiling it). Bounded: hostile input
 * can hold any number of distinct texts.
 */
const parsed = new Map<string, Result<Template, ExpressionError>>();
const PARSED_KEPT = 1024;

/**
 * Splits a string into text and `${{ … }}` parts. Error offsets are relative to the whole `text`. The result
 * may be shared with other callers of the same text: read it, never change it.
 */
export function parseTemplate(text: string): Result<Template, ExpressionError> {
  let template = parsed.get(text);
  if (template === undefined) {
    template = parseAnew(text);
    if (parsed.size >= PARSED_KEPT) parsed.clear();
    parsed.set(text, template);
  }
  return template;
}

function parseAnew(text: string): Result<Template, ExpressionError> {
  const parts: TemplatePart[] = [];
  let at = 0;
  for (let open = text.indexOf(OPEN); open !== -1; open = text.indexOf(OPEN, at)) {
    if (open > at) parts.push({ kind: 'text', text: text.slice(at, open) });
    const part = parseEmbedded(text, open);
    if (!part.ok) return part;
    parts.push(part.value);
    at = part.value.offset + part.value.source.length + CLOSE.length;
  }
  if (at < text.length) parts.push({ kind: 'text', text: text.slice(at) });
  return ok({ parts });
}

/**
 * The part when the template is exactly one `${{ … }}` with only whitespace around it,
 * so the value keeps its type (a list stays a list); undefined otherwise.
 */
export function isSingleExpression(template: Template): ExpressionPart | undefined {
  const exprs = template.parts.filter((part): part is ExpressionPart => part.kind === 'expr');
  const onlyWhitespace = template.parts.every((part) => part.kind === 'expr' || part.text.trim() === '');
  return exprs.length === 1 && onlyWhitespace ? exprs[0] : undefined;
}

function parseEmbedded(text: string, open: number): Result<ExpressionPart, ExpressionError> {
  const offset = open + OPEN.length;
  const close = findClose(text, offset);
  if (close === undefined) return unclosed(text, open);
  const source = text.slice(offset, close);
  const expr = parseExpression(source, (at) => columnIn(text, offset + at));
  if (!expr.ok) return fail({ ...expr.error, offset: offset + expr.error.offset });
  return ok({ kind: 'expr', source, expr: expr.value, offset });
}

/** The first `}}` that is not inside a single-quoted string, so `format('{0}}}', x)` stays whole. */
function findClose(text: string, from: number): number | undefined {
  let quoted = false;
  for (let at = from; at < text.length; at++) {
    if (text[at] === "'") quoted = !quoted;
    else if (!quoted && text.startsWith(CLOSE, at)) return at;
  }
  return undefined;
}

/** When an unterminated string swallowed the `}}`, say so rather than "never closed". */
function unclosed(text: string, open: number): { ok: false; error: ExpressionError } {
  const offset = open + OPEN.length;
  const naiveClose = text.indexOf(CLOSE, offset);
  if (naiveClose !== -1) {
    const parsed = parseExpression(text.slice(offset, naiveClose), (at) => columnIn(text, offset + at));
    if (!parsed.ok) return fail({ ...parsed.error, offset: offset + parsed.error.offset });
  }
  return fail({ message: '`${{` is never closed; expected `}}`', offset: open, length: OPEN.length });
}

/** 1-based column of `offset` within its line, for messages that mention another place in the string. */
function columnIn(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1) + 1;
}
