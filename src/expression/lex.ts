export type Punctuation = '(' | ')' | '[' | ']' | ',' | '.' | '!' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

interface Span {
  start: number;
  end: number;
}

export type Token =
  | (Span & { kind: 'punctuation'; text: Punctuation })
  | (Span & { kind: 'number'; value: number; text: string })
  | (Span & { kind: 'string'; value: string })
  | (Span & { kind: 'identifier'; text: string })
  | (Span & { kind: 'end' })
  /** Lexing stops at the first error; the parser reports it when it gets there, so errors come in source order. */
  | (Span & { kind: 'error'; message: string });

const TWO_CHAR = new Set<string>(['==', '!=', '<=', '>=', '&&', '||']);
const ONE_CHAR = new Set<string>(['(', ')', '[', ']', ',', '!', '<', '>']);

/** Characters that end a number or a bad word, as in GitHub's lexer (plus quotes, for better messages). */
const BOUNDARY = /[\s()[\],.!<>=&|'"]/;
const IDENTIFIER_START = /[A-Za-z_]/;
const IDENTIFIER_PART = /[A-Za-z0-9_-]/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const OCTAL = /^0o[0-7]+$/;

/** Splits an expression into tokens; the last one is `end` or `error`. */
export function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let at = skipWhitespace(source, 0);
  while (at < source.length) {
    const token = next(source, at, tokens[tokens.length - 1]);
    tokens.push(token);
    if (token.kind === 'error') return tokens;
    at = skipWhitespace(source, token.end);
  }
  // Just after the last token, not after trailing spaces, so "unexpected end" points where something is missing.
  const end = tokens[tokens.length - 1]?.end ?? source.length;
  tokens.push({ kind: 'end', start: end, end });
  return tokens;
}

/**
 * A number as GitHub reads one, from a literal or when a string is compared with a number:
 * decimal with optional sign and exponent, `0x` hex, `0o` octal, `Infinity`. NaN when it is none of these.
 */
export function parseNumber(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return 0;
  if (DECIMAL.test(trimmed)) return Number(trimmed);
  if (HEX.test(trimmed)) return safeInteger(Number.parseInt(trimmed.slice(2), 16));
  if (OCTAL.test(trimmed)) return safeInteger(Number.parseInt(trimmed.slice(2), 8));
  if (trimmed === 'Infinity') return Number.POSITIVE_INFINITY;
  if (trimmed === '-Infinity') return Number.NEGATIVE_INFINITY;
  return Number.NaN;
}

function safeInteger(n: number): number {
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

function skipWhitespace(source: string, at: number): number {
  while (at < source.length && /\s/.test(source[at] ?? '')) at++;
  return at;
}

function next(source: string, at: number, previous: Token | undefined): Token {
  const c = source[at] ?? '';
  const pair = source.slice(at, at + 2);
  if (c === "'") return readString(source, at);
  if (/\d/.test(c) || c === '-') return readNumber(source, at);
  if (c === '.') return readDot(source, at, previous);
  if (IDENTIFIER_START.test(c)) return readIdentifier(source, at);
  const mistake = misusedOperator(source, at);
  if (mistake !== undefined) return mistake;
  if (TWO_CHAR.has(pair)) return { kind: 'punctuation', text: pair as Punctuation, start: at, end: at + 2 };
  if (ONE_CHAR.has(c)) return { kind: 'punctuation', text: c as Punctuation, start: at, end: at + 1 };
  return unexpectedCharacter(source, at);
}

function readString(source: string, start: number): Token {
  let value = '';
  let at = start + 1;
  while (at < source.length) {
    const c = source[at];
    if (c === "'" && source[at + 1] === "'") {
      value += "'";
      at += 2;
    } else if (c === "'") {
      return { kind: 'string', value, start, end: at + 1 };
    } else {
      value += c;
      at++;
    }
  }
  return error('unterminated string', start, source.length);
}

function readNumber(source: string, start: number): Token {
  let end = start + 1;
  while (end < source.length && (source[end] === '.' || !BOUNDARY.test(source[end] ?? ''))) end++;
  const text = source.slice(start, end);
  const value = parseNumber(text);
  if (!Number.isNaN(value)) return { kind: 'number', value, text, start, end };
  if (text.startsWith('-') && !/^-[\d.]/.test(text)) {
    return error('`-` is not an operator: expressions have no arithmetic (a negative number is written `-1`)', start, start + 1);
  }
  return error(`\`${text}\` is not a valid number`, start, end);
}

/** `.5` is a number, but `a.b` and `(x).b` are property accesses. */
function readDot(source: string, at: number, previous: Token | undefined): Token {
  if (source[at + 1] === '*') {
    return error('the `.*` object filter is not supported; use a property name or an index such as `[0]`', at, at + 2);
  }
  const afterValue = previous !== undefined && endsValue(previous);
  if (!afterValue && /\d/.test(source[at + 1] ?? '')) return readNumber(source, at);
  return { kind: 'punctuation', text: '.', start: at, end: at + 1 };
}

function endsValue(token: Token): boolean {
  if (token.kind === 'punctuation') return token.text === ')' || token.text === ']';
  return token.kind === 'number' || token.kind === 'string' || token.kind === 'identifier';
}

function readIdentifier(source: string, start: number): Token {
  let end = start + 1;
  while (end < source.length && IDENTIFIER_PART.test(source[end] ?? '')) end++;
  return { kind: 'identifier', text: source.slice(start, end), start, end };
}

/** Operators from other languages, with a pointer to what to write instead. */
function misusedOperator(source: string, at: number): Token | undefined {
  const three = source.slice(at, at + 3);
  if (three === '===' || three === '!==') {
    return error(`\`${three}\` is not an operator; use \`${three.slice(0, 2)}\` (it compares loosely)`, at, at + 3);
  }
  if (three === '${{') return error('`${{` cannot appear inside an expression', at, at + 3);
  const c = source[at] ?? '';
  const pair = source.slice(at, at + 2);
  if (c === '=' && pair !== '==') return error('`=` is not an operator; did you mean `==`?', at, at + 1);
  if (c === '&' && pair !== '&&') return error('`&` is not an operator; did you mean `&&`?', at, at + 1);
  if (c === '|' && pair !== '||') return error('`|` is not an operator; did you mean `||`?', at, at + 1);
  if (c === '"') return error("strings use single quotes: 'like this'", at, at + 1);
  if ('+*/%'.includes(c)) return error(`\`${c}\` is not an operator: expressions have no arithmetic (use \`format()\` to build strings)`, at, at + 1);
  if (c === '?') return error('`?` is not an operator; write `condition && a || b` instead of `condition ? a : b`', at, at + 1);
  return undefined;
}

function unexpectedCharacter(source: string, at: number): Token {
  const c = String.fromCodePoint(source.codePointAt(at) ?? 0);
  const shown = /[\p{L}\p{N}\p{P}\p{S}]/u.test(c) ? `\`${c}\`` : `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return error(`unexpected character ${shown}`, at, at + c.length);
}

function error(message: string, start: number, end: number): Token {
  return { kind: 'error', message, start, end };
}
