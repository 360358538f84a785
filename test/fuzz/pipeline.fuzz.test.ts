/**
 * Fuzzing parse → validate → compile, the same calls the CLI makes (parseText, then validatePipelines with a
 * repository root and a file reader), with generated pipelines built from the schema's keys and with random
 * byte/line mutations of every real pipeline (examples/ and test/fixtures/valid/). Each case must end in
 * diagnostics or graphs, never an exception, and within TIME_BOUND_MS. A synchronous hang cannot be interrupted
 * from inside the process, so a case that never ends trips Vitest's own timeout instead; a slow one fails here.
 *
 * Any input that ever breaks something goes into test/fixtures/regressions/ and is replayed by the last block.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseText } from '../../src/parse/parse-text.js';
import { validatePipelines } from '../../src/validate/validate.js';
import { REPO } from '../helpers/cli.js';

const TIME_BOUND_MS = 2_000;
const REGRESSIONS = join(REPO, 'test/fixtures/regressions');

/** What `loadGraphs` does after reading the file, without the file system (matrix files come from `files`). */
function pipeline(text: string, path = join(REPO, 'fuzz/pipeline.yml'), files: Record<string, string> = {}) {
  const started = performance.now();
  const parsed = parseText(relative(REPO, path), path, text);
  let outcome: { graphs: number; diagnostics: { code: string; message: string }[] };
  if (!parsed.ok) outcome = { graphs: 0, diagnostics: parsed.error };
  else {
    const v = validatePipelines([parsed.value], { date: '2024-03-01', params: {}, readFile: (p) => files[relative(dirname(path), p)] }, () => REPO);
    outcome = { graphs: v.graphs.length, diagnostics: v.diagnostics };
  }
  const ms = performance.now() - started;
  return { ...outcome, ms };
}

function check(text: string, path?: string, files?: Record<string, string>): void {
  const result = pipeline(text, path, files);
  expect(result.ms, `case took ${result.ms.toFixed(0)} ms`).toBeLessThan(TIME_BOUND_MS);
  // Either a graph, or at least one diagnostic with a code and a message.
  if (result.graphs === 0) expect(result.diagnostics.length).toBeGreaterThan(0);
  for (const d of result.diagnostics) {
    expect(d.code).toMatch(/^DAG\d{3}$/);
    expect(typeof d.message).toBe('string');
  }
}

// ------------------------------------------------------------------ generated pipelines from the schema's keys

const name = fc.constantFrom('a', 'b', 'train', 'prep', 'eval_1', 'x-y', 'Bad', '1st', '');
const expr = fc.constantFrom(
  '${{ params.p }}', '${{ matrix.m }}', '${{ matrix.nope }}', '${{ run.ds }}', '${{ needs.a.outputs.x }}', '${{ needs.b.outputs }}',
  "${{ format('{0}', params.p) }}", '${{ fromJSON(params.p) }}', '${{ toJSON(matrix) }}', '${{ ', '${{ }}', '${{ 1 + }}', '${{ a == }}',
  "${{ success() && contains(params.p, 'x') }}", '${{ secrets.T }}', '${{ env.HOME }}', '}}', '${{ \'}}\' }}',
);
const junk = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -3, max: 100_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  expr,
  fc.constantFrom('1h', '30s', '-1m', 'forever', '0 2 * * *', '99 * * * *', 'Europe/Paris', 'Mars/Base', '2024-02-30', '../x', '/etc/passwd', 'out/**'),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, junk, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.oneof(name, fc.string({ maxLength: 5 })), tie('v'), { maxKeys: 3 })),
})).v;

const list = <T>(a: fc.Arbitrary<T>) => fc.array(a, { maxLength: 4 });
const retries = fc.oneof(
  fc.integer({ min: -1, max: 12 }),
  fc.record({ attempts: fc.integer({ min: -1, max: 12 }), delay: junk, backoff: fc.constantFrom('exponential', 'linear', 'x'), max_delay: junk, jitter: fc.boolean(), on: list(fc.constantFrom('timeout', 'exit-code', 'signal', 1, 'nope')) }, { requiredKeys: [] }),
  value,
);
const matrix = fc.oneof(
  fc.dictionary(fc.constantFrom('m', 'n', 'Bad-axis', 'include', 'exclude'), fc.oneof(list(junk), expr, fc.record({ from: fc.constantFrom('m.json', 'missing.json', '../out.json', '/dev/zero', 'bad.json') }), value), { maxKeys: 3 }),
  value,
);
const task = fc.record(
  {
    run: fc.oneof(expr.map((e) => `echo ${e}`), junk, list(junk)),
    args: fc.oneof(list(fc.oneof(junk, expr)), value),
    shell: fc.constantFrom('bash', 'sh', 'python3', '', 3),
    'working-directory': fc.constantFrom('.', 'sub', '../up', '/abs', '${{ matrix.m }}'),
    needs: fc.oneof(list(name), name, value),
    matrix,
    inputs: fc.oneof(list(fc.oneof(junk, expr, fc.constantFrom('data/**', '**/*', '../../x', '/abs/path'))), value),
    outputs: fc.oneof(list(fc.oneof(junk, expr, fc.constantFrom('out/${{ matrix.m }}.txt', '../escape', '/tmp/abs', 'out/'))), value),
    env: fc.oneof(fc.dictionary(fc.constantFrom('A', 'B_1', 'bad-name', 'T'), fc.oneof(junk, expr), { maxKeys: 3 }), value),
    if: fc.oneof(expr, junk),
    retries,
    timeout: junk,
    cache: fc.oneof(fc.boolean(), junk),
    description: junk,
    metrics: value,
    alerts: value,
  },
  { requiredKeys: [] },
);
const generated = fc
  .record(
    {
      version: fc.oneof(fc.constant(1), junk),
      name: fc.oneof(fc.constantFrom('daily', 'Bad Name', 'x'), junk),
      description: junk,
      params: fc.oneof(fc.dictionary(fc.constantFrom('p', 'q', 'models'), fc.oneof(junk, list(junk), value), { maxKeys: 3 }), value),
      schedule: fc.oneof(fc.record({ cron: junk, timezone: junk, start: junk, end: junk, catchup: fc.boolean(), max_active_runs: junk }, { requiredKeys: [] }), value),
      env: fc.oneof(fc.dictionary(fc.constantFrom('A', 'T', 'bad-name'), junk, { maxKeys: 2 }), value),
      secrets: fc.oneof(list(fc.constantFrom('T', 'A', 'bad-name')), value),
      defaults: fc.oneof(fc.record({ timeout: junk, retries, shell: junk, 'working-directory': junk, env: value, cache: junk }, { requiredKeys: [] }), value),
      alerts: value,
      notify: value,
      tasks: fc.oneof(fc.dictionary(name, fc.oneof(task, value), { minKeys: 1, maxKeys: 5 }), value),
    },
    { requiredKeys: ['version', 'tasks'] },
  )
  .chain((doc) => fc.tuple(fc.constant(doc), fc.boolean()))
  .map(([doc, flow]) => YAML.stringify(doc, flow ? { collectionStyle: 'flow' } : {}));

const MATRIX_FILES = { 'm.json': '["a", "b; rm -rf /", "$(id)"]', 'bad.json': '{"a": [', '../out.json': '[1]' };

describe('fuzz: generated pipelines (schema keys, plausible and junk values)', () => {
  it('always ends in diagnostics or a graph, never throws, each case within the bound', () => {
    fc.assert(
      fc.property(generated, (text) => check(text, undefined, MATRIX_FILES)),
      { numRuns: 400 },
    );
  });

  it('most generated tasks with plausible values compile (the generator reaches the compiler, not only the schema)', () => {
    const plausible = fc
      .record({
        p: fc.array(fc.constantFrom('a', 'b; rm -rf /', '$(id)', '`id`', "it's", 'x\ny'), { minLength: 1, maxLength: 3 }),
        tasks: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 4 }),
      })
      .map(({ p, tasks }) =>
        YAML.stringify({
          version: 1,
          params: { p: [...new Set(p)] },
          tasks: Object.fromEntries(tasks.map((t, i) => [t, {
            run: `echo \${{ matrix.m }} \${{ params.p }}`,
            matrix: { m: '${{ params.p }}' },
            ...(i > 0 ? { needs: [tasks[0]] } : {}),
            outputs: [`out/${t}/\${{ matrix.m }}.txt`],
          }])),
        }),
      );
    let graphs = 0;
    fc.assert(
      fc.property(plausible, (text) => {
        const result = pipeline(text);
        expect(result.ms).toBeLessThan(TIME_BOUND_MS);
        graphs += result.graphs;
      }),
      { numRuns: 60 },
    );
    expect(graphs).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------ mutated real pipelines

function realPipelines(folder: string): string[] {
  return readdirSync(join(REPO, folder), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const SEEDS = [...realPipelines('examples'), ...realPipelines('test/fixtures/valid')];
const INSERTS = ['${{', '}}', ':', ': ', '\t', '  ', '- ', '&a ', '*a', '<<: *a', '!!js/function ', '"', "'", '#', '[', '{', '\u00e9', '\u{1F600}', '\u0000', '\uFEFF', '\u202E', '\r', '${{ matrix.', ' ${{ needs.x.outputs.y }}'];

type Mutation =
  | { kind: 'delete-line' | 'duplicate-line'; at: number }
  | { kind: 'swap-lines'; at: number; with: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete-bytes'; at: number; length: number }
  | { kind: 'flip-byte'; at: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete-line' as const, 'duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...INSERTS), fc.string({ unit: 'grapheme', maxLength: 4 })) }),
  fc.record({ kind: fc.constant('delete-bytes' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('flip-byte' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

export function mutate(text: string, mutations: readonly Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const lines = out.split('\n');
    const line = (n: number) => n % Math.max(1, lines.length);
    const offset = (n: number) => n % Math.max(1, out.length + 1);
    switch (m.kind) {
      case 'delete-line':
        lines.splice(line(m.at), 1);
        out = lines.join('\n');
        break;
      case 'duplicate-line':
        lines.splice(line(m.at), 0, lines[line(m.at)] ?? '');
        out = lines.join('\n');
        break;
      case 'swap-lines': {
        const [i, j] = [line(m.at), line(m.with)];
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        out = lines.join('\n');
        break;
      }
      case 'insert':
        out = out.slice(0, offset(m.at)) + m.text + out.slice(offset(m.at));
        break;
      case 'delete-bytes':
        out = out.slice(0, offset(m.at)) + out.slice(offset(m.at) + m.length);
        break;
      case 'flip-byte': {
        const bytes = Buffer.from(out, 'utf8');
        if (bytes.length > 0) bytes[m.at % bytes.length] = m.byte;
        out = bytes.toString('utf8');
        break;
      }
    }
  }
  return out;
}

describe('fuzz: mutated real pipelines (examples/ and test/fixtures/valid/)', () => {
  it('the unmutated seeds are valid, so mutations start from pipelines that reach the compiler', () => {
    for (const path of SEEDS) {
      const matrixFiles = Object.fromEntries(
        readdirSync(dirname(path)).filter((f) => f.endsWith('.json')).map((f) => [f, readFileSync(join(dirname(path), f), 'utf8')]),
      );
      const result = pipeline(readFileSync(path, 'utf8'), path, matrixFiles);
      expect(result.diagnostics, relative(REPO, path)).toEqual([]);
      expect(result.graphs).toBe(1);
    }
  });

  for (const path of SEEDS) {
    it(`${relative(REPO, path)}: line and byte mutations never throw, each case within the bound`, () => {
      const text = readFileSync(path, 'utf8');
      const matrixFiles = Object.fromEntries(
        readdirSync(dirname(path)).filter((f) => f.endsWith('.json')).map((f) => [f, readFileSync(join(dirname(path), f), 'utf8')]),
      );
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => check(mutate(text, mutations), path, matrixFiles)),
        { numRuns: 150 },
      );
    });
  }
});

// ------------------------------------------------------------------ regressions

describe('fuzz regressions (test/fixtures/regressions/)', () => {
  const files = readdirSync(REGRESSIONS).filter((f) => /\.ya?ml$/.test(f)).sort();
  it.each(files)('%s still ends in diagnostics or a graph, within the bound', (file) => {
    check(readFileSync(join(REGRESSIONS, file), 'utf8'), join(REPO, 'fuzz', file));
  });
});
