// Micro-benchmark for src/run/process.ts: how fast can we start and reap 1,000 no-op tasks (`bash -c true`)
// at concurrency 2? Baseline: `xargs -P2 -n1 bash -c true`, measured in the same run.
//
//   node bench/spawn.mjs [tasks=1000] [runs=5]
//
// Rows: xargs; bare child_process.spawn (stdio ignored); spawn with a per-task log fd (open 'a', close after
// exit) and a process group; execa with lean options (same fds, detached, buffer off, cleanup off, …); execa
// with default options; and runProcess itself (build/run/process.js: `npm run build` first), through its
// launchers (src/run/launcher.pl) and with DAGLINE_LAUNCHER=off (spawned from this process).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { median, table } from './measure.mjs';

const TASKS = Number(process.argv[2] ?? 1000);
const RUNS = Number(process.argv[3] ?? 5);
const CONCURRENCY = 2;
const dir = mkdtempSync(join(tmpdir(), 'dagline-spawn-bench-'));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' };
// The built module (npm run bench builds first).
const { launcherTesting, runProcess } = await import('../build/run/process.js');

/** Runs `task(i)` for i in [0, TASKS) with at most CONCURRENCY in flight; resolves when all are done. */
async function pool(task) {
  let next = 0;
  const worker = async () => {
    while (next < TASKS) await task(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const spawnBare = () =>
  new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'true'], { stdio: 'ignore', env });
    child.once('error', reject);
    child.once('exit', resolve);
  });

const spawnLogFd = (i) =>
  new Promise((resolve, reject) => {
    const fd = openSync(join(dir, `spawn-${i % 50}.log`), 'a');
    const child = spawn('bash', ['-c', 'true'], { stdio: ['ignore', fd, fd], env, cwd: dir, detached: true });
    child.once('error', (e) => (closeSync(fd), reject(e)));
    child.once('exit', (code) => {
      closeSync(fd);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      resolve(code);
    });
  });

const execaLean = async (i) => {
  const fd = openSync(join(dir, `execa-${i % 50}.log`), 'a');
  try {
    await execa('bash', ['-c', 'true'], {
      stdin: 'ignore',
      stdout: fd,
      stderr: fd,
      env,
      extendEnv: false,
      cwd: dir,
      detached: true,
      buffer: false,
      stripFinalNewline: false,
      cleanup: false,
      reject: false,
      forceKillAfterDelay: false,
      verbose: 'none',
    });
  } finally {
    closeSync(fd);
  }
};

const execaDefault = () => execa('bash', ['-c', 'true']);

const runProcessTask = async (i) => {
  const outcome = await runProcess({
    file: 'bash',
    args: ['-c', 'true'],
    cwd: dir,
    env,
    timeoutMs: 60_000,
    killGraceMs: 5_000,
    logFile: join(dir, 'run', `task-${i % 50}.log`),
  });
  if (outcome.exitCode !== 0) throw new Error(`runProcess: ${JSON.stringify(outcome)}`);
};

async function withoutLaunchers(fn) {
  process.env.DAGLINE_LAUNCHER = 'off';
  try {
    await fn();
  } finally {
    delete process.env.DAGLINE_LAUNCHER;
  }
}

const xargs = () => {
  const input = 'x\n'.repeat(TASKS);
  const result = spawnSync('xargs', ['-P2', '-n1', 'bash', '-c', 'true'], { input, stdio: ['pipe', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`xargs exited ${result.status}`);
};

async function time(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const variants = [
  ['xargs -P2 -n1 bash -c true', xargs],
  ['child_process.spawn (stdio ignore)', () => pool(spawnBare)],
  ['child_process.spawn (log fd, group)', () => pool(spawnLogFd)],
  ['execa lean (log fd, group)', () => pool(execaLean)],
  ['execa default', () => pool(execaDefault)],
  ['runProcess (launchers)', () => pool(runProcessTask), () => launcherTesting.ready()],
  ['runProcess (DAGLINE_LAUNCHER=off)', () => withoutLaunchers(() => pool(runProcessTask))],
];

try {
  const samples = new Map(variants.map(([name]) => [name, []]));
  await pool(spawnBare); // warm up the page cache and the JIT
  // Interleave the variants run by run, so a noisy moment on the machine does not hit one variant only.
  for (let r = 0; r < RUNS; r++) {
    for (const [name, fn, prepare] of variants) {
      await prepare?.(); // launchers end after a second without tasks: have them up before the clock starts
      samples.get(name).push(await time(fn));
    }
  }
  const base = median(samples.get(variants[0][0]));
  const rows = variants.map(([name]) => {
    const ms = median(samples.get(name));
    return {
      variant: name,
      tasks: TASKS,
      [`ms (median of ${RUNS})`]: ms.toFixed(0),
      'vs xargs': `${(ms / base).toFixed(2)}×`,
      'ms/task': (ms / TASKS).toFixed(2),
    };
  });
  console.log(`${TASKS} × bash -c true at concurrency ${CONCURRENCY}, Node ${process.version}\n`);
  console.log(table(rows));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
