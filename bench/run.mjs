#!/usr/bin/env node
// bench/run: 1,000 no-op tasks (start → 1,000 in parallel → join) at concurrency 2, against
// `xargs -P2 -n1 bash -c true` running the same 1,000 commands in the same run (the spawn floor),
// and Snakemake 7 on the same shape when it is installed (shared/peers/Snakefile). Also dagline with
// DAGLINE_LAUNCHER=off (tasks spawned from the dagline process, not by launchers), to keep that difference measured.
// Target (issue 3): dagline within 2.5× of xargs.
// Then once (issue 7): the same shape with 10,000 tasks, dagline's peak RSS (the dagline process: launchers not
// included) within 300 MB, and its wall time against xargs on the same 10,002 commands (one run each).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, MB, median, measureNode, MiB, printWhenMain, timeShell } from './measure.mjs';

const BIN = new URL('../bin/dagline.js', import.meta.url).pathname;
const SNAKEFILE = new URL('../../shared/peers/Snakefile', import.meta.url).pathname;
const N = 1000;
const BIG_N = 10_000;
const RUNS = 5;

function pipeline(n = N) {
  const ids = Array.from({ length: n }, (_, i) => i).join(', ');
  return `version: 1
name: bench-run
params: { ids: [${ids}] }
tasks:
  start: { run: "true", cache: false }
  task:
    needs: [start]
    matrix: { i: \${{ params.ids }} }
    run: "true"
    cache: false
  join: { needs: [task], run: "true", cache: false }
`;
}

function snakemake(work) {
  if (spawnSync('snakemake', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const dir = join(work, 'snakemake');
  const times = [];
  for (let i = 0; i < 3; i++) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const start = process.hrtime.bigint();
    execFileSync('snakemake', ['-s', SNAKEFILE, '-j2', '-q'], { cwd: dir, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

const ratio = (ms, xargs) => `${(ms / xargs).toFixed(2)}×`;

/** Measures, and returns this bench's own table (`rows`) and its figures for the combined table (`figures`). */
export async function run() {
  const work = mkdtempSync(join(tmpdir(), 'dagline-bench-run-'));
  try {
    mkdirSync(join(work, '.git'));
    writeFileSync(join(work, 'pipeline.yml'), pipeline());
    writeFileSync(join(work, 'commands'), 'true\n'.repeat(N + 2));
    const args = [BIN, 'run', 'pipeline.yml', '--concurrency', '2', '--date', '2024-03-01'];
    // Round by round, so that a noisy moment on the machine does not hit one runner only.
    const samples = { xargs: [], dagline: [], direct: [] };
    for (let r = 0; r < RUNS; r++) {
      samples.xargs.push(timeShell('xargs -P2 -n1 bash -c < commands', work, 1));
      samples.dagline.push(measureNode(args, { cwd: work, runs: 1, env: { CI: 'true' } }));
      // The same without launchers (src/run/launcher.pl): every task spawned from the dagline process itself.
      samples.direct.push(measureNode(args, { cwd: work, runs: 1, env: { CI: 'true', DAGLINE_LAUNCHER: 'off' } }));
    }
    const xargs = median(samples.xargs);
    const summary = (runs) => ({ ms: median(runs.map((run) => run.ms)), peakMiB: Math.max(...runs.map((run) => run.peakMiB)) });
    const dagline = summary(samples.dagline);
    const direct = summary(samples.direct);
    const snake = snakemake(work);

    // 10,000 tasks, once each: the peak memory figure.
    writeFileSync(join(work, 'pipeline-10k.yml'), pipeline(BIG_N));
    writeFileSync(join(work, 'commands-10k'), 'true\n'.repeat(BIG_N + 2));
    const bigXargs = timeShell('xargs -P2 -n1 bash -c < commands-10k', work, 1);
    const big = measureNode([BIN, 'run', 'pipeline-10k.yml', '--concurrency', '2', '--date', '2024-03-01'], { cwd: work, runs: 1, env: { CI: 'true' } });

    const row = (runner, tasks, ms, base, peakMiB) => ({
      runner,
      tasks,
      'wall ms (median)': ms.toFixed(0),
      'per task ms': (ms / tasks).toFixed(2),
      'vs xargs': ratio(ms, base),
      'peak MiB': peakMiB === undefined ? '-' : peakMiB.toFixed(0),
    });
    const rows = [
      row('xargs -P2 -n1 bash -c true', N + 2, xargs, xargs),
      row('dagline run -j2', N + 2, dagline.ms, xargs, dagline.peakMiB),
      row('dagline run -j2, no launcher', N + 2, direct.ms, xargs, direct.peakMiB),
      ...(snake === undefined ? [] : [row('snakemake -j2', N + 2, snake, xargs)]),
      row('xargs -P2 -n1 bash -c true (1 run)', BIG_N + 2, bigXargs, bigXargs),
      row('dagline run -j2 (1 run)', BIG_N + 2, big.ms, bigXargs, big.peakMiB),
    ];
    const versus = `xargs: ${xargs.toFixed(0)} ms`;
    const figures = [
      figure('run', `dagline run -j2, ${N + 2} tasks`, { measured: `${dagline.ms.toFixed(0)} ms`, baseline: versus, ratio: ratio(dagline.ms, xargs), peakMiB: dagline.peakMiB, target: '≤ 2.50× xargs', ok: dagline.ms / xargs <= 2.5 }),
      figure('run', '  … no launcher', { measured: `${direct.ms.toFixed(0)} ms`, baseline: versus, ratio: ratio(direct.ms, xargs), peakMiB: direct.peakMiB }),
      ...(snake === undefined ? [] : [figure('run', `snakemake -j2, ${N + 2} tasks (3 runs)`, { measured: `${snake.toFixed(0)} ms`, baseline: versus, ratio: ratio(snake, xargs) })]),
      figure('run', `dagline run -j2, ${BIG_N + 2} tasks (1 run)`, {
        measured: `${big.ms.toFixed(0)} ms`,
        baseline: `xargs: ${bigXargs.toFixed(0)} ms`,
        ratio: ratio(big.ms, bigXargs),
        peakMiB: big.peakMiB,
        target: '< 300 MB peak',
        ok: big.peakMiB * MiB < 300 * MB,
      }),
    ];
    return { title: `bench/run: concurrency 2, target: dagline within 2.50× of xargs (${N + 2} tasks), < 300 MB peak (${BIG_N + 2} tasks)`, rows, figures };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await printWhenMain(import.meta.url, run);
