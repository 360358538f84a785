/**
 * Starting a task's process and ending it, with its whole process tree.
 *
 * Backend: node:child_process, not execa (a listed dependency), because execa misses the speed target.
 * bench/spawn.mjs, 1,000 × `bash -c true` at concurrency 2, median of 5 per row, three runs on a quiet 2-core
 * x86_64 machine, Node 24.21, 2026-11-24:
 *
 *   variant                                          ms          vs xargs
 *   xargs -P2 -n1 bash -c true                       714–723     1.00×
 *   child_process.spawn, stdio ignored              1567–1621    2.17–2.26×
 *   child_process.spawn, log fd + process group     1649–1709    2.29–2.39×
 *   execa, lean options (log fd + process group)    1813–1831    2.53–2.56×
 *   execa, default options                          2356–2466    3.28–3.44×
 *   runProcess (this module)                        1636–1763    2.26–2.46×
 *
 * The target is 2.5× xargs for the whole executor. execa with buffer, cleanup, stripFinalNewline and
 * forceKillAfterDelay off, stdio handed over as fds and extendEnv off still costs ~0.17 ms more per task than
 * spawn (option normalisation, stream and promise plumbing), which is already over the target before the
 * executor does anything. Nor would it have saved code: its timeout, cancelSignal and forceKillAfterDelay signal
 * the direct child only, while a task's whole process group has to be ended.
 *
 * Spawn cost grows with the memory of the process that spawns: libuv forks (not vfork) on Linux, so page tables
 * are copied and the parent takes copy-on-write faults until the child execs. Measured here, one spawn of
 * /bin/true: 1.1 ms at 46 MB RSS, 2.6 ms at 101 MB, 4.0 ms at 152 MB, 9.1 ms at 253 MB (held in Buffers). Callers
 * that start many tasks should not keep large data (task output above all) in memory.
 *
 * Every task is the leader of its own process group (`detached: true`), so the whole tree can be signalled:
 * on timeout or cancellation SIGTERM to the group, then SIGKILL after `killGraceMs`; after a normal exit SIGKILL
 * to the group at once, so orphans (`sleep 100 &`) do not outlive the task (GitHub Actions does the same at the
 * end of a job). When a terminated task's own process exits within the grace period, the rest of its group gets
 * what is left of it (checked every 20 ms) before the SIGKILL, and the outcome is only reported once the group is
 * empty. A process that leaves the group on purpose (`setsid`; `nohup … &` does not) escapes all of this.
 * POSIX only: process groups and signals.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fail, ok } from '../result.js';
import type { Result } from '../result.js';
import { groupHasLiveMembers, signalGroup } from './process-tree.js';

export interface ProcessSpec {
  /** The program, looked up on `env.PATH` when it has no slash (e.g. `bash`). */
  file: string;
  /** e.g. `['-eo', 'pipefail', '-c', script]`; see {@link shellCommand}. */
  args: string[];
  cwd: string;
  /** The complete environment: nothing of `process.env` is added (the caller merges it). */
  env: Record<string, string>;
  /** Null: no limit. */
  timeoutMs: number | null;
  /** On timeout or cancellation: SIGTERM to the process group, then SIGKILL after this. */
  killGraceMs: number;
  /** stdout and stderr are appended here, interleaved as they come; parent folders are created. */
  logFile: string;
  /** A tee for the terminal. When absent the output goes straight from the child to the log file, never through JS. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Cancellation: ends the process tree gracefully (SIGTERM, grace, SIGKILL) and reports `cancelled`. */
  signal?: AbortSignal;
}

export interface ProcessOutcome {
  /** The child's exit code; null when it was ended by a signal (or never started). */
  exitCode: number | null;
  /** The signal that ended the child, if one did. */
  signal: NodeJS.Signals | null;
  /** We ended it because `timeoutMs` passed. */
  timedOut: boolean;
  /** We ended it (or never started it) because `signal` was aborted. */
  cancelled: boolean;
  durationMs: number;
  /** The process could not be started at all (ENOENT, EACCES, bad cwd, log file not writable): the message says why. */
  spawnError?: string;
  /** Writing piped output to the log file failed (disk full…): the log is incomplete; the task itself ran on. */
  logError?: string;
}

/** Node's timers overflow above this (and then fire after 1 ms); a longer timeout means no timeout. */
const MAX_TIMER_MS = 2_147_483_647;
/**
 * After the child exits, how long piped output may still arrive before the pipes are closed on our side. The
 * group has been killed by then, so the pipes normally reach EOF at once; only a process that left the group
 * (setsid) can hold them open, and it must not keep the task running.
 */
const DRAIN_MS = 200;
/** While a terminated child's group winds down within the grace period, how often to look whether it is empty. */
const GROUP_POLL_MS = 20;

/** Starts the process and resolves when it has ended (and, after a timeout or cancellation, its tree too). Never rejects. */
export function runProcess(spec: ProcessSpec): Promise<ProcessOutcome> {
  const started = performance.now();
  const notStarted = (outcome: Partial<ProcessOutcome>): Promise<ProcessOutcome> =>
    Promise.resolve({
      exitCode: null,
      signal: null,
      timedOut: false,
      cancelled: false,
      durationMs: Math.round(performance.now() - started),
      ...outcome,
    });

  if (spec.signal?.aborted) return notStarted({ cancelled: true });
  const piped = spec.onOutput !== undefined;
  const prepared = prepare(spec, piped);
  if (!prepared.ok) return notStarted({ spawnError: prepared.error });
  const log = prepared.value;

  let child: ChildProcess;
  try {
    child = spawn(spec.file, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: piped ? ['ignore', 'pipe', 'pipe'] : ['ignore', log.fd, log.fd],
    });
  } catch (error) {
    // Synchronous failures: invalid arguments (a NUL byte in an argument or env value), EMFILE, …
    log.close();
    return notStarted({ spawnError: describeSpawnError(spec, error) });
  }

  return new Promise<ProcessOutcome>((resolvePromise) => {
    const pid = child.pid;
    let reason: 'timeout' | 'cancel' | null = null;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let exited = false;
    let killed = false; // the grace period is over and the group got SIGKILL
    let settled = false;
    let logError: string | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let pollTimer: NodeJS.Timeout | undefined;

    const settle = (outcome: Partial<ProcessOutcome>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      clearTimeout(pollTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      log.close();
      resolvePromise({
        exitCode,
        signal: exitSignal,
        timedOut: reason === 'timeout',
        cancelled: reason === 'cancel',
        durationMs: Math.round(performance.now() - started),
        ...(logError === undefined ? {} : { logError }),
        ...outcome,
      });
    };

    if (pid === undefined) {
      // The spawn failed; Node reports why in 'error' on the next tick.
      child.once('error', (error) => settle({ spawnError: describeSpawnError(spec, error) }));
      child.stdout?.destroy();
      child.stderr?.destroy();
      return;
    }
    child.on('error', () => {}); // after a successful spawn only child.kill() can fail, and we never call it

    // Output: straight into the log file (the fd was handed to the child), or through here when teed.
    const streams: Readable[] = [];
    if (piped) {
      const onOutput = spec.onOutput;
      const tee = (name: 'stdout' | 'stderr', stream: Readable | null): void => {
        if (stream === null) return;
        streams.push(stream);
        const decoder = new StringDecoder('utf8');
        stream.on('data', (chunk: Buffer) => {
          if (settled) return; // a straggler after the drain: the task has been reported done
          if (logError === undefined) {
            try {
              log.write(chunk);
            } catch (error) {
              logError = `cannot write log file ${spec.logFile}: ${errorMessage(error)}`;
            }
          }
          const text = decoder.write(chunk);
          if (text !== '') onOutput?.(name, text);
        });
        stream.once('close', () => {
          if (settled) return;
          const rest = decoder.end();
          if (rest !== '') onOutput?.(name, rest);
        });
        stream.on('error', () => {});
      };
      tee('stdout', child.stdout);
      tee('stderr', child.stderr);
    }

    /** After the child exited: let piped output drain (briefly), then report. */
    const finish = (): void => {
      const open = streams.filter((stream) => !stream.closed);
      if (open.length === 0) return settle({});
      let remaining = open.length;
      const drainTimer = setTimeout(() => {
        for (const stream of open) stream.destroy();
        settle({});
      }, DRAIN_MS);
      for (const stream of open) {
        stream.once('close', () => {
          if (--remaining === 0) {
            clearTimeout(drainTimer);
            settle({});
          }
        });
      }
    };

    const terminate = (why: 'timeout' | 'cancel'): void => {
      if (reason !== null || exited || settled) return;
      reason = why;
      signalGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        killed = true;
        signalGroup(pid, 'SIGKILL');
        if (exited) {
          clearTimeout(pollTimer);
          finish();
        }
      }, Math.min(Math.max(0, spec.killGraceMs), MAX_TIMER_MS));
    };

    /** A terminated child has exited; the rest of its group gets what is left of the grace period. */
    const awaitGroup = (): void => {
      if (killed || !groupHasLiveMembers(pid)) {
        clearTimeout(killTimer);
        return finish();
      }
      pollTimer = setTimeout(awaitGroup, GROUP_POLL_MS);
    };

    child.once('exit', (code, signal) => {
      exited = true;
      exitCode = code;
      exitSignal = signal;
      clearTimeout(timeoutTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      if (reason === null) {
        // A normal exit: whatever it left behind in its group goes with it.
        signalGroup(pid, 'SIGKILL');
        finish();
      } else {
        awaitGroup();
      }
    });

    function onAbort(): void {
      terminate('cancel');
    }
    spec.signal?.addEventListener('abort', onAbort, { once: true });

    if (spec.timeoutMs !== null && spec.timeoutMs <= MAX_TIMER_MS) {
      timeoutTimer = setTimeout(() => terminate('timeout'), Math.max(0, spec.timeoutMs));
    }
  });
}

/**
 * A task's log. When output is piped through us the file is opened at the first byte, so the many tasks that
 * print nothing cost no file at all (on a 1,000-task run the opens were a seventh of the wall time).
 */
class LogFile {
  constructor(
    private readonly path: string,
    public fd: number | undefined,
  ) {}

  write(chunk: Buffer): void {
    this.fd ??= openLog(this.path);
    writeFully(this.fd, chunk);
  }

  close(): void {
    if (this.fd !== undefined) closeQuietly(this.fd);
    this.fd = undefined;
  }
}

function openLog(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, 'a');
}

/** Checks the working directory and, unless output is piped, opens the log file for the child to write to. */
function prepare(spec: ProcessSpec, piped: boolean): Result<LogFile, string> {
  try {
    const stat = statSync(spec.cwd, { throwIfNoEntry: false });
    if (stat === undefined) return fail(`working directory does not exist: ${spec.cwd}`);
    if (!stat.isDirectory()) return fail(`working directory is not a directory: ${spec.cwd}`);
  } catch (error) {
    return fail(`working directory is not accessible: ${spec.cwd} (${errorMessage(error)})`);
  }
  try {
    return ok(new LogFile(spec.logFile, piped ? undefined : openLog(spec.logFile)));
  } catch (error) {
    return fail(`cannot open log file ${spec.logFile}: ${errorMessage(error)}`);
  }
}

function describeSpawnError(spec: ProcessSpec, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const { file } = spec;
  switch (code) {
    case 'ENOENT':
      if (file.includes('/') && existsSync(isAbsolute(file) ? file : resolve(spec.cwd, file))) {
        return `cannot run ${file}: its interpreter (the #! line) was not found`;
      }
      return `command not found: ${file}`;
    case 'EACCES':
      return `permission denied: ${file} is not executable`;
    case 'ENOEXEC':
      return `cannot run ${file}: not an executable format (a script without a #! line?)`;
    case 'EMFILE':
    case 'ENFILE':
      return `could not start ${file}: too many open files`;
    case 'EAGAIN':
    case 'ENOMEM':
      return `could not start ${file}: out of processes or memory (${code})`;
    default:
      return `could not start ${file}: ${errorMessage(error)}`;
  }
}

function writeFully(fd: number, chunk: Buffer): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(fd, chunk, offset);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing to do
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------------------------
// Shells

export interface Command {
  file: string;
  args: string[];
}

/**
 * How a task's `run` script is started with its `shell`: `bash` → `bash -eo pipefail -c` (or `sh -e -c` when
 * there is no bash on PATH; looked up once), `sh` → `sh -e -c`, `python3`/`python` → `python3 -c`,
 * `node` → `node -e`, anything else → `<shell> -c`.
 */
export function shellCommand(shell: string, script: string): Command {
  return shellCommandFor(shell, script, shell === 'bash' ? bashAvailable() : true);
}

/** The pure part of {@link shellCommand}: `bashOnPath` says whether `bash` can be found. */
export function shellCommandFor(shell: string, script: string, bashOnPath: boolean): Command {
  switch (shell) {
    case 'bash':
      return bashOnPath ? { file: 'bash', args: ['-eo', 'pipefail', '-c', script] } : { file: 'sh', args: ['-e', '-c', script] };
    case 'sh':
      return { file: 'sh', args: ['-e', '-c', script] };
    case 'python':
    case 'python3':
      return { file: 'python3', args: ['-c', script] };
    case 'node':
      return { file: 'node', args: ['-e', script] };
    default:
      return { file: shell, args: ['-c', script] };
  }
}

let bashCached: boolean | undefined;

function bashAvailable(): boolean {
  bashCached ??= onPath('bash', process.env.PATH ?? '');
  return bashCached;
}

/** Whether an executable `name` is in one of the folders of `path` (a PATH value). */
export function onPath(name: string, path: string): boolean {
  for (const folder of path.split(delimiter)) {
    if (folder === '') continue;
    try {
      accessSync(join(folder, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}
