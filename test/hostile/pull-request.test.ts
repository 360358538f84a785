/**
 * A pull request's pipeline is untrusted: `dagline validate` and `dagline plan` (what the action runs on
 * pull_request) must not run any of its code, and must finish promptly whatever it points at. Every pipeline
 * here tries to create CANARY; REAL CLI processes with a hard kill after HARD_MS so a hang fails fast.
 * (The action's own pull_request path is covered by test/action/action.test.ts: plan only, no canary.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, repository } from '../helpers/cli.js';

const BOUND_MS = 5_000;
const HARD_MS = 10_000;

function cli(args: string[], cwd: string, hardMs = HARD_MS) {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    timeout: hardMs,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}`, ms: performance.now() - started };
}

/** validate and plan both end by themselves, promptly, without an internal error, and nothing ran. */
function nothingRuns(repo: string, file = 'pipeline.yml', hardMs = HARD_MS): string {
  let all = '';
  for (const command of ['validate', 'plan']) {
    const result = cli([command, file, '--date', '2024-03-01'], repo, hardMs);
    all += result.out;
    expect(result.signal, `${command} was killed after ${hardMs} ms (hang or out of memory)`).toBeNull();
    expect(result.out).not.toMatch(/internal error|heap out of memory/);
    expect([0, 1]).toContain(result.status);
    expect(result.ms, command).toBeLessThan(BOUND_MS);
    expect(existsSync(join(repo, 'CANARY')), `${command} ran pipeline code`).toBe(false);
  }
  return all;
}

const TOUCH = `require('fs').writeFileSync(require('path').join(process.cwd(), 'CANARY'), 'ran')`;

describe('a pull-request plan runs nothing from the pipeline', () => {
  it('YAML tags (!!js/function, !!js/eval, !!python/object, custom) are data or errors, never code', () => {
    const repo = repository({
      'pipeline.yml': `version: 1
params:
  f: !!js/function "function () { ${TOUCH} }"
  g: !!js/eval "${TOUCH}"
  h: !!python/object/apply:os.system ["touch CANARY"]
  i: !custom "${TOUCH}"
tasks:
  canary:
    run: touch CANARY && echo \${{ params.f }} \${{ params.g }}
`,
    });
    nothingRuns(repo);
  });

  it('${{ }} tricks: constructor chains, prototype keys, fromJSON/toJSON/format payloads', () => {
    const repo = repository({
      'pipeline.yml': `version: 1
params:
  p: x
  code: "${TOUCH.replaceAll('"', '\\"')}"
tasks:
  a:
    run: touch CANARY; echo \${{ params.constructor }} \${{ params.__proto__ }} \${{ params['constructor']['constructor'] }}
    if: \${{ fromJSON('{"__proto__": {"polluted": true}}').polluted }}
  b:
    run: touch CANARY; echo \${{ format('{0}', toJSON(params)) }} \${{ fromJSON(params.code) }}
  c:
    run: touch CANARY; echo \${{ params.p.constructor.constructor(params.code)() }}
`,
    });
    const out = nothingRuns(repo);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(out).toMatch(/DAG0\d\d/); // the call of a non-function and fromJSON of JS code are errors
  });

  it('a matrix `from:` file that is /dev/zero (absolute) or climbs out: refused before it is read', () => {
    const repo = repository({
      'pipeline.yml': `version: 1
tasks:
  t:
    matrix:
      a: { from: /dev/zero }
      b: { from: ../../../../dev/zero }
    run: touch CANARY
`,
    });
    expect(nothingRuns(repo)).toMatch(/DAG0\d\d/);
  });

  it('a matrix `from:` file that is a symlink in the repo to /dev/zero: a clear error, promptly', () => {
    const repo = repository({ 'pipeline.yml': 'version: 1\ntasks:\n  t:\n    matrix:\n      a: { from: zero.json }\n    run: touch CANARY\n' });
    symlinkSync('/dev/zero', join(repo, 'zero.json'));
    expect(nothingRuns(repo, 'pipeline.yml', 3_000)).toMatch(/DAG0\d\d/);
  });

  (process.platform === 'win32' ? it.skip : it)('a matrix `from:` file that is a FIFO: a clear error, promptly', () => {
    const repo = repository({ 'pipeline.yml': 'version: 1\ntasks:\n  t:\n    matrix:\n      a: { from: fifo.json }\n    run: touch CANARY\n' });
    expect(spawnSync('mkfifo', [join(repo, 'fifo.json')]).status).toBe(0);
    expect(nothingRuns(repo, 'pipeline.yml', 3_000)).toMatch(/DAG0\d\d/);
  });

  it('an `inputs:` glob over a large tree (3,000 files in 300 folders) with a symlink loop in it: plan finishes promptly', () => {
    const repo = repository({
      'pipeline.yml': `version: 1
tasks:
  t:
    inputs: ['**/*', 'data/**']
    run: touch CANARY
`,
    });
    for (let d = 0; d < 100; d++) {
      const dir = join(repo, 'data', `d${d}`, 'x', 'y');
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 30; f++) writeFileSync(join(dir, `f${f}.csv`), `${d},${f}\n`);
    }
    symlinkSync('..', join(repo, 'data', 'd0', 'loop'));
    symlinkSync(repo, join(repo, 'data', 'root-loop'));
    nothingRuns(repo);
  });
});
