import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BinaryOperator, Expr, Value } from '../../src/expression/ast.js';
import { parseExpression } from '../../src/expression/parse.js';
import { print } from '../../src/expression/print.js';
import { parsed, shape } from './trees.js';

const canonical = (source: string) => print(parsed(source));

describe('print', () => {
  it('writes canonical source: single spaces, minimal parentheses', () => {
    expect(canonical("  contains( params.models,matrix.model )&&!env.CI||  'x'")).toBe("contains(params.models, matrix.model) && !env.CI || 'x'");
    expect(canonical('((a || b)) && (c)')).toBe('(a || b) && c');
    expect(canonical('a || (b || c)')).toBe('a || (b || c)');
    expect(canonical('(a || b) || c')).toBe('a || b || c');
    expect(canonical('(a == b) == c')).toBe('a == b == c');
    expect(canonical('a == (b == c)')).toBe('a == (b == c)');
    expect(canonical('!(a == b)')).toBe('!(a == b)');
    expect(canonical('(!a).b')).toBe('(!a).b');
    expect(canonical('(a && b)[0]')).toBe('(a && b)[0]');
  });

  it('writes literals so they read back the same', () => {
    expect(canonical("'it''s'")).toBe("'it''s'");
    expect(canonical('0x10')).toBe('16');
    expect(canonical('-0')).toBe('-0');
    expect(canonical('1e999')).toBe('1e999');
    expect(canonical('(1).x')).toBe('(1).x');
    expect(canonical('toJson(null)')).toBe('toJSON(null)');
  });

  it('uses dot access where the name allows, and brackets otherwise', () => {
    expect(canonical("a['b']['c d']['it''s'].true")).toBe("a.b['c d']['it''s'].true");
    expect(canonical("a['0']")).toBe("a['0']");
  });

  it('writes hand-built list and object literals through fromJSON', () => {
    const expr: Expr = { kind: 'literal', value: { a: [1, "it's"] }, start: 0, end: 0 };
    expect(print(expr)).toBe(`fromJSON('{"a":[1,"it''s"]}')`);
  });
});

/** Expressions built without source positions; the parser's canonical shapes only (`a['b']` is always a member). */
function arbitraryExpr(): fc.Arbitrary<Expr> {
  const at = { start: 0, end: 0 };
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,6}$/).filter((n) => !['null', 'true', 'false'].includes(n));
  const literal: fc.Arbitrary<Expr> = fc
    .oneof(fc.constant(null), fc.boolean(), fc.double({ noNaN: true }), fc.integer(), fc.string({ maxLength: 8 }))
    .map((value: Value) => ({ kind: 'literal', value, ...at }));
  const context: fc.Arbitrary<Expr> = name.map((n) => ({ kind: 'context', name: n, ...at }));
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      literal,
      context,
      fc.record({ kind: fc.constant('member' as const), object: tie('expr'), property: fc.string({ maxLength: 6 }) }).map((e) => ({ ...e, ...at })),
      fc
        .record({ kind: fc.constant('index' as const), object: tie('expr'), index: tie('expr') })
        .filter((e) => !(e.index.kind === 'literal' && typeof e.index.value === 'string'))
        .map((e) => ({ ...e, ...at })),
      fc.record({ kind: fc.constant('not' as const), operand: tie('expr') }).map((e) => ({ ...e, ...at })),
      fc
        .record({
          kind: fc.constant('binary' as const),
          op: fc.constantFrom<BinaryOperator>('==', '!=', '<', '<=', '>', '>=', '&&', '||'),
          left: tie('expr'),
          right: tie('expr'),
        })
        .map((e) => ({ ...e, ...at })),
      fc
        .record({ kind: fc.constant('call' as const), name: fc.constantFrom('contains', 'format', 'join', 'always', 'custom-fn'), args: fc.array(tie('expr'), { maxLength: 3 }) })
        .map((e) => ({ ...e, ...at })),
    ),
  }));
  return expr;
}

describe('print: round trip', () => {
  it('parses back to the same tree for any expression', () => {
    fc.assert(
      fc.property(arbitraryExpr(), (expr) => {
        const source = print(expr);
        const reparsed = parseExpression(source);
        if (!reparsed.ok) throw new Error(`${source}: ${reparsed.error.message}`);
        expect(shape(reparsed.value)).toEqual(shape(expr));
      }),
      { numRuns: 2_000 },
    );
  });

  it('is a fixed point: printing what was parsed from printed source changes nothing', () => {
    fc.assert(
      fc.property(arbitraryExpr(), (expr) => {
        const once = print(expr);
        expect(print(parsed(once))).toBe(once);
      }),
      { numRuns: 500 },
    );
  });
});
