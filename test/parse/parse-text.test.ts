import { describe, expect, it } from 'vitest';
import { locate } from '../../src/parse/document.js';
import { parseText } from '../../src/parse/parse-text.js';

const parse = (text: string) => parseText('p.yml', '/repo/p.yml', text);

function firstError(text: string) {
  const result = parse(text);
  if (result.ok) throw new Error('expected a diagnostic');
  const [first] = result.error;
  return { code: first?.code, line: first?.location?.start.line, col: first?.location?.start.col, message: first?.message };
}

describe('parseText', () => {
  it('keeps plain data and source positions', () => {
    const result = parse('version: 1\ntasks:\n  a:\n    run: echo hi\n');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.value).toEqual({ version: 1, tasks: { a: { run: 'echo hi' } } });
    const at = locate(result.value, ['tasks', 'a', 'run']);
    expect([at.start.line, at.start.col]).toEqual([4, 10]);
    const key = locate(result.value, ['tasks', 'a', 'run'], 'key');
    expect([key.start.line, key.start.col]).toEqual([4, 5]);
  });

  it('falls back to the deepest existing node for a missing path', () => {
    const result = parse('version: 1\ntasks:\n  a:\n    run: x\n');
    if (!result.ok) throw new Error('unexpected');
    const at = locate(result.value, ['tasks', 'a', 'nothing', 'here']);
    expect([at.start.line, at.start.col]).toEqual([4, 5]);
  });

  it('reports a syntax error at its position', () => {
    expect(firstError('version: 1\ntasks:\n  a: [1, 2\n')).toMatchObject({ code: 'DAG001', line: 3 });
  });

  it('reports a duplicate key at the second occurrence', () => {
    expect(firstError('version: 1\nversion: 1\n')).toMatchObject({ code: 'DAG002', line: 2, col: 1, message: 'key `version` appears twice in the same mapping' });
  });

  it('refuses an alias bomb without expanding it', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n');
    expect(firstError(bomb)).toMatchObject({ code: 'DAG003', line: 2, col: 8 });
  });

  it('accepts a few aliases and merge keys', () => {
    const result = parse('base: &base { timeout: 1m }\ntasks:\n  a: { <<: *base, run: x }\n');
    expect(result.ok && result.value.value.tasks).toEqual({ a: { timeout: '1m', run: 'x' } });
  });

  it('reports a merge key of something other than a mapping (found by the property test)', () => {
    expect(firstError('version: 1\ntasks:\n  a:\n    <<: [null]\n')).toMatchObject({ code: 'DAG001', line: 4, col: 5 });
  });

  it('refuses a non-mapping root and an empty file', () => {
    expect(firstError('- a\n- b\n')).toMatchObject({ code: 'DAG005', line: 1, col: 1, message: expect.stringContaining('not a list') });
    expect(firstError('')).toMatchObject({ code: 'DAG005' });
    expect(firstError('# only a comment\n')).toMatchObject({ code: 'DAG005' });
  });
});
