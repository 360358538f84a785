import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { launcherTesting, onPath, runProcess, shellCommand, shellCommandFor } from '../../src/run/process.js';
import type { ProcessOutcome, ProcessSpec } from '../../src/run/process.js';
import { parseProcStat, procStat } from '../../src/run/process-tree.js';

const root = mkdtempSync(join(tmpdir(), 'dagline-process-'));
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' };
/** Every grandchild pid a test saw, so that a failing test cannot leave one running. */
const seen: number[] = [];
let counter = 0;

afterAll(() => {
  for (const pid of seen) {
    if (running(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(root, { recursive: true, force: true });
});

/** A fresh folder per test; the task runs in it and logs to `<dir>/logs/task.log`. */
function folder(): string {
  const dir = join(root, String(++counter));
  mkdirSync(dir);
  return dir;
}

function spec(dir: string, script: string, overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    file: 'bash',
    args: ['-c', script],
    cwd: root,
    env: ENV,
    timeoutMs: 20_000,
    killGraceMs: 2_000,
    logFile: join(dir, 'logs', 'task.log'),
    ...overrides,
  };
}

async function run(script: string, overrides: Partial<ProcessSpec> = {}): Promise<{ outcome: ProcessOutcome; log: string; dir: string; wallMs: number }> {
  const dir = folder();
  const start = performance.now();
  const outcome = await runProcess(spec(dir, script, overrides));
  const wallMs = performance.now() - start;
  let log = '';
  try {
    log = readFileSync(join(dir, 'logs', 'task.log'), 'utf8');
  } catch {
    // no log: the process was not started
  }
  return { outcome, log, dir, wallMs };
}

/**
 * Whether `pid` is still running. A zombie counts as gone: an orphan that died is reparented to pid 1, and a
 * container's pid 1 may reap it late (here: up to ~2 s) or never, so `kill(pid, 0)` can succeed for a while
 * after the process has ended.
 */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  if (process.platform !== 'linux') return true;
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** Waits up to `withinMs` for the process to end (a SIGKILL is delivered asynchronously). */
async function gone(pid: number, withinMs = 500): Promise<boolean> {
  const deadline = performance.now() + withinMs;
  while (running(pid)) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

function pidIn(dir: string): number {
  const pid = Number(readFileSync(join(dir, 'pid'), 'utf8').trim());
  expect(Number.isInteger(pid) && pid > 1).toBe(true);
  seen.push(pid);
  return pid;
}

/** Starts a background `sleep 30` that records its pid in `$DIR/pid`, then runs `rest`. */
const withGrandchild = (rest: string, sleeper = 'sleep 30'): string => `${sleeper} & echo $! > "$DIR/pid"; ${rest}`;

/**
 * Every runProcess test runs twice: spawning from this process (as without a launcher, or after one failed), and
 * through a launcher (launcher.pl), which is what a run normally uses once its launcher is up.
 */
describe.each(['direct', 'launcher'] as const)('%s spawn', (mode) => {
  beforeEach(async () => {
    if (mode === 'direct') {
      process.env.DAGLINE_LAUNCHER = 'off';
    } else {
      delete process.env.DAGLINE_LAUNCHER;
      expect(await launcherTesting.ready()).toBeDefined();
    }
  });

  afterAll(() => {
    delete process.env.DAGLINE_LAUNCHER;
  });

  describe('runProcess: exit codes', () => {
    it('reports the exit code of a process that succeeds or fails', async () => {
      const good = await run('true');
      expect(good.outcome).toMatchObject({ exitCode: 0, signal: null, timedOut: false, cancelled: false });
      expect(good.outcome.spawnError).toBeUndefined();
      const bad = await run('exit 3');
      expect(bad.outcome).toMatchObject({ exitCode: 3, signal: null, timedOut: false, cancelled: false });
    });

    it('reports the signal of a process ended by one (not by us)', async () => {
      const { outcome } = await run('kill -USR1 $$; sleep 5');
      expect(outcome).toMatchObject({ exitCode: null, signal: 'SIGUSR1', timedOut: false, cancelled: false });
    });

    it('measures the duration', async () => {
      const { outcome } = await run('sleep 0.2');
      expect(outcome.durationMs).toBeGreaterThanOrEqual(190);
      expect(outcome.durationMs).toBeLessThan(5_000);
    });
  });

  describe('runProcess: output', () => {
    it('appends stdout and stderr to the log file, creating its folders', async () => {
      const dir = folder();
      const first = await runProcess(spec(dir, 'echo out; echo err >&2; echo out2'));
      expect(first.exitCode).toBe(0);
      await runProcess(spec(dir, 'echo again'));
      expect(readFileSync(join(dir, 'logs', 'task.log'), 'utf8')).toBe('out\nerr\nout2\nagain\n');
    });

    it('keeps every byte of a task that prints megabytes, in the log and for onOutput', async () => {
      const dir = folder();
      let followed = 0;
      const outcome = await runProcess(spec(dir, 'head -c 3000000 /dev/zero | tr "\\0" x; echo; echo end >&2', { onOutput: (text) => (followed += text.length) }));
      expect(outcome.exitCode).toBe(0);
      const log = readFileSync(join(dir, 'logs', 'task.log'), 'utf8');
      expect(log).toBe(`${'x'.repeat(3_000_000)}\nend\n`);
      expect(followed).toBe(log.length);
    });

    it('follows the log for onOutput: output as it comes, stdout and stderr in the order written, earlier runs left out', async () => {
      const dir = folder();
      await runProcess(spec(dir, 'echo earlier'));
      const seen: Array<{ text: string; at: number }> = [];
      const start = performance.now();
      const outcome = await runProcess(
        spec(dir, 'echo out; echo err >&2; sleep 0.5; echo out2', { onOutput: (text) => seen.push({ text, at: performance.now() - start }) }),
      );
      expect(outcome.exitCode).toBe(0);
      expect(seen.map((s) => s.text).join('')).toBe('out\nerr\nout2\n');
      // The first lines were read while the task was still sleeping, not only at its end.
      expect(seen[0]?.text).toBe('out\nerr\n');
      expect(seen[0]?.at).toBeLessThan(outcome.durationMs - 200);
      expect(readFileSync(join(dir, 'logs', 'task.log'), 'utf8')).toBe('earlier\nout\nerr\nout2\n');
    });

    it('does not split a UTF-8 character that arrives in two chunks', async () => {
      const texts: string[] = [];
      const { log } = await run(String.raw`printf '\xc3'; sleep 0.1; printf '\xa9\n'`, { onOutput: (text) => texts.push(text) });
      expect(texts.join('')).toBe('é\n');
      expect(log).toBe('é\n');
    });
  });

  describe('runProcess: environment', () => {
    it('passes exactly the given environment and working directory', async () => {
      const cwd = mkdtempSync(join(root, 'cwd-'));
      const { log } = await run('echo "foo=$FOO"; echo "user=${DAGLINE_TEST_UNSET-unset}"; pwd', {
        cwd,
        env: { ...ENV, FOO: 'bar baz' },
      });
      expect(log).toBe(`foo=bar baz\nuser=unset\n${realpathSync(cwd)}\n`);
    });

    it('gives the task that environment and nothing else, variable by variable', async () => {
      const env = { ...ENV, SPACES: 'bar baz', LINES: 'one\ntwo', EMPTY: '', PERL5OPT: '-w' };
      const { log } = await run('', { file: 'env', args: ['-0'], env });
      const seenEnv = Object.fromEntries(log.split('\0').filter(Boolean).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
      expect(seenEnv).toEqual(env);
      // The next task drops what this one had: a launcher sends only the changes.
      const { log: next } = await run('', { file: 'env', args: ['-0'], env: ENV });
      expect(next.split('\0').filter(Boolean).sort()).toEqual(Object.entries(ENV).map(([name, value]) => `${name}=${value}`).sort());
    });
  });

  describe('runProcess: ending the process tree', () => {
    it('a timeout ends the process and a background grandchild', async () => {
      const dir = folder();
      const outcome = await runProcess(
        spec(dir, withGrandchild('sleep 30'), { env: { ...ENV, DIR: dir }, timeoutMs: 300, killGraceMs: 1_000 }),
      );
      expect(outcome).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: true, cancelled: false });
      // Both sleeps die of the SIGTERM, so there is no need to wait for the grace period.
      expect(outcome.durationMs).toBeGreaterThanOrEqual(290);
      expect(outcome.durationMs).toBeLessThan(300 + 1_000);
      expect(await gone(pidIn(dir))).toBe(true);
    });

    it('escalates to SIGKILL after the grace period when the process ignores SIGTERM', async () => {
      const dir = folder();
      const script = withGrandchild('while true; do sleep 0.05; done');
      const outcome = await runProcess(
        spec(dir, `trap '' TERM; ${script}`, { env: { ...ENV, DIR: dir }, timeoutMs: 200, killGraceMs: 500 }),
      );
      expect(outcome).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: true, cancelled: false });
      expect(outcome.durationMs).toBeGreaterThanOrEqual(200 + 500 - 20);
      expect(outcome.durationMs).toBeLessThan(200 + 500 + 1_000);
      expect(await gone(pidIn(dir))).toBe(true);
    });

    it('after the task itself ends on SIGTERM, kills a grandchild that ignores it once the grace is over', async () => {
      const dir = folder();
      const outcome = await runProcess(
        spec(dir, withGrandchild('sleep 30', `bash -c "trap '' TERM; exec sleep 30"`), {
          env: { ...ENV, DIR: dir },
          timeoutMs: 200,
          killGraceMs: 500,
        }),
      );
      expect(outcome).toMatchObject({ signal: 'SIGTERM', timedOut: true });
      expect(outcome.durationMs).toBeGreaterThanOrEqual(200 + 500 - 20);
      expect(await gone(pidIn(dir))).toBe(true);
    });

    it('lets a grandchild finish its SIGTERM handler within the grace period, and does not wait longer', async () => {
      const dir = folder();
      const handler = `trap 'sleep 0.2; echo cleaned > "$DIR/marker"; exit 0' TERM; while true; do sleep 0.05; done`;
      const outcome = await runProcess(
        spec(dir, withGrandchild('wait', `bash -c ${JSON.stringify(handler)}`), {
          env: { ...ENV, DIR: dir },
          timeoutMs: 300,
          killGraceMs: 10_000,
        }),
      );
      expect(outcome.timedOut).toBe(true);
      expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe('cleaned\n');
      expect(outcome.durationMs).toBeLessThan(300 + 3_000);
      expect(await gone(pidIn(dir))).toBe(true);
    });

    it('cancellation through the AbortSignal ends the tree and reports cancelled', async () => {
      const dir = folder();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const outcome = await runProcess(
        spec(dir, withGrandchild('sleep 30'), { env: { ...ENV, DIR: dir }, killGraceMs: 1_000, signal: controller.signal }),
      );
      expect(outcome).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: false, cancelled: true });
      expect(outcome.durationMs).toBeLessThan(300 + 1_000);
      expect(await gone(pidIn(dir))).toBe(true);
    });

    it('does not start a process when the signal is already aborted', async () => {
      const dir = folder();
      const outcome = await runProcess(spec(dir, `touch "${dir}/started"`, { signal: AbortSignal.abort() }));
      expect(outcome).toMatchObject({ exitCode: null, signal: null, cancelled: true, timedOut: false });
      expect(() => readFileSync(join(dir, 'started'))).toThrow();
    });

    it('after a normal exit, kills what the task left in the background: done promptly even when it holds stdout open', async () => {
      for (const teed of [true, false]) {
        const dir = folder();
        const texts: string[] = [];
        const start = performance.now();
        const outcome = await runProcess(
          spec(dir, withGrandchild('echo hi'), {
            env: { ...ENV, DIR: dir },
            ...(teed ? { onOutput: (text: string) => texts.push(text) } : {}),
          }),
        );
        expect(performance.now() - start).toBeLessThan(1_000);
        expect(outcome).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
        if (teed) expect(texts.join('')).toBe('hi\n');
        expect(readFileSync(join(dir, 'logs', 'task.log'), 'utf8')).toBe('hi\n');
        expect(await gone(pidIn(dir))).toBe(true);
      }
    });

    it('reports the exit of a task whose background process never stops writing, then ends that process', async () => {
      const dir = folder();
      const start = performance.now();
      const outcome = await runProcess(spec(dir, withGrandchild('echo done', 'yes'), { env: { ...ENV, DIR: dir }, onOutput: () => {} }));
      expect(performance.now() - start).toBeLessThan(2_000);
      expect(outcome).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
      expect(await gone(pidIn(dir))).toBe(true);
    });

    it('does not wait for a process that left the group (setsid) and holds the log open', async () => {
      const dir = folder();
      const texts: string[] = [];
      const start = performance.now();
      const outcome = await runProcess(
        // The pid is written after setsid, so the task only ends once the sleeper has left the group.
        spec(dir, `setsid sh -c 'echo $$ > "$DIR/pid"; exec sleep 30' & until [ -s "$DIR/pid" ]; do sleep 0.01; done; echo hi`, {
          env: { ...ENV, DIR: dir },
          onOutput: (text) => texts.push(text),
        }),
      );
      expect(performance.now() - start).toBeLessThan(1_000);
      expect(outcome.exitCode).toBe(0);
      expect(texts.join('')).toBe('hi\n');
      const escaped = pidIn(dir);
      expect(running(escaped)).toBe(true); // out of our reach by design; afterAll kills it
      process.kill(escaped, 'SIGKILL');
    });
  });

  describe('runProcess: processes that cannot start', () => {
    it('a missing command is a spawnError, not a throw', async () => {
      const { outcome } = await run('', { file: 'dagline-no-such-command', args: [] });
      expect(outcome).toMatchObject({ exitCode: null, signal: null, spawnError: 'command not found: dagline-no-such-command' });
    });

    it('a missing working directory is a spawnError', async () => {
      const cwd = join(root, 'does-not-exist');
      const { outcome } = await run('true', { cwd });
      expect(outcome.spawnError).toBe(`working directory does not exist: ${cwd}`);
    });

    it('a working directory that is a file is a spawnError', async () => {
      const cwd = join(folder(), 'plain-file');
      writeFileSync(cwd, '');
      const { outcome } = await run('true', { cwd });
      expect(outcome.spawnError).toBe(`working directory is not a directory: ${cwd}`);
    });

    it('a file that is not executable is a spawnError', async () => {
      const script = join(mkdtempSync(join(root, 'noexec-')), 'script.sh');
      writeFileSync(script, '#!/bin/sh\necho hi\n');
      chmodSync(script, 0o644);
      const { outcome } = await run('', { file: script, args: [] });
      expect(outcome.spawnError).toBe(`permission denied: ${script} is not executable`);
    });

    it('a script whose #! interpreter is missing says so', async () => {
      const script = join(mkdtempSync(join(root, 'shebang-')), 'script.sh');
      writeFileSync(script, '#!/no/such/interpreter\necho hi\n');
      chmodSync(script, 0o755);
      const { outcome } = await run('', { file: script, args: [] });
      expect(outcome.spawnError).toBe(`cannot run ${script}: its interpreter (the #! line) was not found`);
    });

    it('an unwritable log file is a spawnError', async () => {
      const blocker = join(root, 'blocker');
      writeFileSync(blocker, '');
      const { outcome } = await run('true', { logFile: join(blocker, 'task.log') });
      expect(outcome.spawnError).toMatch(/^cannot open log file .*blocker\/task\.log: /);
    });

    it('an argument with a NUL byte is a spawnError', async () => {
      const { outcome } = await run('echo a\0b');
      expect(outcome.spawnError).toMatch(/^could not start bash: /);
    });
  });
});

describe('shellCommand', () => {
  it('maps each shell to its command line', () => {
    expect(shellCommandFor('bash', 'x', true)).toEqual({ file: 'bash', args: ['-eo', 'pipefail', '-c', 'x'] });
    expect(shellCommandFor('sh', 'x', true)).toEqual({ file: 'sh', args: ['-e', '-c', 'x'] });
    expect(shellCommandFor('python3', 'x', true)).toEqual({ file: 'python3', args: ['-c', 'x'] });
    expect(shellCommandFor('python', 'x', true)).toEqual({ file: 'python3', args: ['-c', 'x'] });
    expect(shellCommandFor('node', 'x', true)).toEqual({ file: 'node', args: ['-e', 'x'] });
    expect(shellCommandFor('zsh', 'x', true)).toEqual({ file: 'zsh', args: ['-c', 'x'] });
  });

  it('falls back to sh -e when bash is not on PATH', () => {
    expect(shellCommandFor('bash', 'x', false)).toEqual({ file: 'sh', args: ['-e', '-c', 'x'] });
    expect(shellCommandFor('sh', 'x', false)).toEqual({ file: 'sh', args: ['-e', '-c', 'x'] });
  });

  it('finds executables on a PATH', () => {
    const bin = mkdtempSync(join(root, 'bin-'));
    writeFileSync(join(bin, 'tool'), '#!/bin/sh\n');
    chmodSync(join(bin, 'tool'), 0o755);
    writeFileSync(join(bin, 'data'), '');
    expect(onPath('tool', `/no/such/dir::${bin}`)).toBe(true);
    expect(onPath('data', bin)).toBe(false);
    expect(onPath('tool', '/no/such/dir')).toBe(false);
    expect(onPath('tool', '')).toBe(false);
  });

  it('runs bash with -eo pipefail here (bash is installed)', async () => {
    const command = shellCommand('bash', 'false | true; echo unreachable');
    expect(command.file).toBe('bash');
    const { outcome, log } = await run('', command);
    expect(outcome.exitCode).toBe(1);
    expect(log).toBe('');
  });
});

describe('process groups', () => {
  it('reads state and group from /proc/<pid>/stat, whatever the command name holds', () => {
    expect(parseProcStat('123 (a) b (c)) S 1 456 456 0 -1')).toEqual({ state: 'S', pgrp: 456 });
    expect(parseProcStat('garbage')).toBeUndefined();
  });
});
