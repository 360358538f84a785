import { describe, expect, it } from 'vitest';
import { calls, canonicalFunctionName, FUNCTIONS, references } from '../../src/expression/references.js';
import { parsed } from './trees.js';

const paths = (source: string) => references(parsed(source)).map((ref) => ref.path);

describe('references', () => {
  it('gives the path of each maximal access chain rooted at a context', () => {
    expect(paths('matrix.model')).toEqual([['matrix', 'model']]);
    expect(paths("needs.train.outputs['auc'] > 0.9")).toEqual([['needs', 'train', 'outputs', 'auc']]);
    expect(paths('params')).toEqual([['params']]);
    expect(paths('params.models[0].name')).toEqual([['params', 'models', '0', 'name']]);
  });

  it('lists references in source order, through operators and calls', () => {
    expect(paths("contains(params.models, matrix.model) && !env.CI || run.ds == '2024-01-01'")).toEqual([
      ['params', 'models'],
      ['matrix', 'model'],
      ['env', 'CI'],
      ['run', 'ds'],
    ]);
  });

  it('stops a chain at a computed index and analyses the index on its own', () => {
    expect(paths('params.models[matrix.i].name')).toEqual([
      ['params', 'models'],
      ['matrix', 'i'],
    ]);
  });

  it('ignores chains that do not start at a context', () => {
    expect(paths("fromJSON(needs.a.outputs.json).x.y == 'z'")).toEqual([['needs', 'a', 'outputs', 'json']]);
    expect(paths("'literal' == true")).toEqual([]);
  });

  it('spans the whole chain in the expression source', () => {
    expect(references(parsed("x == needs.train['outputs'].auc"))).toEqual([
      { path: ['x'], start: 0, end: 1 },
      { path: ['needs', 'train', 'outputs', 'auc'], start: 5, end: 31 },
    ]);
  });
});

describe('calls', () => {
  it('lists every call with its arity and span, outer calls first', () => {
    expect(calls(parsed("always() && contains(format('{0}', a), toJson(b))"))).toEqual([
      { name: 'always', arity: 0, start: 0, end: 8 },
      { name: 'contains', arity: 2, start: 12, end: 49 },
      { name: 'format', arity: 2, start: 21, end: 37 },
      { name: 'toJSON', arity: 1, start: 39, end: 48 },
    ]);
    expect(calls(parsed('a.b'))).toEqual([]);
  });

  it('keeps unknown names as written, for the validator to report', () => {
    expect(calls(parsed('hashFiles(a, b, c)'))).toEqual([{ name: 'hashFiles', arity: 3, start: 0, end: 18 }]);
  });
});

describe('FUNCTIONS', () => {
  it('describes every documented function', () => {
    expect(Object.keys(FUNCTIONS).sort()).toEqual(
      ['always', 'cancelled', 'contains', 'endsWith', 'failure', 'format', 'fromJSON', 'join', 'startsWith', 'success', 'toJSON'].sort(),
    );
    expect(FUNCTIONS['join']).toEqual({ minArgs: 1, maxArgs: 2, statusOnly: false });
    expect(FUNCTIONS['format']?.maxArgs).toBe(Number.POSITIVE_INFINITY);
    expect(Object.entries(FUNCTIONS).filter(([, spec]) => spec.statusOnly).map(([name]) => name).sort()).toEqual([
      'always',
      'cancelled',
      'failure',
      'success',
    ]);
  });

  it('has no inherited entries, so any name can be looked up safely', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) expect(FUNCTIONS[name]).toBeUndefined();
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(FUNCTIONS)).toBe(true);
  });
});

describe('canonicalFunctionName', () => {
  it('maps any casing of a known function to its documented spelling', () => {
    expect(canonicalFunctionName('tojson')).toBe('toJSON');
    expect(canonicalFunctionName('fromJson')).toBe('fromJSON');
    expect(canonicalFunctionName('startsWith')).toBe('startsWith');
    expect(canonicalFunctionName('hashFiles')).toBe('hashFiles');
  });
});
