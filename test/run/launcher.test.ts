import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { launcherTesting, runProcess } from '../../src/run/process.js';
import type { ProcessSpec } from '../../src/run/process.js';
import { processIsLive } from '../../src/run/process-tree.js';

const LAUNCHER = fileURLToPath(new URL('../../src/run/launcher.pl', import.meta.url));
const BUILT_PROCESS = fileURLToPath(new URL('../../build/run/process.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'dagline-launcher-'));
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' };
/** Every pid a test saw, so that a failing test cannot leave one running. */
const seen: number[] = [];
let counter = 0;

afterEach(() => {
  delete process.env.DAGLINE_LAUNCHER;
  launcherTesting.reset();
});

afterAll(() => {
  for (const pid of seen) if (processIsLive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function folder(): string {
  const dir = join(root, String(++counter));
  mkdirSync(dir);
  return dir;
}

function spec(dir: string, script: string, overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    file: 'bash',
    args: ['-c', script],
    cwd: dir,
    env: { ...ENV, DIR: dir },
    timeoutMs: 20_000,
    killGraceMs: 2_000,
    logFile: join(dir, 'logs', 'task.log'),
    ...overrides,
  };
}

/** Waits up to `withinMs` for `check` to hold. */
async function eventually(check: () => boolean, withinMs = 3_000): Promise<boolean> {
  const deadline = performance.now() + withinMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** The number a task wrote to `<dir>/<name>`, once it has. */
async function numberIn(dir: string, name: string): Promise<number> {
  const file = join(dir, name);
  expect(await eventually(() => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n'))).toBe(true);
  const value = Number(readFileSync(file, 'utf8').trim());
  if (value !== process.pid) seen.push(value);
  return value;
}

/** A stand-in for launcher.pl (Perl source). */
function fakeLauncher(source: string): string {
  const file = join(folder(), 'launcher.pl');
  writeFileSync(file, source);
  return file;
}

/** The launcher's "ready" frame: kind 0, id 0, no payload. */
const READY = 'syswrite(STDOUT, "\\0" x 9);';

describe('launcher', () => {
  it('starts the tasks: a task is its child', async () => {
    const launcher = await launcherTesting.ready();
    expect(launcher).toBeDefined();
    const dir = folder();
    const outcome = await runProcess(spec(dir, 'echo $PPID > "$DIR/ppid"'));
    expect(outcome.exitCode).toBe(0);
    expect(launcherTesting.pids()).toContain(await numberIn(dir, 'ppid'));
  });

  it('runs tasks side by side', async () => {
    await launcherTesting.ready();
    const start = performance.now();
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => runProcess(spec(folder(), 'sleep 0.4'))));
    expect(outcomes.map((outcome) => outcome.exitCode)).toEqual([0, 0, 0, 0]);
    expect(performance.now() - start).toBeLessThan(1_500);
    expect(launcherTesting.pids().length).toBeLessThanOrEqual(2);
  });

  it('ends when its stdin closes, and not on SIGINT, SIGTERM or SIGHUP', async () => {
    const child = spawn('perl', [LAUNCHER], { stdio: ['pipe', 'pipe', 'inherit'] });
    seen.push(child.pid as number);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise((resolve) => child.stdout.once('data', resolve)); // ready
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) child.kill(signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(child.exitCode).toBeNull();
    child.stdin.end();
    expect(await exited).toBe(0);
  });

  it('ends when the process that started it is killed with SIGKILL', async () => {
    const parent = spawn(
      process.execPath,
      ['-e', `const c = require('node:child_process').spawn('perl', [${JSON.stringify(LAUNCHER)}], { stdio: ['pipe', 'pipe', 'inherit'], detached: true }); c.stdout.once('data', () => console.log(c.pid)); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
    seen.push(pid, parent.pid as number);
    expect(processIsLive(pid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await eventually(() => !processIsLive(pid))).toBe(true);
  });

  it('is not changed by the Perl variables of the environment it starts in', async () => {
    process.env.PERL5OPT = '-MNo::Such::Module';
    try {
      expect(await launcherTesting.ready()).toBeDefined();
      const dir = folder();
      const outcome = await runProcess(spec(dir, 'echo $PPID > "$DIR/ppid"'));
      expect(outcome.exitCode).toBe(0);
      expect(launcherTesting.pids()).toContain(await numberIn(dir, 'ppid'));
    } finally {
      delete process.env.PERL5OPT;
    }
  });

  it('ends after a second without tasks', async () => {
    const launcher = await launcherTesting.ready();
    expect((await runProcess(spec(folder(), 'true'))).exitCode).toBe(0);
    expect(processIsLive(launcher?.pid as number)).toBe(true);
    expect(await eventually(() => !processIsLive(launcher?.pid as number), 3_000)).toBe(true);
    expect(launcherTesting.pids()).toEqual([]);
  });

  it('does not keep the process alive once its tasks are done (built module: npm run build)', async () => {
    const script = `
      import { launcherTesting, runProcess } from ${JSON.stringify(BUILT_PROCESS)};
      const launcher = await launcherTesting.ready();
      const outcome = await runProcess({ file: 'bash', args: ['-c', 'echo $PPID'], cwd: '/', env: ${JSON.stringify(ENV)}, timeoutMs: null, killGraceMs: 1000, logFile: ${JSON.stringify(join(folder(), 'task.log'))}, onOutput: (text) => console.log('ppid', text.trim()) });
      console.log('launcher', launcher.pid, 'exit', outcome.exitCode);
      console.log('done', Date.now());`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => child.once('exit', resolve));
    const exitedAt = Date.now();
    const launcherPid = Number(/launcher (\d+) exit 0/.exec(output)?.[1]);
    seen.push(launcherPid);
    expect(output).toContain(`ppid ${launcherPid}\n`);
    expect(exitedAt - Number(/done (\d+)/.exec(output)?.[1])).toBeLessThan(500); // not held for the idle second
    expect(await eventually(() => !processIsLive(launcherPid))).toBe(true);
  });
});

describe('when the launcher fails', () => {
  it('cannot be started: tasks are spawned here', async () => {
    launcherTesting.reset(fakeLauncher('exit 3;'));
    expect(await launcherTesting.ready()).toBeUndefined();
    expect(launcherTesting.failed()).toBe(true);
    const texts: string[] = [];
    const outcome = await runProcess(spec(folder(), 'echo hi', { onOutput: (text) => texts.push(text) }));
    expect(outcome.exitCode).toBe(0);
    expect(texts.join('')).toBe('hi\n');
  });

  it('dies before it said a task runs: the task is started here', async () => {
    // Ready, then gone at the first request.
    launcherTesting.reset(fakeLauncher(`${READY} sysread(STDIN, my $request, 1); exit 1;`));
    expect(await launcherTesting.ready()).toBeDefined();
    const dir = folder();
    const texts: string[] = [];
    const outcome = await runProcess(spec(dir, 'echo hi; echo $PPID > "$DIR/ppid"', { onOutput: (text) => texts.push(text) }));
    expect(outcome).toMatchObject({ exitCode: 0, signal: null, timedOut: false, cancelled: false });
    expect(outcome.spawnError).toBeUndefined();
    expect(texts.join('')).toBe('hi\n');
    expect(await numberIn(dir, 'ppid')).toBe(process.pid);
    expect(launcherTesting.failed()).toBe(true);
  });

  it('dies while its task runs: the task is ended and reported as lost, and later tasks are spawned here', async () => {
    await launcherTesting.ready();
    const dir = folder();
    const texts: string[] = [];
    // stderr to /dev/null: bash reports the SIGTERM of its sleep there, and that pipe died with the launcher (SIGPIPE).
    const script = `trap 'echo terminated > "$DIR/marker"; exit 1' TERM; echo $$ > "$DIR/pid"; echo $PPID > "$DIR/ppid"; echo before; exec 2>/dev/null; while true; do sleep 0.05; done`;
    const running = runProcess(spec(dir, script, { onOutput: (text) => texts.push(text) }));
    const task = await numberIn(dir, 'pid');
    const launcher = await numberIn(dir, 'ppid');
    expect(await eventually(() => texts.join('') === 'before\n')).toBe(true);
    process.kill(launcher, 'SIGKILL');
    const outcome = await running;
    expect(outcome).toMatchObject({ exitCode: null, signal: null, timedOut: false, cancelled: false });
    expect(outcome.spawnError).toBe(`lost track of bash (pid ${task}): the process launcher died, so the task was ended`);
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe('terminated\n'); // gracefully: SIGTERM first
    expect(processIsLive(task)).toBe(false);
    expect(launcherTesting.failed()).toBe(true);

    const next = folder();
    const after = await runProcess(spec(next, 'echo $PPID > "$DIR/ppid"'));
    expect(after.exitCode).toBe(0);
    expect(await numberIn(next, 'ppid')).toBe(process.pid);
  });

  it('dies while its task runs, which ignores SIGTERM: the task gets SIGKILL after the grace period', async () => {
    await launcherTesting.ready();
    const dir = folder();
    const running = runProcess(spec(dir, `trap '' TERM; echo $$ > "$DIR/pid"; echo $PPID > "$DIR/ppid"; exec >/dev/null 2>&1; while true; do sleep 0.05; done`, { killGraceMs: 400 }));
    const task = await numberIn(dir, 'pid');
    const start = performance.now();
    process.kill(await numberIn(dir, 'ppid'), 'SIGKILL');
    const outcome = await running;
    expect(performance.now() - start).toBeGreaterThanOrEqual(350);
    expect(outcome).toMatchObject({ timedOut: false, cancelled: false });
    expect(outcome.spawnError).toMatch(/^lost track of bash /);
    expect(processIsLive(task)).toBe(false);
  });

  it('dies while its task is being ended for a timeout: reported as the timeout', async () => {
    await launcherTesting.ready();
    const dir = folder();
    const running = runProcess(spec(dir, `trap '' TERM; echo $$ > "$DIR/pid"; echo $PPID > "$DIR/ppid"; exec >/dev/null 2>&1; while true; do sleep 0.05; done`, { timeoutMs: 100, killGraceMs: 600 }));
    const task = await numberIn(dir, 'pid');
    const launcher = await numberIn(dir, 'ppid');
    await new Promise((resolve) => setTimeout(resolve, 300)); // the timeout has passed: the grace period runs
    process.kill(launcher, 'SIGKILL');
    const outcome = await running;
    expect(outcome).toMatchObject({ timedOut: true, cancelled: false });
    expect(outcome.spawnError).toBeUndefined();
    expect(outcome.durationMs).toBeGreaterThanOrEqual(100 + 600 - 20);
    expect(processIsLive(task)).toBe(false);
  });
});
