import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, sha256, sleep, tempDir } from '../cache/helpers.js';
import { BIN, dagline, REPO, repository } from '../helpers/cli.js';

/**
 * Crash consistency (issue 7): `dagline run` is killed with SIGKILL at seeded random moments spread over the
 * length of a clean run of test/fixtures/crash/pipeline.yml (10 tasks in 5 layers, outputs of 100 to 500 KB so
 * that saves and restores take measurable time). After each kill, the whole process tree is killed too (a
 * SIGKILL of dagline leaves its tasks running: they are in process groups of their own), and then:
 *  1. every cache entry is complete: each blob exists with the manifest's size and sha256;
 *  2. the killed run's record is readable JSON (or absent);
 *  3. every history file parses line by line (only temporary `.tmp` files may be torn);
 *  4. a re-run succeeds, its outputs are byte-identical to a clean run's in another checkout, and every task
 *     that had an entry before it is `cached` in its record and did not run (ran.log).
 * Seed: DAGLINE_CRASH_SEED (default below); trials: DAGLINE_CRASH_TRIALS (default 50).
 */

const PIPELINE = readFileSync(join(REPO, 'test/fixtures/crash/pipeline.yml'), 'utf8');
const TASKS = ['gen_a', 'gen_b', 'gen_c', 'mix_ab', 'mix_bc', 'size_a', 'join', 'digest', 'final', 'summary'];
const DATE = '2024-03-01';
const RUN_ARGS = ['run', 'pipeline.yml', '--date', DATE, '-j', '2'];
const ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' };
const SEED = Number(process.env.DAGLINE_CRASH_SEED ?? 0x7e57c0de) >>> 0;
const TRIALS = Number(process.env.DAGLINE_CRASH_TRIALS ?? 50);

/** A cache key is `<pipeline>-<12 hex of sha256(task id)>-<fingerprint>`. */
const TASK_OF_HASH = new Map(TASKS.map((id) => [sha256(id).slice(0, 12), id]));

/** mulberry32: small, seedable, good enough to spread delays. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts `dagline run` as the leader of its own process group. */
function launch(cwd: string): { pid: number; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [BIN, ...RUN_ARGS], { cwd, env: ENV, detached: true, stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  if (child.pid === undefined) throw new Error('dagline did not start');
  return { pid: child.pid, exited };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The live processes whose working directory is `dir` or below (zombies have none): tasks of that checkout. */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) out.push(Number(name));
    } catch {
      // gone, a zombie, or not ours to see
    }
  }
  return out;
}

/**
 * Kills every process a trial left: the task groups whose leaders wrote their pid to .pids/, and anything else
 * still working in the checkout (a task started but killed before it wrote its pid). A pid from .pids/ is only
 * signalled while its working directory is still the checkout, so a recycled pid is never hit. Returns once two
 * scans in a row find nothing.
 */
async function killLeftovers(dir: string): Promise<number> {
  let killed = 0;
  let quiet = 0;
  const deadline = Date.now() + 10_000;
  while (quiet < 2) {
    if (Date.now() > deadline) throw new Error(`processes in ${dir} survive SIGKILL: ${processesIn(dir).join(', ')}`);
    const pidsDir = join(dir, '.pids');
    const fromFiles = readdirSync(pidsDir)
      .filter((f) => f !== '.keep')
      .map((f) => Number(readFileSync(join(pidsDir, f), 'utf8').trim()))
      .filter((pid) => Number.isInteger(pid) && pid > 1);
    const inDir = new Set(processesIn(dir));
    const targets = new Set([...fromFiles.filter((pid) => inDir.has(pid)), ...inDir]);
    for (const pid of targets) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // not a group leader, or already gone
        }
      }
    }
    killed += targets.size;
    quiet = targets.size === 0 ? quiet + 1 : 0;
    await sleep(targets.size === 0 ? 25 : 10);
  }
  return killed;
}

interface Entry {
  key: string;
  task: string;
}

/** Check 1: every manifest in entries/ is whole and every blob it names exists with its size and sha256. */
function checkCache(dir: string): Entry[] {
  const cache = join(dir, '.dagline/cache');
  const entriesDir = join(cache, 'entries');
  if (!existsSync(entriesDir)) return [];
  const entries: Entry[] = [];
  for (const name of readdirSync(entriesDir)) {
    if (name.endsWith('.tmp')) continue; // a manifest being written when the run was killed: not an entry
    expect(name, `unexpected file in entries/: ${name}`).toMatch(/^crash-[0-9a-f]{12}-[0-9a-f]{64}\.json$/);
    const text = readFileSync(join(entriesDir, name), 'utf8');
    let manifest: { format: unknown; key: string; files: { path: string; size: number; digest: string }[]; taskOutputs: Record<string, string> };
    try {
      manifest = JSON.parse(text);
    } catch {
      throw new Error(`cache entry ${name} is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
    }
    const key = name.slice(0, -'.json'.length);
    expect(manifest.key).toBe(key);
    const task = TASK_OF_HASH.get(key.split('-')[1] ?? '');
    if (task === undefined) throw new Error(`cache entry ${name} belongs to no task of the pipeline`);
    expect(manifest.files.length, `entry of ${task} names no file`).toBeGreaterThan(0);
    for (const file of manifest.files) {
      const blob = join(cache, 'blobs', file.digest.slice(0, 2), file.digest);
      if (!existsSync(blob)) throw new Error(`entry of ${task}: blob of ${file.path} (${file.digest}) is missing`);
      const bytes = readFileSync(blob);
      expect(bytes.length, `entry of ${task}: size of the blob of ${file.path}`).toBe(file.size);
      expect(sha256(bytes), `entry of ${task}: sha256 of the blob of ${file.path}`).toBe(file.digest);
    }
    entries.push({ key, task });
  }
  return entries;
}

/** Check 2: every run record present is readable JSON of format 1 (a killed run may not have written one). */
function checkRecords(dir: string): string[] {
  const runs = join(dir, '.dagline/runs');
  if (!existsSync(runs)) return [];
  const ids = readdirSync(runs);
  for (const id of ids) {
    const path = join(runs, id, 'record.json');
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    let record: { format: number; runId: string; tasks: object };
    try {
      record = JSON.parse(text);
    } catch {
      throw new Error(`run record ${id} is not JSON: ${JSON.stringify(text.slice(-200))}`);
    }
    expect(record.format).toBe(1);
    expect(record.runId).toBe(id);
    expect(typeof record.tasks).toBe('object');
  }
  return ids;
}

/** Check 3: every history file parses line by line and ends with a newline; only `.tmp` files may be torn. */
function checkHistory(dir: string): void {
  const history = join(dir, '.dagline/history');
  for (const file of listFiles(history)) {
    if (file.endsWith('.tmp')) continue;
    expect(file, `unexpected file in the history`).toMatch(/\.jsonl$/);
    const text = readFileSync(join(history, file), 'utf8');
    expect(text.endsWith('\n'), `history file ${file} ends with a torn line`).toBe(true);
    for (const line of text.slice(0, -1).split('\n')) {
      try {
        JSON.parse(line);
      } catch {
        throw new Error(`history file ${file} has a line that is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
      }
    }
  }
}

const ranLog = (dir: string): string[] => {
  try {
    return readFileSync(join(dir, 'ran.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/** The files below out/, path → content. */
function outputs(dir: string): Map<string, Buffer> {
  return new Map(listFiles(join(dir, 'out')).map((path) => [path, readFileSync(join(dir, 'out', path))]));
}

describe('dagline run killed with SIGKILL at random moments', () => {
  it(`leaves a consistent cache, record and history, and a re-run completes it (${TRIALS} trials)`, async () => {
    const prepared = repository({ 'pipeline.yml': PIPELINE, 'out/.keep': '', '.pids/.keep': '' });
    const trials = tempDir('dagline-crash-');

    // A clean run in a checkout of its own: the reference outputs, how long a run takes, and when its first task
    // starts (before that, dagline loads and plans: nothing to save yet).
    const timeClean = async (name: string): Promise<{ dir: string; ms: number; firstTaskMs: number }> => {
      const dir = join(trials, name);
      cpSync(prepared, dir, { recursive: true });
      const startedAt = Date.now();
      const started = performance.now();
      const { exited } = launch(dir);
      const { code } = await exited;
      const ms = performance.now() - started;
      expect(code, `clean run in ${dir}`).toBe(0);
      await killLeftovers(dir);
      const [runId] = readdirSync(join(dir, '.dagline/runs'));
      const record = JSON.parse(readFileSync(join(dir, '.dagline/runs', runId ?? '', 'record.json'), 'utf8')) as { tasks: Record<string, { start: string }> };
      const firstTaskMs = Math.min(...Object.values(record.tasks).map((t) => Date.parse(t.start))) - startedAt;
      return { dir, ms, firstTaskMs };
    };
    const reference = await timeClean('reference');
    const second = await timeClean('second');
    const expected = outputs(reference.dir);
    expect([...expected.keys()].length).toBeGreaterThan(10);
    expect(outputs(second.dir)).toEqual(expected);
    rmSync(second.dir, { recursive: true, force: true });
    const cleanMs = Math.max(reference.ms, second.ms);
    const firstTaskMs = Math.min(Math.max(reference.firstTaskMs, second.firstTaskMs, 0), cleanMs);

    // Stratified and seeded: a fifth of the trials are killed while dagline starts (before its first task), the
    // rest while tasks run and save; trial i lands in the i-th slice of its interval, at a seeded place in it.
    const random = rng(SEED);
    const early = Math.ceil(TRIALS / 5);
    const delays = Array.from({ length: TRIALS }, (_, i) =>
      Math.round(i < early ? ((i + random()) / early) * firstTaskMs : firstTaskMs + ((i - early + random()) / (TRIALS - early)) * (cleanMs - firstTaskMs)),
    );
    const saved: number[] = [];
    const describeRun = (i: number) =>
      `seed ${SEED} (DAGLINE_CRASH_SEED), trial ${i} of ${TRIALS}, killed after ${delays[i]} ms; clean run ${Math.round(cleanMs)} ms, first task at ${firstTaskMs} ms; delays: ${delays.join(' ')}`;

    for (let i = 0; i < TRIALS; i++) {
      const dir = join(trials, `trial-${i}`);
      cpSync(prepared, dir, { recursive: true });
      try {
        const { pid, exited } = launch(dir);
        let finished = false;
        void exited.then(() => (finished = true));
        await sleep(delays[i] ?? 0);
        const finishedBeforeKill = finished;
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // it had already finished
        }
        await exited;
        expect(alive(pid)).toBe(false);
        await killLeftovers(dir);

        const entries = checkCache(dir);
        const killedRuns = checkRecords(dir);
        expect(killedRuns.length).toBeLessThanOrEqual(1);
        checkHistory(dir);
        saved.push(finishedBeforeKill ? -1 : entries.length);

        // Check 4: a re-run completes the work, re-running nothing already saved.
        const before = ranLog(dir).length;
        const savedTasks = new Set(entries.map((e) => e.task));
        const rerun = dagline(RUN_ARGS, { cwd: dir, env: { NO_COLOR: '1' } });
        expect(rerun.status, `re-run: ${rerun.stdout}${rerun.stderr}`).toBe(0);
        const runIds = checkRecords(dir).filter((id) => !killedRuns.includes(id));
        expect(runIds).toHaveLength(1);
        const record = JSON.parse(readFileSync(join(dir, '.dagline/runs', runIds[0] ?? '', 'record.json'), 'utf8')) as {
          status: string;
          tasks: Record<string, { status: string }>;
        };
        expect(record.status).toBe('succeeded');
        const ranAgain = ranLog(dir).slice(before);
        for (const task of TASKS) {
          const status = record.tasks[task]?.status;
          if (savedTasks.has(task)) {
            expect(status, `${task} had a cache entry before the re-run`).toBe('cached');
            expect(ranAgain, `${task} had a cache entry before the re-run, and ran again`).not.toContain(task);
          } else {
            expect(status, `${task} had no cache entry before the re-run`).toBe('succeeded');
          }
        }
        expect(new Set(ranAgain)).toEqual(new Set(TASKS.filter((t) => !savedTasks.has(t))));
        expect(ranAgain).toHaveLength(TASKS.length - savedTasks.size);
        expect(processesIn(dir), 'processes left by the re-run').toEqual([]);

        const got = outputs(dir);
        expect([...got.keys()]).toEqual([...expected.keys()]);
        for (const [path, content] of expected) expect(got.get(path)?.equals(content), `out/${path} differs from the clean run's`).toBe(true);
        expect(checkCache(dir).map((e) => e.task).sort()).toEqual([...TASKS].sort());
        checkHistory(dir);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        throw new Error(`${message}\n${describeRun(i)}\ncheckout kept: ${dir} (removed after the test file)`, { cause: e });
      }
      rmSync(dir, { recursive: true, force: true });
    }

    // The kills must have landed all over the run: some before anything was saved, some with part of it saved.
    const summary = `entries saved when killed (-1: the run had finished): ${saved.join(' ')}; seed ${SEED}; clean run ${Math.round(cleanMs)} ms, first task at ${firstTaskMs} ms`;
    expect(saved.filter((n) => n === 0).length, summary).toBeGreaterThan(0);
    expect(saved.filter((n) => n > 0 && n < TASKS.length).length, summary).toBeGreaterThanOrEqual(3);
    if (process.env.DAGLINE_CRASH_VERBOSE) console.log(summary);
  }, 180_000);
});
