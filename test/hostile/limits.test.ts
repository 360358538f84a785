/**
 * Hostile pipeline files through the REAL built CLI (`dagline validate` / `plan`): each must end promptly with a
 * clear diagnostic, never an internal error (exit 70), an out-of-memory or a hang. The child runs with a capped
 * heap (--max-old-space-size=256), so a limit that is only checked after building everything fails here.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, repository } from '../helpers/cli.js';

const BOUND_MS = 5_000;

interface Timed {
  status: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  ms: number;
}

function cli(args: string[], cwd: string): Timed {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}`, ms: performance.now() - started };
}

function refused(result: Timed, code: string, text?: RegExp): void {
  expect(result.signal, result.out.slice(0, 2000)).toBeNull();
  expect(result.out).not.toMatch(/internal error|heap out of memory|Maximum call stack/);
  expect(result.status, result.out.slice(0, 2000)).toBe(1);
  expect(result.out).toContain(code);
  if (text) expect(result.out).toMatch(text);
  expect(result.ms).toBeLessThan(BOUND_MS);
}

describe('hostile input: YAML bombs and nesting', () => {
  it('an alias bomb of 10 levels of 10 (10^10 nodes if expanded) is DAG003, without expanding it', () => {
    const lines = ['version: 1', 'params:', '  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++) lines.push(`  l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
    lines.push('tasks:', '  a:', '    run: echo ${{ params.l9 }}', '');
    const repo = repository({ 'pipeline.yml': lines.join('\n') });
    refused(cli(['validate', 'pipeline.yml'], repo), 'DAG003', /alias bomb/);
  });

  it('a merge-key bomb (<<: nested mappings of aliases) is refused too', () => {
    const lines = ['version: 1', 'params:', '  m0: &m0 { a: 1, b: 2, c: 3 }'];
    for (let i = 1; i < 12; i++) lines.push(`  m${i}: &m${i} { x${i}: [${Array(8).fill(`*m${i - 1}`).join(', ')}], <<: *m${i - 1} }`);
    lines.push('tasks:', '  a:', '    run: echo hi', '');
    const repo = repository({ 'pipeline.yml': lines.join('\n') });
    refused(cli(['validate', 'pipeline.yml'], repo), 'DAG003');
  });

  for (const [what, text] of [
    ['100,000 nested flow lists', `version: 1\nparams:\n  p: ${'['.repeat(100_000)}${']'.repeat(100_000)}\ntasks:\n  a: { run: x }\n`],
    ['100,000 nested flow mappings', `version: 1\nparams:\n  p: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\ntasks:\n  a: { run: x }\n`],
    ['2,000 nested block mappings', `version: 1\ntasks:\n  a: { run: x }\nparams:\n${Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(2 + i)}k${i}:`).join('\n')} 1\n`],
    ['100,000 nested block sequences on one line', `version: 1\ntasks:\n  a: { run: x }\nparams:\n  p: ${'- '.repeat(100_000)}1\n`],
  ] as const) {
    it(`${what}: a clear error (DAG008 or a syntax error), promptly`, () => {
      const repo = repository({ 'pipeline.yml': text });
      const result = cli(['validate', 'pipeline.yml'], repo);
      expect(result.signal).toBeNull();
      expect(result.out).not.toMatch(/internal error|heap out of memory|Maximum call stack/);
      expect(result.out).toMatch(/DAG00[18]/);
      expect(result.status).toBe(1);
      expect(result.ms).toBeLessThan(BOUND_MS);
    });
  }
});

describe('hostile input: size limits', () => {
  it('a 50 MB pipeline file is DAG004 naming the 4 MiB limit, refused before it is read', () => {
    const task = (i: number) => `  t${i}:\n    run: python scripts/train.py --shard ${i} --padding ${'x'.repeat(60)}\n`;
    const repo = repository({});
    const chunks: string[] = ['version: 1\ntasks:\n'];
    let size = chunks[0]!.length;
    for (let i = 0; size < 50 * 1024 * 1024; i++) {
      const t = task(i);
      chunks.push(t);
      size += t.length;
    }
    writeFileSync(join(repo, 'pipeline.yml'), chunks.join(''));
    for (const command of ['validate', 'plan']) {
      refused(cli([command, 'pipeline.yml', '--date', '2024-03-01'], repo), 'DAG004', /50\.\d MiB.*limited to 4\.0 MiB/);
    }
  });

  it('a 100,000-task matrix (50 × 50 × 40) is DAG073 naming the limit, not an out-of-memory', () => {
    const axis = (n: number) => `[${Array.from({ length: n }, (_, i) => `v${i}`).join(', ')}]`;
    const repo = repository({
      'pipeline.yml': `version: 1\ntasks:\n  grid:\n    matrix:\n      a: ${axis(50)}\n      b: ${axis(50)}\n      c: ${axis(40)}\n    run: echo \${{ matrix.a }} \${{ matrix.b }} \${{ matrix.c }}\n    outputs: [out/\${{ matrix.a }}/\${{ matrix.b }}/\${{ matrix.c }}.txt]\n`,
    });
    for (const command of ['validate', 'plan']) refused(cli([command, 'pipeline.yml', '--date', '2024-03-01'], repo), 'DAG073', /100,000 tasks; the limit is 50,000/);
  });

  it('the same 100,000 tasks from a matrix file and from params, and 40 tasks of 50 × 50 each, are DAG073 too', () => {
    const values = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`);
    const repo = repository({
      'file.yml': `version: 1\ntasks:\n  grid:\n    matrix:\n      a: { from: a.json }\n      b: { from: b.json }\n      c: { from: c.json }\n    run: echo \${{ matrix.a }}\n`,
      'a.json': JSON.stringify(values(50, 'a')),
      'b.json': JSON.stringify(values(50, 'b')),
      'c.json': JSON.stringify(values(40, 'c')),
      'params.yml': `version: 1\nparams:\n  a: ${JSON.stringify(values(50, 'a'))}\n  b: ${JSON.stringify(values(50, 'b'))}\n  c: ${JSON.stringify(values(40, 'c'))}\ntasks:\n  grid:\n    matrix: { a: \${{ params.a }}, b: \${{ params.b }}, c: \${{ params.c }} }\n    run: echo \${{ matrix.a }}\n`,
      'many.yml': `version: 1\nparams:\n  a: ${JSON.stringify(values(50, 'a'))}\ntasks:\n${Array.from({ length: 40 }, (_, i) => `  t${i}:\n    matrix: { a: \${{ params.a }}, b: \${{ params.a }} }\n    run: echo \${{ matrix.a }}\n`).join('')}`,
    });
    for (const file of ['file.yml', 'params.yml', 'many.yml']) refused(cli(['validate', file], repo), 'DAG073', /limit is 50,000|more than 50,000 tasks/);
  });

  it('a run line whose expressions fill in to more than V8 can hold is a diagnostic, not an internal error (bug found here, fixed)', () => {
    // 6,000 references to a 100 KB param: 600 MB of text, past V8's longest string.
    const repo = repository({ 'pipeline.yml': `version: 1\nparams:\n  long: ${'x'.repeat(100_000)}\ntasks:\n  show:\n    run: echo ${'${{ params.long }}'.repeat(6_000)}\n` });
    refused(cli(['validate', 'pipeline.yml'], repo), 'DAG072', /too long once its expressions are filled in/);
  });

  it('toJSON of a value nested 20,000 deep (fromJSON of a param) is a diagnostic, not an internal error (bug found here, fixed)', () => {
    const repo = repository({ 'pipeline.yml': `version: 1\nparams:\n  deep: "${'['.repeat(20_000)}${']'.repeat(20_000)}"\ntasks:\n  show:\n    run: echo \${{ toJSON(fromJSON(params.deep)) }}\n` });
    refused(cli(['validate', 'pipeline.yml'], repo), 'DAG072', /nested too deeply/);
  });
});
