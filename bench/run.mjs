#!/usr/bin/env node
// bench/run: 1,000 no-op tasks (start → 1,000 in parallel → join) at concurrency 2, against
// `xargs -P2 -n1 bash -c true` running the same 1,000 commands in the same run (the spawn floor),
// and Snakemake 7 on the same shape when it is installed (shared/peers/Snakefile). Also dagline with
// DAGLINE_LAUNCHER=off (tasks spawned from the dagline process, not by launchers), to keep that difference measured.
// Target (issue 3): dagline within 2.5× of xargs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, measureNode, table } from './measure.mjs';

const BIN = new URL('../bin/dagline.js', import.meta.url).pathname;
const SNAKEFILE = new URL('../../shared/peers/Snakefile', import.meta.url).pathname;
const N = 1000;
const RUNS = 5;

function pipeline() {
  const ids = Array.from({ length: N }, (_, i) => i).join(', ');
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

function timeShell(command, cwd, runs = RUNS) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    execFileSync('bash', ['-c', command], { cwd, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
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
    // The same without launchers (src/run/launcher.ts): every task spawned from the dagline process itself.
    samples.direct.push(measureNode(args, { cwd: work, runs: 1, env: { CI: 'true', DAGLINE_LAUNCHER: 'off' } }));
  }
  const xargs = median(samples.xargs);
  const summary = (runs) => ({ ms: median(runs.map((run) => run.ms)), peakMiB: Math.max(...runs.map((run) => run.peakMiB)) });
  const dagline = summary(samples.dagline);
  const direct = summary(samples.direct);
  const snake = snakemake(work);
  const rows = [
    { runner: 'xargs -P2 -n1 bash -c true', 'wall ms (median)': xargs.toFixed(0), 'per task ms': (xargs / N).toFixed(2), 'vs xargs': '1.00×', 'peak MiB': '-' },
    { runner: 'dagline run -j2', 'wall ms (median)': dagline.ms.toFixed(0), 'per task ms': (dagline.ms / N).toFixed(2), 'vs xargs': `${(dagline.ms / xargs).toFixed(2)}×`, 'peak MiB': dagline.peakMiB.toFixed(0) },
    { runner: 'dagline run -j2, no launcher', 'wall ms (median)': direct.ms.toFixed(0), 'per task ms': (direct.ms / N).toFixed(2), 'vs xargs': `${(direct.ms / xargs).toFixed(2)}×`, 'peak MiB': direct.peakMiB.toFixed(0) },
  ];
  if (snake !== undefined) rows.push({ runner: 'snakemake -j2', 'wall ms (median)': snake.toFixed(0), 'per task ms': (snake / N).toFixed(2), 'vs xargs': `${(snake / xargs).toFixed(2)}×`, 'peak MiB': '-' });
  console.log(`${N + 2} tasks, concurrency 2, target: dagline within 2.50× of xargs\n`);
  console.log(table(rows));
} finally {
  rmSync(work, { recursive: true, force: true });
}
