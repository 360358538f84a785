import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseText } from '../../src/parse/parse-text.js';
import { validatePipeline } from '../../src/validate/validate.js';
import { options } from '../helpers/pipeline.js';

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
const scalar = fc.oneof(fc.stringMatching(/^[a-z0-9 ;$'"`-]{0,8}$/), fc.integer({ min: -5, max: 50 }), fc.boolean());

/** Random well-formed pipelines: tasks only need earlier tasks, so most are valid; some have bad references. */
const pipeline = fc
  .record({
    params: fc.dictionary(name, fc.oneof(scalar, fc.array(scalar, { minLength: 1, maxLength: 3 })), { maxKeys: 3 }),
    tasks: fc.uniqueArray(name, { minLength: 1, maxLength: 8 }),
    seed: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
    axes: fc.array(fc.array(scalar, { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
  })
  .map(({ params, tasks, seed, axes }) => {
    const pick = (i: number, n: number) => (seed[i % seed.length] ?? 0) % Math.max(1, n);
    const paramNames = Object.keys(params);
    const spec: Record<string, unknown> = {};
    tasks.forEach((task, i) => {
      const needs = tasks.slice(0, i).filter((_, j) => pick(i * 3 + j, 3) === 0);
      const matrix = pick(i, 3) === 0 && axes.length > 0 ? Object.fromEntries(axes.map((values, k) => [`ax${k}`, values])) : undefined;
      const param = paramNames[pick(i + 7, paramNames.length)];
      const refs = [param ? `\${{ params.${param} }}` : '', matrix ? '${{ matrix.ax0 }}' : '', '${{ run.ds }}'];
      spec[task] = {
        run: `echo ${refs.join(' ')}`,
        ...(needs.length ? { needs } : {}),
        ...(matrix ? { matrix } : {}),
        ...(pick(i + 11, 4) === 0 ? { if: `\${{ needs.${needs[0] ?? task}.outputs.x == 'y' }}` } : {}),
        outputs: [`out/${task}.txt`],
      };
    });
    return YAML.stringify({ version: 1, params, tasks: spec });
  });

describe('compile properties', () => {
  it('never throws, and gives byte-identical output for the same input', () => {
    fc.assert(
      fc.property(pipeline, (text) => {
        const parsed = parseText('p.yml', '/repo/p.yml', text);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const first = validatePipeline(parsed.value, options());
        const second = validatePipeline(parsed.value, options());
        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
        if (first.ok) expect(first.value.tasks.length).toBeGreaterThan(0);
        else expect(first.error.every((d) => d.code.startsWith('DAG') && d.location !== undefined)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary YAML documents', () => {
    fc.assert(
      fc.property(fc.dictionary(name, fc.jsonValue({ maxDepth: 3 })), fc.option(fc.jsonValue({ maxDepth: 2 })), (tasks, extra) => {
        const text = YAML.stringify({ version: 1, tasks, ...(extra === null ? {} : { extra }) });
        const parsed = parseText('p.yml', '/repo/p.yml', text);
        if (!parsed.ok) return;
        const result = validatePipeline(parsed.value, options());
        if (!result.ok) expect(result.error.length).toBeGreaterThan(0);
      }),
      { numRuns: 600 },
    );
  });
});
