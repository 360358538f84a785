import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PEAK = new URL('./peak-memory.mjs', import.meta.url).pathname;

/** Median wall time (ms) and the largest peak RSS (MiB) of a node script over `runs` real processes. */
export function measureNode(args, { cwd, runs = 5, env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'dagline-bench-'));
  const rssFile = join(dir, 'rss');
  const times = [];
  try {
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      const result = spawnSync(process.execPath, ['--import', PEAK, ...args], {
        cwd,
        env: { ...process.env, ...env, DAGLINE_BENCH_RSS_FILE: rssFile },
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
      });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    }
    const peaks = readFileSync(rssFile, 'utf8').trim().split('\n').map(Number);
    return { ms: median(times), peakMiB: Math.max(...peaks) / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function table(rows) {
  const header = Object.keys(rows[0]);
  const cells = [header, ...rows.map((r) => header.map((h) => String(r[h])))];
  const widths = header.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  return cells.map((c) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`).join('\n').replace(/\n/, `\n| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |\n`);
}

/** Median wall time (ms) of a shell command over `runs` runs (for baselines that are not node: xargs and the like). */
export function timeShell(command, cwd, runs = 5) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    execFileSync('bash', ['-c', command], { cwd, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

/** True when the module at `url` (pass import.meta.url) is the script node was started with, not an import. */
export function isMain(url) {
  return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(url));
}

/** A bench module started directly (`node bench/run.mjs`) prints its own table; imported, it only exports run(). */
export async function printWhenMain(url, run) {
  if (!isMain(url)) return;
  const { title, rows } = await run();
  if (title !== undefined) console.log(`${title}\n`);
  console.log(table(rows));
}

export const MB = 1e6;
export const MiB = 1 << 20;
export const verdict = (ok) => (ok === undefined ? '-' : ok ? 'pass' : 'FAIL');

/**
 * One row of the combined table (bench/all.mjs): every bench's `run()` returns these next to its own table.
 * `peakMiB` is the measured process's peak RSS, undefined when it is not a dagline process; `ok` undefined
 * when the figure has no target.
 */
export function figure(bench, name, { measured, baseline = '-', ratio = '-', peakMiB, target = '-', ok }) {
  return { bench, figure: name, measured, baseline, ratio, 'peak MiB': peakMiB === undefined ? '-' : peakMiB.toFixed(0), target, result: verdict(ok) };
}
