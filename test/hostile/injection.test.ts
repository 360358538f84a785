/**
 * Hostile values (`; rm -rf`, `$(…)`, backticks, quotes, newlines, globs, `${VAR}`) in matrix values, params
 * (declared and given with --param) and upstream outputs, through the REAL `dagline run`: each reaches the task
 * as ONE literal argument, in `args:` and in `run:` scripts (bash and sh), and nothing they spell is executed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { dagline, repository } from '../helpers/cli.js';

const HOSTILE = [
  'a; rm -rf ./victim',
  '$(touch pwned-subshell)',
  '`touch pwned-backtick`',
  `it's "quoted" \\ back\\slash`,
  'line one\nline two; touch pwned-newline',
  '${HOME} $PATH *',
  '-e',
  '  spaced  ',
  "'; touch pwned-quote; '",
  '| touch pwned-pipe && echo >',
];

/** Appends its argument list (after the log file name) as one JSON line. */
const ARGV = `require('fs').appendFileSync(process.argv[2], JSON.stringify({ from: process.argv[3], args: process.argv.slice(4) }) + '\\n');\n`;

function logged(repo: string): { from: string; args: string[] }[] {
  return readFileSync(join(repo, 'argv.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { from: string; args: string[] });
}

function noCanaries(repo: string): void {
  expect(existsSync(join(repo, 'victim/keep'))).toBe(true);
  for (const f of ['pwned-subshell', 'pwned-backtick', 'pwned-newline', 'pwned-quote', 'pwned-pipe']) expect(existsSync(join(repo, f)), f).toBe(false);
}

describe('hostile values reach the task as one literal argument', () => {
  it('matrix values and params, in args: and in run: scripts under bash and sh', () => {
    // YAML.stringify writes each hostile value as a correct YAML scalar.
    const pipeline = YAML.stringify({
      version: 1,
      params: { p: HOSTILE[0], q: HOSTILE[4], given: 'default' },
      tasks: {
        by_args: { matrix: { v: HOSTILE }, args: ['node', 'argv.cjs', 'argv.log', 'matrix-args', '${{ matrix.v }}'] },
        by_bash: { matrix: { v: HOSTILE }, run: 'node argv.cjs argv.log matrix-bash ${{ matrix.v }}' },
        by_sh: { matrix: { v: HOSTILE }, shell: 'sh', run: 'node argv.cjs argv.log matrix-sh ${{ matrix.v }}' },
        params_run: { run: 'node argv.cjs argv.log params-run ${{ params.p }} ${{ params.q }} ${{ params.given }}' },
        params_args: { args: ['node', 'argv.cjs', 'argv.log', 'params-args', '${{ params.p }}', '${{ params.q }}', '${{ params.given }}'] },
      },
    });
    const repo = repository({ 'pipeline.yml': pipeline, 'argv.cjs': ARGV, 'victim/keep': 'x' });
    const given = '$(touch pwned-subshell) `touch pwned-backtick`; rm -rf ./victim';
    const result = dagline(['run', 'pipeline.yml', '--date', '2024-03-01', '--param', `given="${given.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`], { cwd: repo });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    noCanaries(repo);

    const lines = logged(repo);
    for (const from of ['matrix-args', 'matrix-bash', 'matrix-sh']) {
      const seen = lines.filter((l) => l.from === from);
      expect(seen.every((l) => l.args.length === 1), from).toBe(true);
      expect(seen.map((l) => l.args[0]).sort()).toEqual([...HOSTILE].sort());
    }
    for (const from of ['params-run', 'params-args']) {
      expect(lines.filter((l) => l.from === from).map((l) => l.args)).toEqual([[HOSTILE[0], HOSTILE[4], given]]);
    }
  });

  it('upstream outputs (key=value and multi-line blocks) read by a downstream task, in args:, run: and the environment', () => {
    const write = [
      "const fs = require('fs');",
      `const values = ${JSON.stringify(HOSTILE)};`,
      "let out = 'semi=' + values[0] + '\\n' + 'sub=' + values[1] + '\\n' + 'tick=' + values[2] + '\\n' + 'quote=' + values[3] + '\\n';",
      "out += 'multi<<ZZ_END\\n' + values[4] + '\\nZZ_END\\n';",
      'fs.appendFileSync(process.env.DAGLINE_OUTPUT, out);',
    ].join('\n');
    const refs = ['semi', 'sub', 'tick', 'quote', 'multi'].map((k) => `\${{ needs.produce.outputs.${k} }}`);
    const pipeline = YAML.stringify({
      version: 1,
      tasks: {
        produce: { args: ['node', 'produce.cjs'] },
        by_args: { needs: ['produce'], args: ['node', 'argv.cjs', 'argv.log', 'outputs-args', ...refs] },
        by_run: { needs: ['produce'], run: `node argv.cjs argv.log outputs-run ${refs.join(' ')}` },
        by_env: { needs: ['produce'], run: 'node argv.cjs argv.log outputs-env "$DAGLINE_NEEDS_PRODUCE_SUB" "$DAGLINE_NEEDS_PRODUCE_MULTI"' },
      },
    });
    const repo = repository({ 'pipeline.yml': pipeline, 'argv.cjs': ARGV, 'produce.cjs': write, 'victim/keep': 'x' });
    const result = dagline(['run', 'pipeline.yml', '--date', '2024-03-01'], { cwd: repo });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    noCanaries(repo);
    const lines = logged(repo);
    const expected = [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3], HOSTILE[4]];
    expect(lines.find((l) => l.from === 'outputs-args')?.args).toEqual(expected);
    expect(lines.find((l) => l.from === 'outputs-run')?.args).toEqual(expected);
    expect(lines.find((l) => l.from === 'outputs-env')?.args).toEqual([HOSTILE[1], HOSTILE[4]]);
  });
});
