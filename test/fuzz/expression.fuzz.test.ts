/**
 * Fuzzing the expression language beyond test/expression/*: arbitrary Unicode text mixed with real tokens,
 * parsed and then evaluated against arbitrary contexts (JSON values, prototype-ish keys, deep values), and whole
 * templates rendered with the real shell quoting. Nothing may throw, and every case is bounded in time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/expression/ast.js';
import { evaluate, renderTemplate, type Scope } from '../../src/expression/evaluate.js';
import { parseExpression } from '../../src/expression/parse.js';
import { parseTemplate } from '../../src/expression/template.js';
import { shellQuote } from '../../src/compile/shell-quote.js';

const TIME_BOUND_MS = 2_000;
const TOKENS = [
  '(', ')', '[', ']', ',', '.', '!', '==', '!=', '<', '<=', '>', '>=', '&&', '||', "'", "''", '"', '*', '${{', '}}', '{0}',
  'params', 'matrix', 'needs', 'env', 'run', 'x', '__proto__', 'constructor', 'prototype', 'toString', 'length',
  'contains', 'startsWith', 'endsWith', 'format', 'join', 'toJSON', 'fromJSON', 'success', 'failure', 'always', 'cancelled', 'hashFiles',
  'true', 'false', 'null', 'NaN', 'Infinity', '0', '-0', '1e308', '1e309', '0x7fffffff', '-9007199254740993', "'{0}{1}'", "'[1,{\"a\":2}]'",
];

const keyish = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'x', 'a', '0', ''), fc.string({ maxLength: 4 }));
const value: fc.Arbitrary<Value> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 8 }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(keyish, tie('v'), { maxKeys: 3 }),
  ),
})).v as fc.Arbitrary<Value>;

const scope: fc.Arbitrary<Scope> = fc.record({
  contexts: fc.record({ params: value, matrix: value, needs: value, env: value, run: value }),
  status: fc.option(fc.record({ success: fc.boolean(), failure: fc.boolean(), cancelled: fc.boolean() }), { nil: undefined }),
});

const source = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 30 }).map((t) => t.join(' ')),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }).map((t) => t.join('')),
);

function timed<T>(f: () => T): T {
  const started = performance.now();
  const result = f();
  expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS);
  return result;
}

describe('fuzz: expressions', () => {
  it('arbitrary text through the parser and, when it parses, the evaluator, against arbitrary contexts: never throws', () => {
    fc.assert(
      fc.property(source, scope, (text, where) =>
        timed(() => {
          const parsed = parseExpression(text);
          if (!parsed.ok) return;
          const result = evaluate(parsed.value, where);
          if (!result.ok) expect(typeof result.error.message).toBe('string');
        }),
      ),
      { numRuns: 3_000 },
    );
  });

  it('arbitrary templates render with shell quoting or give an error with an offset inside the text: never throws', () => {
    const template = fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), source.map((s) => `\${{ ${s} }}`), fc.constantFrom('${{', '}}', "'", '\n')), { maxLength: 6 }).map((p) => p.join(''));
    fc.assert(
      fc.property(template, scope, (text, where) =>
        timed(() => {
          const parsed = parseTemplate(text);
          if (!parsed.ok) return;
          const rendered = renderTemplate(parsed.value, where, shellQuote);
          if (!rendered.ok) {
            expect(rendered.error.offset).toBeGreaterThanOrEqual(0);
            expect(rendered.error.offset).toBeLessThanOrEqual(text.length);
          }
        }),
      ),
      { numRuns: 1_500 },
    );
  });

  it('deep and huge values from contexts (fromJSON of 100,000 nested lists, toJSON of them, huge joins and templates) are values or errors, not exceptions (bug found here, fixed)', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const where: Scope = { contexts: { params: { deep, long: 'x'.repeat(1_000_000), list: Array.from({ length: 100_000 }, (_, i) => i) } } };
    const outcome = (text: string) =>
      timed(() => {
        const parsed = parseExpression(text);
        if (!parsed.ok) throw new Error(parsed.error.message);
        const result = evaluate(parsed.value, where);
        return result.ok ? 'value' : result.error.message;
      });
    for (const text of ['fromJSON(params.deep)', 'format(params.long, params.long)', 'toJSON(params.list)']) expect(outcome(text)).toBe('value');
    // These two threw RangeError out of evaluate (stack overflow; string longer than V8 allows): now errors of the call.
    expect(outcome('toJSON(fromJSON(params.deep))')).toMatch(/`toJSON\(\)`: the value is nested too deeply/);
    expect(outcome('contains(toJSON(fromJSON(params.deep)), 1)')).toMatch(/nested too deeply/);
    expect(outcome('join(params.list, params.long)')).toMatch(/`join\(\)`: the result would be too long/);
    // ... and a template whose substituted values add up past that length.
    const many = parseTemplate('${{ params.long }}'.repeat(600));
    expect(many.ok).toBe(true);
    if (many.ok) expect(timed(() => renderTemplate(many.value, where, shellQuote))).toMatchObject({ ok: false, error: { message: expect.stringMatching(/too long/) } });
  });
});
