import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../src/compile/shell-quote.js';

/** Asks a real shell how many words, and which, a quoted value turns into. */
function words(script: string): string[] {
  const out = execFileSync('sh', ['-c', `for w in ${script}; do printf '%s\\0' "$w"; done`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  it('leaves plain words readable', () => {
    expect(shellQuote('xgboost')).toBe('xgboost');
    expect(shellQuote('data/raw/2024-03-01.csv')).toBe('data/raw/2024-03-01.csv');
  });

  it('keeps hostile values as one literal word in a real shell', () => {
    for (const value of ['x; rm -rf /', '$(touch pwned)', '`id`', "it's", 'a b\nc', '"quoted"', '*', '', '$HOME']) {
      expect(words(shellQuote(value))).toEqual([value]);
    }
  });

  it('round-trips any string without NUL through sh', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')), (value) => {
        expect(words(shellQuote(value))).toEqual([value]);
      }),
      { numRuns: 60 },
    );
  });
});
