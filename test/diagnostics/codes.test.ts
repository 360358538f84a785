import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../src/diagnostics/codes.js';

const errorsDoc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('diagnostic codes', () => {
  it.each(Object.keys(CODES))('%s is documented in docs/errors.md', (code) => {
    expect(errorsDoc).toMatch(new RegExp(`(### ${code} —|\\| ${code} \\|)`));
  });

  it('documents no code that does not exist', () => {
    const documented = new Set(errorsDoc.match(/DAG\d{3}/g));
    expect([...documented].filter((code) => !(code in CODES))).toEqual([]);
  });
});
