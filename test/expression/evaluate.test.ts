import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Value } from '../../src/expression/ast.js';
import { evaluate, renderTemplate, toText, truthy, type Scope } from '../../src/expression/evaluate.js';
import { parseExpression } from '../../src/expression/parse.js';
import { parseTemplate } from '../../src/expression/template.js';
import { parsed } from './trees.js';

const list: Value[] = ['xgboost', 'random_forest'];
const scope: Scope = {
  contexts: {
    params: { models: list, same: list, copy: ['xgboost', 'random_forest'], lr: 0.01, epochs: 10, name: 'Churn', empty: '', flag: true, nothing: null, nan: Number.NaN },
    matrix: { model: 'xgboost', 'region-name': 'eu' },
    env: { HOME: '/home/ci' },
    needs: { train: { outputs: { auc: '0.91', report: '{"rows": 3, "tags": ["a"]}' }, result: 'success' } },
  },
};
const withStatus = (status: Scope['status']): Scope => ({ ...scope, status });

function value(source: string, where: Scope = scope): Value {
  const result = evaluate(parsed(source), where);
  if (!result.ok) throw new Error(`expected \`${source}\` to evaluate: ${result.error.message}`);
  return result.value;
}

function errorOf(source: string, where: Scope = scope) {
  const result = evaluate(parsed(source), where);
  if (result.ok) throw new Error(`expected \`${source}\` to fail, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('evaluate: reading contexts', () => {
  it('reads members and indexes', () => {
    expect(value('matrix.model')).toBe('xgboost');
    expect(value("matrix['region-name']")).toBe('eu');
    expect(value('matrix.region-name')).toBe('eu');
    expect(value('params.models[1]')).toBe('random_forest');
    expect(value('needs.train.outputs.auc')).toBe('0.91');
    expect(value('params')).toBe(scope.contexts['params']);
  });

  it('gives null for missing properties and for properties of null, as GitHub does', () => {
    expect(value('params.missing')).toBeNull();
    expect(value('params.missing.deeper[0].still')).toBeNull();
    expect(value('params.nothing.x')).toBeNull();
    expect(value('params.name.length')).toBeNull();
    expect(value('params.models.length')).toBeNull();
    expect(value('params.models[5]')).toBeNull();
    expect(value('params.models[-1]')).toBeNull();
  });

  it('never reaches into the prototype chain', () => {
    expect(value('params.constructor')).toBeNull();
    expect(value("params['__proto__']")).toBeNull();
    expect(value('params.models.map')).toBeNull();
  });

  it('indexes arrays by number (strings converted, fractions floored) and objects by text', () => {
    expect(value("params.models['1']")).toBe('random_forest');
    expect(value('params.models[1.9]')).toBe('random_forest');
    expect(value('params.models[true]')).toBe('random_forest');
    expect(value("params.models['x']")).toBeNull();
    expect(value("fromJSON('{\"1\": \"one\"}')[1]")).toBe('one');
    expect(value('params[params.models]')).toBeNull();
    expect(value("params.models['0x1']")).toBe('random_forest');
  });

  it('fails on an unknown root context, naming the ones there are', () => {
    expect(errorOf('params.lr == paramz.x')).toEqual({
      message: 'unknown context `paramz`; expressions here can read `params`, `matrix`, `env`, `needs`',
      start: 13,
      end: 19,
    });
    expect(errorOf('x', { contexts: {} }).message).toBe('unknown context `x`; expressions here can read no contexts');
    expect(errorOf('constructor', { contexts: {} }).message).toMatch(/unknown context `constructor`/);
  });
});

describe('evaluate: loose equality (GitHub coercion)', () => {
  it.each([
    ["'1' == 1", true],
    ["1 == '1.0'", true],
    ["'0x10' == 16", true],
    ["' 2 ' == 2", true],
    ["'' == 0", true],
    ["'abc' == 0", false],
    ['null == 0', true],
    ['null == false', true],
    ["null == ''", true],
    ['null == null', true],
    ["null == 'null'", false],
    ['true == 1', true],
    ["true == '1'", true],
    ["true == 'true'", false],
    ['false == 0', true],
    ["false == ''", true],
    ["'abc' == 'ABC'", true],
    ["'abc' != 'ABD'", true],
    ['-0 == 0', true],
    ["'NaN' == 'NaN'", true],
    ['params.nan == params.nan', false],
    ['params.nan != params.nan', true],
    ["params.nan == 'NaN'", false],
    ["'x' == 'x'", true],
    ["'Infinity' == 1e999", true],
    ['params.models == params.same', true],
    ['params.models == params.copy', false],
    ["params.models == 'xgboost,random_forest'", false],
    ['params.models == 0', false],
    ['params.models != null', true],
    ['params.flag == 1', true],
  ])('%s → %s', (source, expected) => {
    expect(value(source)).toBe(expected);
  });
});

describe('evaluate: ordering', () => {
  it.each([
    ["1 < '2'", true],
    ["'10' > 9", true],
    ["'10' > '9'", false],
    ["'abc' < 'ABD'", true],
    ["'a' <= 'A'", true],
    ["'B' > 'a'", true],
    ['false < true', true],
    ['true > false', true],
    ['true < 2', true],
    ['null < 1', true],
    ['null < null', false],
    ['null <= null', true],
    ["'abc' < 1", false],
    ["'abc' >= 1", false],
    ['params.models < 1', false],
    ['params.lr < 0.1', true],
    ['params.epochs >= 10', true],
    ['2 <= 1', false],
  ])('%s → %s', (source, expected) => {
    expect(value(source)).toBe(expected);
  });
});

describe('evaluate: logic', () => {
  it('returns the deciding operand of && and ||, not a boolean', () => {
    expect(value("params.name && 'yes'")).toBe('yes');
    expect(value("params.empty && 'yes'")).toBe('');
    expect(value("params.empty || 'fallback'")).toBe('fallback');
    expect(value("params.name || 'fallback'")).toBe('Churn');
    expect(value('0 || null')).toBeNull();
    expect(value("matrix.model == 'xgboost' && 'gpu' || 'cpu'")).toBe('gpu');
  });

  it('short-circuits, so the other side is never evaluated', () => {
    expect(value('false && unknown.x')).toBe(false);
    expect(value('true || unknown.x')).toBe(true);
    expect(errorOf('true && unknown.x').message).toMatch(/unknown context `unknown`/);
  });

  it('negates by truthiness: false, 0, -0, NaN, empty string and null are falsy', () => {
    for (const falsy of ['false', '0', '-0', 'params.nan', "''", 'null']) expect(value(`!${falsy}`)).toBe(true);
    for (const truthyValue of ["'0'", "'false'", '1', '-1', "fromJSON('[]')", "fromJSON('{}')", 'true']) expect(value(`!${truthyValue}`)).toBe(false);
  });

  it('exposes the same truthiness', () => {
    expect([false, 0, -0, Number.NaN, '', null].map(truthy)).toEqual([false, false, false, false, false, false]);
    expect([true, 1, ' ', [], {}].map(truthy)).toEqual([true, true, true, true, true]);
  });
});

describe('evaluate: functions', () => {
  it('contains: case-insensitive substring, or an array element by loose equality', () => {
    expect(value("contains('Hello World', 'WORLD')")).toBe(true);
    expect(value("contains('abc', 'd')")).toBe(false);
    expect(value("contains(params.models, 'XGBoost')")).toBe(true);
    expect(value("contains(fromJSON('[1, 2]'), '2')")).toBe(true);
    expect(value("contains(params.models, 'boost')")).toBe(false);
    expect(value('contains(123, 2)')).toBe(true);
    expect(value('contains(true, 1)')).toBe(false);
    expect(value("contains(params, 'lr')")).toBe(false);
    expect(value('contains(params.models, params.models)')).toBe(false);
  });

  it('startsWith and endsWith: case-insensitive, primitives only', () => {
    expect(value("startsWith('Release-1.2', 'release')")).toBe(true);
    expect(value("endsWith('data.CSV', '.csv')")).toBe(true);
    expect(value("startsWith('abc', 'b')")).toBe(false);
    expect(value("startsWith(params.models, 'x')")).toBe(false);
    expect(value('endsWith(10, 0)')).toBe(true);
  });

  it('format: positional arguments, {{ and }} escapes, values as text', () => {
    expect(value("format('{0}-{1}', matrix.model, params.epochs)")).toBe('xgboost-10');
    expect(value("format('{1}{0}{1}', 'a', 'b')")).toBe('bab');
    expect(value("format('{{0}} is {0}', 'x')")).toBe('{0} is x');
    expect(value("format('{{{0}}}', 'x')")).toBe('{x}');
    expect(value("format('no placeholders')")).toBe('no placeholders');
    expect(value("format('{0}|{1}|{2}', null, true, params.models)")).toBe('|true|["xgboost","random_forest"]');
  });

  it('format: errors point at the format string', () => {
    expect(errorOf("format('{0} {2}', 'a', 'b')")).toEqual({
      message: '`format()`: `{2}` refers to argument 2, but 2 arguments follow the format string',
      start: 7,
      end: 16,
    });
    for (const bad of ["'{'", "'}'", "'{x}'", "'{0'", "'{ 0}'", "'{}'"]) {
      expect(errorOf(`format(${bad}, 1)`).message).toMatch(/^`format\(\)`: invalid format string/);
    }
  });

  it('join: a separator (default comma); items as text; a lone value as itself', () => {
    expect(value('join(params.models)')).toBe('xgboost,random_forest');
    expect(value("join(params.models, ' | ')")).toBe('xgboost | random_forest');
    expect(value("join(fromJSON('[1, true, null, [2]]'), '-')")).toBe('1-true--[2]');
    expect(value("join('solo', '-')")).toBe('solo');
    expect(value("join(fromJSON('[]'))")).toBe('');
    expect(value('join(params)')).toBe('');
  });

  it('toJSON: pretty-printed with two spaces', () => {
    expect(value('toJSON(needs.train.result)')).toBe('"success"');
    expect(value('toJSON(params.models)')).toBe('[\n  "xgboost",\n  "random_forest"\n]');
    expect(value('toJSON(null)')).toBe('null');
    expect(value("toJSON(fromJSON('{}'))")).toBe('{}');
  });

  it('fromJSON: parses any JSON value, and reports invalid JSON as an error', () => {
    expect(value('fromJSON(needs.train.outputs.report).tags[0]')).toBe('a');
    expect(value('fromJSON(needs.train.outputs.report).rows == 3')).toBe(true);
    expect(value("fromJSON('true')")).toBe(true);
    expect(value("fromJSON('\"x\"')")).toBe('x');
    const error = errorOf("1 == fromJSON('{nope')");
    expect(error.message).toMatch(/^`fromJSON\(\)`: not valid JSON: /);
    expect([error.start, error.end]).toEqual([14, 21]);
  });

  it('accepts GitHub-style casing of function names', () => {
    expect(value("toJson('x')")).toBe('"x"');
    expect(value("CONTAINS('abc', 'B')")).toBe(true);
  });

  it('fails on unknown functions and wrong argument counts, pointing at the call', () => {
    expect(errorOf('a || lower(x)', { contexts: { a: false, x: 1 } })).toEqual({ message: 'unknown function `lower()`', start: 5, end: 13 });
    expect(errorOf("contains('a')")).toEqual({ message: '`contains()` takes 2 arguments, not 1', start: 0, end: 13 });
    expect(errorOf("join('a', 'b', 'c')").message).toBe('`join()` takes 1 to 2 arguments, not 3');
    expect(errorOf('format()').message).toBe('`format()` takes at least 1 argument, not 0');
    expect(errorOf('success(1)', withStatus({ success: true, failure: false, cancelled: false })).message).toBe('`success()` takes 0 arguments, not 1');
  });

  it('propagates errors from arguments', () => {
    expect(errorOf("contains(nope, 'x')")).toMatchObject({ start: 9, end: 13 });
  });
});

describe('evaluate: status functions', () => {
  const failed = withStatus({ success: false, failure: true, cancelled: false });
  const cancelled = withStatus({ success: false, failure: false, cancelled: true });

  it('read the status in scope', () => {
    expect(['success()', 'failure()', 'cancelled()', 'always()'].map((s) => value(s, failed))).toEqual([false, true, false, true]);
    expect(['success()', 'failure()', 'cancelled()', 'always()'].map((s) => value(s, cancelled))).toEqual([false, false, true, true]);
    expect(value("failure() && needs.train.result == 'success'", failed)).toBe(true);
  });

  it('fail when there is no status, as at compile time', () => {
    expect(errorOf('x && always()', { contexts: { x: 1 } })).toEqual({
      message: "`always()` reads the task's status, which is only known when the task is about to start",
      start: 5,
      end: 13,
    });
    expect(errorOf('success()').message).toMatch(/^`success\(\)` reads the task's status/);
  });
});

describe('toText', () => {
  it.each<[Value, string]>([
    [null, ''],
    [true, 'true'],
    [false, 'false'],
    [0, '0'],
    [-0, '0'],
    [10, '10'],
    [-3, '-3'],
    [2.5, '2.5'],
    [0.1, '0.1'],
    [0.0001, '0.0001'],
    [0.00001, '1E-05'],
    [1.5e-7, '1.5E-07'],
    [123456789012345, '123456789012345'],
    [-999999999999999, '-999999999999999'],
    [999999999999999.5, '1E+15'],
    [1e15, '1E+15'],
    [1.25e20, '1.25E+20'],
    [0.1 + 0.2, '0.3'],
    [Math.PI, '3.14159265358979'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
    ['as is', 'as is'],
    [['a', 1, null], '["a",1,null]'],
    [{ a: { b: [true] } }, '{"a":{"b":[true]}}'],
  ])('%j → %j', (input, text) => {
    expect(toText(input)).toBe(text);
  });
});

describe('renderTemplate', () => {
  function render(text: string, quote?: (s: string) => string) {
    const template = parseTemplate(text);
    if (!template.ok) throw new Error(template.error.message);
    return renderTemplate(template.value, scope, quote);
  }

  it('substitutes every expression as text', () => {
    expect(render("python train.py --model ${{ matrix.model }} --lr ${{ params.lr }} --tags ${{ join(params.models, ' ') }}")).toEqual({
      ok: true,
      value: 'python train.py --model xgboost --lr 0.01 --tags xgboost random_forest',
    });
    expect(render('[${{ params.nothing }}] ${{ params.models }}')).toEqual({ ok: true, value: '[] ["xgboost","random_forest"]' });
  });

  it('passes substituted values, and only them, through quote', () => {
    expect(render("echo ${{ 'x; rm -rf /' }} done", (s) => `<${s}>`)).toEqual({ ok: true, value: 'echo <x; rm -rf /> done' });
  });

  it('reports evaluation errors with an offset into the whole text', () => {
    expect(render('echo ${{ params.lr }} ${{ paramz.lr }}')).toEqual({
      ok: false,
      error: { message: expect.stringMatching(/^unknown context `paramz`/), start: 1, end: 7, offset: 26 },
    });
  });
});

describe('evaluate: robustness', () => {
  const TOKENS = ['(', ')', '[', ']', ',', '.', '!', '==', '!=', '<', '>=', '&&', '||', "'s'", "'1'", '0', '-1', '1.5', 'null', 'true',
    'params', 'params.models', 'matrix.model', 'needs.train.outputs', 'contains', 'format', 'join', 'toJSON', 'fromJSON', "'{0}'", "'[1]'", 'x'];

  it('never throws on anything that parses', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 25 }), (tokens) => {
        const expr = parseExpression(tokens.join(' '));
        if (expr.ok) evaluate(expr.value, scope);
      }),
      { numRuns: 5_000 },
    );
  });

  it('== is symmetric and agrees with != for any pair of values', () => {
    const values = fc.oneof(fc.constantFrom<Value>(null, true, false, 0, 1, -1, '', '0', '1', 'a', 'A', ' 1 ', 'true', '0x1', 'NaN'), fc.double(), fc.string({ maxLength: 3 }));
    fc.assert(
      fc.property(values, values, (a, b) => {
        const contexts = { a, b };
        const equal = value('a == b', { contexts });
        expect(value('b == a', { contexts })).toBe(equal);
        expect(value('a != b', { contexts })).toBe(!equal);
      }),
    );
  });
});
