import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, MAX_LENGTH, parseExpression } from '../../src/expression/parse.js';
import { bin, call, ctx, index, lit, member, not, parsed, shape } from './trees.js';

function errorOf(source: string) {
  const result = parseExpression(source);
  if (result.ok) throw new Error(`expected \`${source}\` to fail`);
  return result.error;
}

describe('parseExpression: literals', () => {
  it.each([
    ['null', null],
    ['true', true],
    ['false', false],
    ['0', 0],
    ['42', 42],
    ['-7', -7],
    ['3.25', 3.25],
    ['.5', 0.5],
    ['-.5', -0.5],
    ['1e3', 1000],
    ['1.5E-2', 0.015],
    ['2e+2', 200],
    ['0x1F', 31],
    ['0o17', 15],
    ["'hello'", 'hello'],
    ["''", ''],
    ["'it''s'", "it's"],
    ["''''", "'"],
    ["'a }} b'", 'a }} b'],
    ["'${{ x }}'", '${{ x }}'],
  ])('%s', (source, value) => {
    expect(shape(parsed(source))).toEqual(lit(value));
  });

  it('keeps -0 as negative zero', () => {
    expect(Object.is((parsed('-0') as { value: number }).value, -0)).toBe(true);
  });

  it('ignores surrounding whitespace, including newlines and tabs', () => {
    expect(shape(parsed('\n\t 1 \r\n'))).toEqual(lit(1));
  });
});

describe('parseExpression: names and access', () => {
  it('reads a bare identifier as a context, hyphens and underscores included', () => {
    expect(shape(parsed('params'))).toEqual(ctx('params'));
    expect(shape(parsed('needs.build-model.outputs._auc'))).toEqual(
      member(member(member(ctx('needs'), 'build-model'), 'outputs'), '_auc'),
    );
  });

  it("makes a['b'] the same member access as a.b", () => {
    expect(shape(parsed("matrix['model']"))).toEqual(member(ctx('matrix'), 'model'));
    expect(shape(parsed("a['x y']"))).toEqual(member(ctx('a'), 'x y'));
  });

  it('keeps numeric and computed indexes as index nodes', () => {
    expect(shape(parsed('a[0]'))).toEqual(index(ctx('a'), lit(0)));
    expect(shape(parsed('a[b.c]'))).toEqual(index(ctx('a'), member(ctx('b'), 'c')));
    expect(shape(parsed("a['b'].c[0]"))).toEqual(index(member(member(ctx('a'), 'b'), 'c'), lit(0)));
  });

  it('allows keywords as property names', () => {
    expect(shape(parsed('a.true.null'))).toEqual(member(member(ctx('a'), 'true'), 'null'));
  });

  it('allows access on any value, including parenthesised expressions and calls', () => {
    expect(shape(parsed('fromJSON(x).a[0]'))).toEqual(index(member(call('fromJSON', ctx('x')), 'a'), lit(0)));
    expect(shape(parsed('(a || b).c'))).toEqual(member(bin('||', ctx('a'), ctx('b')), 'c'));
  });

  it('reads an identifier followed by ( as a call, with whitespace allowed', () => {
    expect(shape(parsed('always()'))).toEqual(call('always'));
    expect(shape(parsed("contains (a, 'x')"))).toEqual(call('contains', ctx('a'), lit('x')));
    expect(shape(parsed('format(a, join(b), c)'))).toEqual(call('format', ctx('a'), call('join', ctx('b')), ctx('c')));
  });

  it('spells known functions the canonical way, since GitHub matches them case-insensitively', () => {
    expect(shape(parsed('toJson(a)'))).toEqual(call('toJSON', ctx('a')));
    expect(shape(parsed('STARTSWITH(a, b)'))).toEqual(call('startsWith', ctx('a'), ctx('b')));
    expect(shape(parsed('myFunction()'))).toEqual(call('myFunction'));
  });
});

describe('parseExpression: precedence', () => {
  it.each([
    ['a || b && c', bin('||', ctx('a'), bin('&&', ctx('b'), ctx('c')))],
    ['a && b || c', bin('||', bin('&&', ctx('a'), ctx('b')), ctx('c'))],
    ['a == b && c != d', bin('&&', bin('==', ctx('a'), ctx('b')), bin('!=', ctx('c'), ctx('d')))],
    ['a == b < c', bin('==', ctx('a'), bin('<', ctx('b'), ctx('c')))],
    ['a < b == c >= d', bin('==', bin('<', ctx('a'), ctx('b')), bin('>=', ctx('c'), ctx('d')))],
    ['!a == b', bin('==', not(ctx('a')), ctx('b'))],
    ['!a.b', not(member(ctx('a'), 'b'))],
    ['!!a', not(not(ctx('a')))],
    ['a || b || c', bin('||', bin('||', ctx('a'), ctx('b')), ctx('c'))],
    ['a == b == c', bin('==', bin('==', ctx('a'), ctx('b')), ctx('c'))],
    ['a <= b > c', bin('>', bin('<=', ctx('a'), ctx('b')), ctx('c'))],
    ['(a || b) && c', bin('&&', bin('||', ctx('a'), ctx('b')), ctx('c'))],
    ['!(a == b)', not(bin('==', ctx('a'), ctx('b')))],
  ])('%s', (source, tree) => {
    expect(shape(parsed(source))).toEqual(tree);
  });
});

describe('parseExpression: positions', () => {
  it('gives every node 0-based [start, end) offsets into the source', () => {
    const expr = parsed("  contains(params.x, 'a') && !b[0]");
    expect(expr).toMatchObject({
      kind: 'binary',
      start: 2,
      end: 34,
      left: { kind: 'call', start: 2, end: 25, args: [{ start: 11, end: 19, object: { start: 11, end: 17 } }, { start: 21, end: 24 }] },
      right: { kind: 'not', start: 29, end: 34, operand: { kind: 'index', start: 30, end: 34, index: { start: 32, end: 33 } } },
    });
  });

  it('spans parentheses when an operator or access covers them', () => {
    expect(parsed('(a) == b')).toMatchObject({ start: 0, end: 8, left: { start: 1, end: 2 } });
    expect(parsed('(a).b')).toMatchObject({ kind: 'member', start: 0, end: 5 });
  });
});

describe('parseExpression: errors', () => {
  it.each([
    ['', 'empty expression', 0, 0],
    ['   ', 'empty expression', 0, 3],
    [')', 'unexpected `)` — expected a value', 0, 1],
    ['a == )', 'unexpected `)` — expected a value', 5, 1],
    ['a ==', 'unexpected end of expression — expected a value', 4, 0],
    ['a ==   \n', 'unexpected end of expression — expected a value', 4, 0],
    ['(a  ', 'expected `)` to close `(` at column 1', 2, 0],
    ['!', 'unexpected end of expression — expected a value', 1, 0],
    ['(a', 'expected `)` to close `(` at column 1', 2, 0],
    ['x && (a || b', 'expected `)` to close `(` at column 6', 12, 0],
    ['(a b)', 'unexpected `b` — expected `)` to close `(` at column 1', 3, 1],
    ['a[0', 'expected `]` to close `[` at column 2', 3, 0],
    ['contains(a', 'expected `,` or `)` to close `contains(` at column 1', 10, 0],
    ['contains(a b)', 'unexpected `b` — expected `,` or `)` to close `contains(` at column 1', 11, 1],
    ['contains(a,)', 'unexpected `)` — expected a value', 11, 1],
    ["'abc", 'unterminated string', 0, 4],
    ["a == 'it''s", 'unterminated string', 5, 6],
    ['a = b', '`=` is not an operator; did you mean `==`?', 2, 1],
    ['a === b', '`===` is not an operator; use `==` (it compares loosely)', 2, 3],
    ['a !== b', '`!==` is not an operator; use `!=` (it compares loosely)', 2, 3],
    ['a & b', '`&` is not an operator; did you mean `&&`?', 2, 1],
    ['a | b', '`|` is not an operator; did you mean `||`?', 2, 1],
    ['"abc"', "strings use single quotes: 'like this'", 0, 1],
    ['a == "x"', "strings use single quotes: 'like this'", 5, 1],
    ['a + 1', '`+` is not an operator: expressions have no arithmetic (use `format()` to build strings)', 2, 1],
    ['a - 1', '`-` is not an operator: expressions have no arithmetic (a negative number is written `-1`)', 2, 1],
    ['a ? b : c', '`?` is not an operator; write `condition && a || b` instead of `condition ? a : b`', 2, 1],
    ['1-2', '`1-2` is not a valid number', 0, 3],
    ['1.2.3', '`1.2.3` is not a valid number', 0, 5],
    ['0xZZ', '`0xZZ` is not a valid number', 0, 4],
    ['a b', 'unexpected `b` — expected an operator or the end of the expression', 2, 1],
    ['a and b', 'unexpected `and` — did you mean `&&`?', 2, 3],
    ['a OR b', 'unexpected `OR` — did you mean `||`?', 2, 2],
    ['a)', 'unexpected `)` — there is no `(` for it to close', 1, 1],
    ['a]', 'unexpected `]` — there is no `[` for it to close', 1, 1],
    ['a.', 'unexpected end of expression — expected a property name after `.`', 2, 0],
    ['a.0', 'unexpected `0` — expected a property name after `.`', 2, 1],
    ['a.*', 'the `.*` object filter is not supported; use a property name or an index such as `[0]`', 1, 2],
    ['a.*.b', 'the `.*` object filter is not supported; use a property name or an index such as `[0]`', 1, 2],
    ['a.b(1)', 'unexpected `(` — only functions such as `contains(a, b)` can be called', 3, 1],
    ['true(1)', 'unexpected `(` — only functions such as `contains(a, b)` can be called', 4, 1],
    ['${{ a }}', '`${{` cannot appear inside an expression', 0, 3],
    ['a @ b', 'unexpected character `@`', 2, 1],
    ['a \u0007', 'unexpected character U+0007', 2, 1],
    ['a 😀', 'unexpected character `😀`', 2, 2],
  ])('%j', (source, message, offset, length) => {
    expect(errorOf(source)).toEqual({ message, offset, length });
  });

  it('reports the first problem in source order', () => {
    expect(errorOf('a b "x"').offset).toBe(2);
    expect(errorOf('(a = b').message).toBe('`=` is not an operator; did you mean `==`?');
  });

  it('counts columns with a caller-supplied function, for expressions embedded in longer text', () => {
    const result = parseExpression('(a', (offset) => offset + 41);
    expect(result).toEqual({ ok: false, error: { message: 'expected `)` to close `(` at column 41', offset: 2, length: 0 } });
  });
});

describe('parseExpression: limits', () => {
  it(`accepts ${MAX_DEPTH} levels of brackets and rejects one more`, () => {
    const nest = (n: number) => `${'('.repeat(n)}a${')'.repeat(n)}`;
    expect(parseExpression(nest(MAX_DEPTH)).ok).toBe(true);
    expect(errorOf(nest(MAX_DEPTH + 1))).toEqual({ message: 'expression is nested too deeply (more than 100 levels)', offset: MAX_DEPTH, length: 1 });
  });

  it('bounds nested calls, indexes and negations the same way', () => {
    expect(errorOf(`${'join('.repeat(200)}a${')'.repeat(200)}`).message).toMatch(/nested too deeply/);
    expect(errorOf(`a${'[a'.repeat(200)}${']'.repeat(200)}`).message).toMatch(/nested too deeply/);
    expect(parseExpression(`${'!'.repeat(MAX_DEPTH - 1)}a`).ok).toBe(true);
    expect(errorOf(`${'!'.repeat(MAX_DEPTH)}a`).message).toMatch(/nested too deeply/);
  });

  it('bounds the depth of long operator chains, which nest without brackets', () => {
    const chain = (n: number) => Array.from({ length: n }, () => 'a').join(' || ');
    expect(parseExpression(chain(MAX_DEPTH)).ok).toBe(true);
    expect(errorOf(chain(MAX_DEPTH + 1))).toEqual({ message: 'expression is nested too deeply (more than 100 levels)', offset: 0, length: 1 });
  });

  it('fails with an error rather than overflowing the stack on extreme input', () => {
    for (const source of ['('.repeat(9_000), '!'.repeat(9_000), '['.repeat(9_000), 'a' + '[0]'.repeat(3_000), 'f('.repeat(4_000)]) {
      expect(parseExpression(source).ok).toBe(false);
    }
  });

  it(`accepts ${MAX_LENGTH} characters and rejects longer expressions`, () => {
    expect(parseExpression('a'.repeat(MAX_LENGTH)).ok).toBe(true);
    expect(errorOf(`'${'x'.repeat(MAX_LENGTH)}'`)).toEqual({
      message: 'expression is too long (10002 characters; the limit is 10000)',
      offset: 0,
      length: MAX_LENGTH + 2,
    });
  });
});

describe('parseExpression: robustness', () => {
  const TOKENS = [
    '(', ')', '[', ']', ',', '.', '!', '==', '!=', '<', '<=', '>', '>=', '&&', '||', '=', '&', '|', '*', '"', "'", "''",
    "'s'", 'a', 'params', 'true', 'null', '0', '-1', '1.5', '0x1f', 'contains', 'format', '${{', '}}', '-', ' ', '\n',
  ];

  it('never throws on arbitrary text, and errors always point inside it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (source) => {
        const result = parseExpression(source);
        if (!result.ok) expect(result.error.offset + result.error.length).toBeLessThanOrEqual(source.length);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never throws on soups of real tokens', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }), fc.boolean(), (tokens, spaced) => {
        const source = tokens.join(spaced ? ' ' : '');
        const result = parseExpression(source);
        if (!result.ok) {
          expect(result.error.offset).toBeGreaterThanOrEqual(0);
          expect(result.error.offset + result.error.length).toBeLessThanOrEqual(source.length);
          expect(result.error.message).not.toBe('');
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
