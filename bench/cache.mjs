#!/usr/bin/env node
// bench/cache: the content-addressed cache and the stat cache, each against a baseline measured in the same run.
//  (a) A fully cached re-run of 1,000 tasks that each write one small declared output (`dagline run -j2` once to
//      fill .dagline/cache, then median of 5), against `node -e 0`; also with the outputs deleted first (all
//      restored from the cache). Target: under 0.3 s.
//  (b) Hashing a 1 GiB file (warm in the page cache): digestFile (build/cache/file-digest.js: `npm run build`
//      first) in this process against `sha256sum FILE`, median of 3 each, interleaved. Target: ≥ 2.5× sha256sum.
//  (c) `dagline plan` of a task whose input is that file: the first plan hashes it and fills the stat cache
//      (.dagline/stat-cache.json), a second one (median of 5) must not read it again. Bytes read are the child's
//      rchar from /proc (Linux). Targets: re-plan rchar < 64 MiB, and re-plan time < 1/5 of the hash time.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestFile } from '../build/cache/file-digest.js';
import { figure, median, measureNode, MiB, printWhenMain, verdict } from './measure.mjs';

const BIN = new URL('../bin/dagline.js', import.meta.url).pathname;
const N = 1000;
const RUNS = 5;
const HASH_RUNS = 3;
const BLOCK = 64 << 20;
const BIG = 1 << 30;
const DATE = ['--date', '2024-03-01'];
const ENV = { CI: 'true' };

function tasksPipeline() {
  const ids = Array.from({ length: N }, (_, i) => i).join(', ');
  return `version: 1
name: bench-cache
params: { ids: [${ids}] }
tasks:
  write:
    matrix: { i: \${{ params.ids }} }
    run: echo \${{ matrix.i }} > out/t\${{ matrix.i }}.txt
    outputs: [out/t\${{ matrix.i }}.txt]
`;
}

const planPipeline = () => `version: 1
name: bench-cache-plan
tasks:
  use:
    run: wc -c big.bin
    inputs: [big.bin]
`;

/** One dagline process whose output we check (not timed); throws on a non-zero exit. */
function dagline(args, cwd) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...ENV }, encoding: 'utf8', maxBuffer: 64 * MiB });
  if (result.status !== 0) throw new Error(`dagline ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function assertAllCached(stdout, what) {
  if (!new RegExp(`^${N} cached in `, 'm').test(stdout) || stdout.includes('▶')) {
    throw new Error(`${what}: expected all ${N} tasks cached and none run; the run said:\n${stdout.split('\n').slice(-5).join('\n')}`);
  }
}

/** Every run record in `cwd` except the first (the one that filled the cache) has all N tasks cached. */
function assertRecordsCached(cwd, expected) {
  const runs = readdirSync(join(cwd, '.dagline', 'runs')).sort().slice(1);
  if (runs.length !== expected) throw new Error(`expected ${expected} cached runs on record, found ${runs.length}`);
  for (const id of runs) {
    const record = JSON.parse(readFileSync(join(cwd, '.dagline', 'runs', id, 'record.json'), 'utf8'));
    const statuses = Object.values(record.tasks).map((t) => t.status);
    if (statuses.length !== N || statuses.some((s) => s !== 'cached')) throw new Error(`run ${id} was not fully cached: ${statuses.filter((s) => s !== 'cached').length} tasks ran or failed`);
  }
}

function assertOutputsRestored(cwd) {
  for (let i = 0; i < N; i++) {
    const file = join(cwd, 'out', `t${i}.txt`);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== `${i}\n`) throw new Error(`${file} was not restored`);
  }
}

/** Bytes the process read (rchar, /proc/<pid>/io: page cache included), via a shell that reaps it; undefined off Linux. */
function readChars(args, cwd) {
  if (!existsSync('/proc/self/io')) return undefined;
  const script = '"$0" "$@" > /dev/null || exit $?; cat /proc/$$/io';
  const result = spawnSync('bash', ['-c', script, process.execPath, ...args], { cwd, env: { ...process.env, ...ENV }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return Number(/^rchar: (\d+)$/m.exec(result.stdout)[1]);
}

function writeBigFile(file) {
  const block = randomBytes(BLOCK);
  const fd = openSync(file, 'w');
  try {
    for (let at = 0; at < BIG; at += BLOCK) for (let done = 0; done < BLOCK; ) done += writeSync(fd, block, done, BLOCK - done, at + done);
  } finally {
    closeSync(fd);
  }
}

function readOnce(file) {
  const buffer = Buffer.allocUnsafe(16 * MiB);
  const fd = openSync(file, 'r');
  try {
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

const ms = (v) => `${v.toFixed(0)} ms`;
const gbps = (v) => `${(BIG / 1e9 / (v / 1000)).toFixed(2)} GB/s`;

/** Measures, and returns this bench's own table (`rows`) and its figures for the combined table (`figures`). */
export async function run() {
  const work = mkdtempSync(join(tmpdir(), 'dagline-bench-cache-'));
  try {
    mkdirSync(join(work, '.git'));

    // (a) cached re-run of 1,000 tasks
    const a = join(work, 'tasks');
    mkdirSync(join(a, 'out'), { recursive: true });
    mkdirSync(join(a, '.git'));
    writeFileSync(join(a, 'pipeline.yml'), tasksPipeline());
    const runArgs = ['run', 'pipeline.yml', '-j2', '--cache', 'local', ...DATE];
    const fillStart = process.hrtime.bigint();
    const fill = dagline(runArgs, a);
    const fillMs = Number(process.hrtime.bigint() - fillStart) / 1e6;
    if (!new RegExp(`^${N} succeeded in `, 'm').test(fill)) throw new Error(`the first run did not run all ${N} tasks:\n${fill.split('\n').slice(-5).join('\n')}`);
    assertAllCached(dagline(runArgs, a), 'second run');
    const samples = { node: [], cached: [], restored: [] };
    // Steady state first: outputs as the last run left them. Restored files were written just now, so the stat
    // cache does not trust them yet and the run after a restore re-hashes them: that is the second figure's cost.
    for (let r = 0; r < RUNS; r++) {
      samples.node.push(measureNode(['-e', '0'], { cwd: a, runs: 1 }).ms);
      samples.cached.push(measureNode([BIN, ...runArgs], { cwd: a, runs: 1, env: ENV }));
    }
    for (let r = 0; r < RUNS; r++) {
      rmSync(join(a, 'out'), { recursive: true, force: true });
      samples.restored.push(measureNode([BIN, ...runArgs], { cwd: a, runs: 1, env: ENV }));
      assertOutputsRestored(a);
    }
    assertRecordsCached(a, 1 + 2 * RUNS);
    const nodeMs = median(samples.node);
    const cachedMs = median(samples.cached.map((m) => m.ms));
    const restoredMs = median(samples.restored.map((m) => m.ms));
    const cachedPeak = Math.max(...samples.cached.map((m) => m.peakMiB));
    const restoredPeak = Math.max(...samples.restored.map((m) => m.peakMiB));

    // (b) hashing throughput on 1 GiB
    const big = join(work, 'big.bin');
    writeBigFile(big);
    const written = Date.now();
    readOnce(big);
    const hashes = { dagline: [], sha256sum: [] };
    for (let r = 0; r < HASH_RUNS; r++) {
      let start = process.hrtime.bigint();
      const sum = execFileSync('sha256sum', [big], { encoding: 'utf8' }).split(' ')[0];
      hashes.sha256sum.push(Number(process.hrtime.bigint() - start) / 1e6);
      start = process.hrtime.bigint();
      const result = await digestFile(big);
      hashes.dagline.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (!result.ok) throw new Error(`digestFile failed: ${result.error.message}`);
      if (result.value.digest !== sum || result.value.size !== BIG) throw new Error(`digestFile gave ${result.value.digest} (${result.value.size} bytes), sha256sum ${sum}`);
    }
    const hashMs = median(hashes.dagline);
    const sumMs = median(hashes.sha256sum);
    const speedup = sumMs / hashMs;

    // (c) re-plan on the 1 GiB input: the stat cache answers, the file is not read
    writeFileSync(join(work, 'plan.yml'), planPipeline());
    await sleep(Math.max(0, 1000 - (Date.now() - written))); // the stat cache does not trust files changed just before a read
    const planArgs = [BIN, 'plan', 'plan.yml', ...DATE];
    const statCache = join(work, '.dagline', 'stat-cache.json');
    const cold = measureNode(planArgs, { cwd: work, runs: 1, env: ENV });
    const entry = JSON.parse(readFileSync(statCache, 'utf8')).files['big.bin'];
    if (entry?.size !== BIG || entry.digest !== execFileSync('sha256sum', [big], { encoding: 'utf8' }).split(' ')[0]) throw new Error(`the first plan did not record big.bin in ${statCache}`);
    const warm = measureNode(planArgs, { cwd: work, runs: RUNS, env: ENV });
    const warmRead = readChars(planArgs, work);
    rmSync(statCache);
    const coldRead = readChars(planArgs, work); // the method's check: a plan without the stat cache reads the whole file
    if (coldRead !== undefined && coldRead < BIG) throw new Error(`rchar of a cold plan is ${coldRead}, below the file's ${BIG} bytes: the measurement does not work here`);
    if (statSync(big).size !== BIG) throw new Error('big.bin changed size');

    const passed = [cachedMs < 300, undefined, speedup >= 2.5, undefined, warmRead === undefined ? undefined : warmRead < 64 * MiB];
    const rows = [
      { figure: `cached re-run, ${N} tasks (-j2)`, measured: ms(cachedMs), baseline: `node -e 0: ${ms(nodeMs)}`, ratio: `${(cachedMs / nodeMs).toFixed(1)}×`, target: '< 300 ms', result: verdict(passed[0]) },
      { figure: '  … outputs deleted first (restored)', measured: ms(restoredMs), baseline: `node -e 0: ${ms(nodeMs)}`, ratio: `${(restoredMs / nodeMs).toFixed(1)}×`, target: '-', result: '-' },
      { figure: 'digestFile, 1 GiB (page cache)', measured: `${gbps(hashMs)} (${ms(hashMs)})`, baseline: `sha256sum: ${gbps(sumMs)} (${ms(sumMs)})`, ratio: `${speedup.toFixed(2)}×`, target: '≥ 2.50×', result: verdict(passed[2]) },
      { figure: 're-plan, 1 GiB input', measured: ms(warm.ms), baseline: `cold plan: ${ms(cold.ms)}`, ratio: `${(warm.ms / cold.ms).toFixed(2)}×`, target: '-', result: '-' },
      {
        figure: 're-plan, bytes read (rchar)',
        measured: warmRead === undefined ? 'n/a' : `${(warmRead / MiB).toFixed(1)} MiB`,
        baseline: coldRead === undefined ? 'n/a' : `cold plan: ${(coldRead / MiB).toFixed(0)} MiB`,
        ratio: warmRead === undefined ? '-' : `${((warmRead / coldRead) * 100).toFixed(2)}%`,
        target: '< 64 MiB',
        result: warmRead === undefined ? 'n/a' : verdict(passed[4]),
      },
    ];
    // The same rows for the combined table, with the peak RSS of the dagline processes (digestFile runs in this one).
    const peaks = [cachedPeak, restoredPeak, undefined, warm.peakMiB, undefined];
    const figures = rows.map(({ figure: name, measured, baseline, ratio, target }, i) => figure('cache', name, { measured, baseline, ratio, peakMiB: peaks[i], target, ok: passed[i] }));
    const title = `bench/cache: ${N} cached tasks (cache filled by a first run of ${ms(fillMs)}), medians of ${RUNS} (hashing: ${HASH_RUNS}, interleaved)`;
    return { title, rows, figures };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await printWhenMain(import.meta.url, run);
