/**
 * Starting a task's process and ending it, with its whole process tree.
 *
 * Backend: node:child_process, not execa (a listed dependency), because execa misses the speed target.
 * bench/spawn.mjs, 1,000 × `bash -c true` at concurrency 2, median of 5 per row, three runs on a quiet 2-core
 * x86_64 machine, Node 24.21, 2026-11-24 (the launcher rows: later runs, same machine and day; the Perl one
 * 964 ms, 1.39×, in a run where xargs took 693 ms):
 *
 *   variant                                          ms          vs xargs
 *   xargs -P2 -n1 bash -c true                       714–723     1.00×
 *   child_process.spawn, stdio ignored              1567–1621    2.17–2.26×
 *   child_process.spawn, log fd + process group     1649–1709    2.29–2.39×
 *   execa, lean options (log fd + process group)    1813–1831    2.53–2.56×
 *   execa, default options                          2356–2466    3.28–3.44×
 *   runProcess, spawning in this process            1652–1674    2.24–2.31×
 *   runProcess, through Node launchers (before)     1072–1143    1.48–1.57×
 *   runProcess, through Perl launchers (the default)  964        1.39×
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
 * Launchers. Hence tasks are spawned by launchers (launcher.pl): small Perl processes (~6 MB, perl-base modules
 * only) that take spawn requests on a pipe and report each task's pid and exit. A spawn, synchronous until the
 * child has exec'd, then blocks a launcher instead of dagline's main thread, and costs about what it costs xargs.
 * Perl rather than Node: a Node launcher (~45 MB) paid ~0.7 ms a fork, and bench/run stayed at 2.4–2.8× xargs
 * with it; the Perl one took it to ~2.3× (docs/design.md, "Launchers"). Up to two: with one, a task that ends
 * while it is inside another task's spawn is only noticed after it. Everything else stays here: timeouts, signals
 * to the task's process group (the pid is reported), the orphan kill, following the log; TaskRun is the same
 * whoever spawned. A launcher starts with the first task and takes a few ms to be ready: tasks are spawned here
 * meanwhile, nothing waits for it. It ends when its stdin ends: after a second without tasks, or when this
 * process exits or is killed (SIGKILL included); an idle one never keeps this process alive. When there is no
 * perl, or a launcher cannot be started or dies, every later task is spawned here; a task it had not reported
 * started is started here, a task it was running (now nobody's child) is ended like a timed-out one and
 * reported with a spawnError. `DAGLINE_LAUNCHER=off` in dagline's own environment spawns every task here.
 *
 * Output. Nothing a task prints passes through dagline. Spawned here, its stdout and stderr are one file
 * descriptor on its log file; through a launcher, one pipe that the launcher appends to the log file, which it
 * creates at the first byte (creating a file was the dearest part of starting a silent task: a task that prints
 * nothing has no log file then). Either way the two streams keep their order. The terminal gets the output by
 * reading the log file (LogFollower): every 100 ms while the task runs, and what is left once it has ended.
 * Pipes to this process, as before, cost ~10% of bench/run and reordered stdout against stderr.
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
import { accessSync, closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { availableParallelism, constants as osConstants } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { groupHasLiveMembers, processIsLive, signalGroup } from './process-tree.js';

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
  /**
   * For the terminal: what the task appends to its log file, read from the file while it runs (every
   * {@link FOLLOW_MS}) and once more when it has ended. The output itself goes straight from the child to the
   * file, never through a pipe.
   */
  onOutput?: (text: string) => void;
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
  /**
   * The process could not be started at all (ENOENT, EACCES, bad cwd, log file not writable): the message says
   * why. Also set, exceptionally, when the launcher that started it died and its exit status is unknown.
   */
  spawnError?: string;
}

/** Node's timers overflow above this (and then fire after 1 ms); a longer timeout means no timeout. */
const MAX_TIMER_MS = 2_147_483_647;
/** How often a running task's log file is read for {@link ProcessSpec.onOutput}. */
const FOLLOW_MS = 100;
/** While a terminated child's group winds down within the grace period, how often to look whether it is empty. */
const GROUP_POLL_MS = 20;
/** How long the launcher is kept without a task in flight (it never keeps this process alive meanwhile). */
const LAUNCHER_IDLE_MS = 1_000;

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
  return new Promise<ProcessOutcome>((resolvePromise) => {
    const task = new TaskRun(spec, started, resolvePromise);
    if (readyLauncher()?.start(task) !== true) startDirectly(task);
  });
}

/**
 * One task's process from start to outcome, whoever started it (this process or the launcher): timeout and
 * cancellation, the process-group kills, following its log file for the terminal.
 */
class TaskRun {
  /** Set by whoever started the process: called once, when the outcome is reported. */
  onSettled: () => void = () => {};
  private readonly follower: LogFollower | undefined;
  private pid: number | undefined;
  /** Why we are ending it: its timeout, cancellation, or the death of the launcher that started it. */
  private reason: 'timeout' | 'cancel' | 'lost' | null = null;
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private logSize: number | undefined;
  private exited = false;
  private killed = false; // the grace period is over and the group got SIGKILL
  private settled = false;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private lostTimer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.terminate('cancel');

  constructor(
    readonly spec: ProcessSpec,
    private readonly started: number,
    private readonly resolvePromise: (outcome: ProcessOutcome) => void,
  ) {
    this.follower = spec.onOutput === undefined ? undefined : new LogFollower(spec.logFile, spec.onOutput);
    spec.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (spec.timeoutMs !== null && spec.timeoutMs <= MAX_TIMER_MS) {
      this.timeoutTimer = setTimeout(() => this.terminate('timeout'), Math.max(0, spec.timeoutMs));
    }
  }

  /** It runs, as the leader of process group `pid`; its log file held `logOffset` bytes before it started. */
  spawned(pid: number, logOffset: number): void {
    if (this.settled) return;
    this.pid = pid;
    this.follower?.follow(logOffset);
    // Timed out or cancelled before it was known to run (the launcher had not answered yet).
    if (this.reason !== null) signalGroup(pid, this.killed ? 'SIGKILL' : 'SIGTERM');
  }

  /** It could not be started. */
  failed(spawnError: string): void {
    this.settle({ spawnError });
  }

  /** `logSize`: the size of its log file after the exit, when whoever started it knows (spares a stat here). */
  exit(code: number | null, signal: NodeJS.Signals | null, logSize?: number): void {
    if (this.exited || this.settled) return;
    this.exited = true;
    this.logSize = logSize;
    this.exitCode = code;
    this.exitSignal = signal;
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.lostTimer);
    this.spec.signal?.removeEventListener('abort', this.onAbort);
    if (this.reason === null) {
      // A normal exit: whatever it left behind in its group goes with it.
      if (this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
      this.settle({});
    } else {
      this.awaitGroup();
    }
  }

  /**
   * The launcher that was to start it, or did, died. Returns 'restart' when it was not known to run: it is then
   * started here (the launcher reports the pid right after the spawn, so only a death between the two could run
   * a task twice). A running task cannot be followed any more (its exit status goes to nobody), so it is ended
   * like a timed-out one and reported with a spawnError.
   */
  launcherDied(): 'restart' | undefined {
    if (this.settled) return undefined;
    if (this.pid === undefined) {
      if (this.reason === null) return 'restart';
      this.settle({}); // timed out or cancelled while waiting: do not start it now
      return undefined;
    }
    if (this.exited) return undefined; // the outcome is complete
    this.terminate('lost'); // unless a timeout or cancellation is already ending it
    this.watchLost();
    return undefined;
  }

  /** Not our child any more (nor the launcher's): look at it until it has ended. */
  private watchLost(): void {
    if (this.settled || this.exited || this.pid === undefined) return;
    if (!processIsLive(this.pid)) return this.exit(null, null);
    this.lostTimer = setTimeout(() => this.watchLost(), GROUP_POLL_MS);
  }

  private terminate(why: 'timeout' | 'cancel' | 'lost'): void {
    if (this.reason !== null || this.exited || this.settled) return;
    this.reason = why;
    if (this.pid !== undefined) signalGroup(this.pid, 'SIGTERM');
    this.killTimer = setTimeout(
      () => {
        this.killed = true;
        if (this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
        if (this.exited) {
          clearTimeout(this.pollTimer);
          this.settle({});
        }
      },
      Math.min(Math.max(0, this.spec.killGraceMs), MAX_TIMER_MS),
    );
  }

  /** A terminated child has exited; the rest of its group gets what is left of the grace period. */
  private awaitGroup(): void {
    if (this.killed || this.pid === undefined || !groupHasLiveMembers(this.pid)) {
      clearTimeout(this.killTimer);
      return this.settle({});
    }
    this.pollTimer = setTimeout(() => this.awaitGroup(), GROUP_POLL_MS);
  }

  private settle(outcome: Partial<ProcessOutcome>): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.killTimer);
    clearTimeout(this.pollTimer);
    clearTimeout(this.lostTimer);
    this.spec.signal?.removeEventListener('abort', this.onAbort);
    this.follower?.finish(this.logSize);
    this.onSettled();
    const lost = this.reason === 'lost' ? { spawnError: `lost track of ${this.spec.file} (pid ${this.pid}): the process launcher died, so the task was ended` } : {};
    this.resolvePromise({
      exitCode: this.exitCode,
      signal: this.exitSignal,
      timedOut: this.reason === 'timeout',
      cancelled: this.reason === 'cancel',
      durationMs: Math.round(performance.now() - this.started),
      ...lost,
      ...outcome,
    });
  }
}

/**
 * Reads what a task appends to its log file. The log may hold earlier attempts and runs: only what comes after
 * its size at the start is read. A multi-byte character split between two reads is held until it is whole.
 */
class LogFollower {
  /** Undefined until the task runs. */
  private offset: number | undefined;
  private fd: number | undefined;
  private broken = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly path: string,
    private readonly onOutput: (text: string) => void,
  ) {}

  /** The task runs, and its log held `offset` bytes before: read what it writes every FOLLOW_MS. */
  follow(offset: number): void {
    this.offset = offset;
    following.add(this);
    followTicker ??= setInterval(() => {
      for (const follower of following) follower.read();
    }, FOLLOW_MS).unref();
  }

  /** The task has ended (its log now `size` bytes long, when known): the rest, then no more. */
  finish(size: number | undefined): void {
    following.delete(this);
    if (following.size === 0) {
      clearInterval(followTicker);
      followTicker = undefined;
    }
    if (this.offset === undefined) return; // never ran
    // Most tasks print nothing: no need to open the file.
    if (this.fd !== undefined || (size ?? fileSize(this.path)) > this.offset) this.read();
    const rest = this.decoder.end();
    if (rest !== '') this.onOutput(rest);
    if (this.fd !== undefined) closeQuietly(this.fd);
    this.fd = undefined;
  }

  read(): void {
    if (this.broken || this.offset === undefined) return;
    try {
      this.fd ??= openSync(this.path, 'r');
      for (let n = readSync(this.fd, FOLLOW_BUFFER, 0, FOLLOW_BUFFER.length, this.offset); n > 0; n = readSync(this.fd, FOLLOW_BUFFER, 0, FOLLOW_BUFFER.length, this.offset)) {
        this.offset += n;
        const text = this.decoder.write(FOLLOW_BUFFER.subarray(0, n));
        if (text !== '') this.onOutput(text);
      }
    } catch (error) {
      // Not there yet (a launcher creates it at the first byte), or unreadable: the terminal misses it, the log keeps it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.broken = true;
    }
  }
}

/** The followers of running tasks: one timer reads them all. */
const following = new Set<LogFollower>();
let followTicker: NodeJS.Timeout | undefined;
const FOLLOW_BUFFER = Buffer.allocUnsafe(64 * 1024);

function fileSize(path: string): number {
  try {
    return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}

/** Spawns the task from this process: before the launcher is ready, without one, or after it died. */
function startDirectly(task: TaskRun): void {
  const { spec } = task;
  task.onSettled = () => {};
  const cwdProblem = checkCwd(spec.cwd);
  if (cwdProblem !== undefined) return task.failed(cwdProblem);
  let fd: number;
  let logOffset: number;
  try {
    fd = openLog(spec.logFile);
    logOffset = fstatSync(fd).size;
  } catch (error) {
    return task.failed(`cannot open log file ${spec.logFile}: ${errorMessage(error)}`);
  }
  let child: ChildProcess;
  try {
    child = spawn(spec.file, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
  } catch (error) {
    // Synchronous failures: invalid arguments (a NUL byte in an argument or env value), EMFILE, …
    return task.failed(describeSpawnError(spec, error));
  } finally {
    closeQuietly(fd); // the child has its own copy (spawn returns after the exec)
  }
  if (child.pid === undefined) {
    // The spawn failed; Node reports why in 'error' on the next tick.
    child.once('error', (error) => task.failed(describeSpawnError(spec, error)));
    return;
  }
  child.on('error', () => {}); // after a successful spawn only child.kill() can fail, and we never call it
  task.spawned(child.pid, logOffset);
  child.once('exit', (code, signal) => task.exit(code, signal));
}

// ---------------------------------------------------------------------------------------------------------------
// Launchers (launcher.pl): small helper processes that spawn tasks on this process's behalf.

/** Frame kinds of the launcher's replies; the same table as in launcher.pl. */
const FRAME = { ready: 0, pid: 1, error: 2, exit: 3 } as const;
/** Next to this file: src/run, build/run (npm run build copies it) or dist (the bundle). */
const LAUNCHER_FILE = fileURLToPath(new URL('./launcher.pl', import.meta.url));
/**
 * Perl reads these at start-up: a user's PERL5OPT (-d, -M…) or PERL5LIB must not change the launcher. The
 * tasks still get them: the launcher's environment is only the base that requests change (see launcher.pl).
 */
const PERL_VARIABLES = ['PERL5OPT', 'PERL5LIB', 'PERLLIB', 'PERL5DB', 'PERL_UNICODE'];
/**
 * At most this many launchers. With one, a task that ends while the launcher is inside another task's spawn
 * (until the exec) is only noticed after it; a second one took bench/run from 2.71× to 2.46× xargs on 2 cores,
 * a third added nothing (2.61×). Each holds ~6 MB.
 */
const MAX_LAUNCHERS = Math.min(2, availableParallelism());
const EMPTY = Buffer.alloc(0);

const launchers: Launcher[] = [];
/** Request ids, unique across launchers. */
let nextRequestId = 1;
/** A launcher could not be started or died: from then on this process spawns its tasks itself. */
let launcherFailed = false;
let launcherFile = LAUNCHER_FILE;

/**
 * The least busy launcher that is ready for requests; undefined: spawn here. Starts one when there is none, and
 * another when every one has a task in flight (up to MAX_LAUNCHERS). Until one is ready (~40 ms, meanwhile
 * tasks are spawned here) nothing waits for it.
 */
function readyLauncher(): Launcher | undefined {
  if (launcherFailed || process.env.DAGLINE_LAUNCHER === 'off') return undefined;
  let best: Launcher | undefined;
  for (const candidate of launchers) if (candidate.ready && (best === undefined || candidate.load < best.load)) best = candidate;
  if (launchers.length < MAX_LAUNCHERS && launchers.every((existing) => existing.ready && existing.load > 0)) {
    const started = Launcher.start();
    if (started !== undefined) launchers.push(started);
  }
  return best;
}

class Launcher {
  ready = false;
  private readonly tasks = new Map<number, TaskRun>();
  private pending: Buffer = EMPTY;
  private idleTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private gone = false;

  private constructor(
    readonly child: ChildProcess,
    private readonly input: Writable,
    private readonly replies: Socket,
    /** The environment the launcher holds: its own, then that of the latest request (see the protocol in launcher.ts). */
    private env: Readonly<Record<string, string | undefined>>,
  ) {}

  static start(): Launcher | undefined {
    let child: ChildProcess;
    const env: Record<string, string | undefined> = { ...process.env, LC_ALL: 'C' }; // no locale warnings from perl
    for (const name of PERL_VARIABLES) delete env[name];
    try {
      // Its own process group and session: a Ctrl-C to dagline's process group does not reach it (nor would
      // it end it: only the end of its stdin does). Without perl, 'error' (ENOENT) follows and tasks are spawned here.
      child = spawn('perl', [launcherFile], { stdio: ['pipe', 'pipe', 'inherit'], env, detached: true });
    } catch {
      launcherFailed = true;
      return undefined;
    }
    if (child.stdin === null || child.stdout === null) return undefined; // not with these stdio options
    const launched = new Launcher(child, child.stdin, child.stdout as Socket, env);
    child.on('error', () => launched.died()); // could not be started
    // Its stdout closes when it exits (its tasks do not inherit it); in case something held it open, do not wait long.
    child.once('exit', () => {
      const timer = setTimeout(() => launched.died(), 100);
      if (launched.load === 0) timer.unref();
    });
    child.stdin.on('error', () => {}); // EPIPE after it died: its stdout's 'close' tells
    child.stdout.on('data', (chunk: Buffer) => launched.read(chunk));
    child.stdout.once('close', () => launched.died());
    launched.idle();
    return launched;
  }

  get load(): number {
    return this.tasks.size;
  }

  /**
   * Asks it to start the task; false when the request cannot be put into words (a NUL byte in an argument or
   * a variable): spawned here, the task then fails with Node's own error.
   */
  start(task: TaskRun): boolean {
    const { spec } = task;
    const id = nextRequestId;
    const request = this.request(id, spec);
    if (request === undefined) return false;
    nextRequestId++;
    this.env = spec.env;
    if (this.tasks.size === 0) this.busy();
    this.tasks.set(id, task);
    task.onSettled = () => {
      this.tasks.delete(id);
      if (this.tasks.size === 0 && !this.gone) this.idle();
    };
    this.input.write(request);
    return true;
  }

  /** The fields of launcher.pl's protocol, NUL-terminated; undefined when one holds a NUL. */
  private request(id: number, spec: ProcessSpec): string | undefined {
    const set: string[] = [];
    for (const [name, value] of Object.entries(spec.env)) if (this.env[name] !== value) set.push(name, value);
    const unset = Object.keys(this.env).filter((name) => !Object.hasOwn(spec.env, name));
    const fields = [String(id), spec.file, spec.cwd, spec.logFile, String(spec.args.length), ...spec.args, String(set.length / 2), ...set, String(unset.length), ...unset];
    return fields.some((field) => field.includes('\0')) ? undefined : `${fields.join('\0')}\0`;
  }

  /** Ends it once nothing is in flight (it exits at the end of its stdin). */
  close(): void {
    if (this.gone || this.tasks.size > 0) return;
    this.closing = true;
    this.forget();
    this.input.end();
  }

  /** Tasks in flight keep this process alive; an idle launcher does not, and is ended after a while. */
  private busy(): void {
    clearTimeout(this.idleTimer);
    this.child.ref();
    this.replies.ref();
  }

  private idle(): void {
    this.child.unref();
    this.replies.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(), LAUNCHER_IDLE_MS);
    this.idleTimer.unref();
  }

  private forget(): void {
    const index = launchers.indexOf(this);
    if (index !== -1) launchers.splice(index, 1);
  }

  /** Frames: kind (1 byte), id (uint32 BE), payload length (uint32 BE), payload. */
  private read(chunk: Buffer): void {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    while (data.length - offset >= 9) {
      const end = offset + 9 + data.readUInt32BE(offset + 5);
      if (end > data.length) break;
      this.frame(data[offset] as number, data.readUInt32BE(offset + 1), data.subarray(offset + 9, end));
      offset = end;
    }
    this.pending = offset === data.length ? EMPTY : data.subarray(offset);
  }

  private frame(kind: number, id: number, payload: Buffer): void {
    if (kind === FRAME.ready) {
      this.ready = true;
      return;
    }
    const task = this.tasks.get(id);
    if (task === undefined) return; // settled already (timed out before it was known to run)
    switch (kind) {
      case FRAME.pid: {
        const [pid, logOffset] = payload.toString('latin1').split(' ');
        return task.spawned(Number(pid), Number(logOffset));
      }
      case FRAME.error: {
        const [stage, code, message = ''] = payload.toString().split('\0');
        const { spec } = task;
        if (stage === 'cwd') return task.failed(describeCwdError(spec.cwd, code, message));
        if (stage === 'log') return task.failed(`cannot open log file ${spec.logFile}: ${message}`);
        return task.failed(describeSpawnError(spec, Object.assign(new Error(message), { code })));
      }
      case FRAME.exit: {
        const [code = '-', signal = '-', logSize] = payload.toString('latin1').split(' ');
        return task.exit(code === '-' ? null : Number(code), signal === '-' ? null : signalName(Number(signal)), Number(logSize));
      }
    }
  }

  /** It exited (or never started). Unless it was ended on purpose, tasks are spawned here from now on. */
  private died(): void {
    if (this.gone) return;
    this.gone = true;
    this.ready = false;
    clearTimeout(this.idleTimer);
    this.child.unref();
    this.replies.unref();
    this.forget();
    if (!this.closing) launcherFailed = true;
    const orphans = [...this.tasks.values()];
    this.tasks.clear();
    for (const task of orphans) {
      task.onSettled = () => {};
      if (task.launcherDied() === 'restart') startDirectly(task);
    }
  }
}

/** For tests only. */
export const launcherTesting = {
  /** A launcher of this process once one is ready (started when there is none); undefined when none can be had. */
  async ready(): Promise<{ pid: number } | undefined> {
    for (let waited = 0; waited < 10_000; waited += 10) {
      const ready = readyLauncher();
      if (ready !== undefined) return { pid: ready.child.pid as number };
      if (launcherFailed || process.env.DAGLINE_LAUNCHER === 'off') return undefined;
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 10));
    }
    return undefined;
  },
  /** The pids of the launchers this process has now. */
  pids(): number[] {
    return launchers.map((launcher) => launcher.child.pid as number);
  },
  /** Whether tasks are spawned directly because a launcher failed. */
  failed(): boolean {
    return launcherFailed;
  },
  /** Ends the idle launchers and forgets a failure; `file` replaces launcher.ts (undefined: the real one). */
  reset(file?: string): void {
    for (const launcher of [...launchers]) launcher.close();
    launcherFailed = false;
    launcherFile = file ?? LAUNCHER_FILE;
  },
};

function openLog(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, 'a');
}

/** Why the working directory cannot be used, if it cannot. */
function checkCwd(cwd: string): string | undefined {
  try {
    const stat = statSync(cwd, { throwIfNoEntry: false });
    if (stat === undefined) return describeCwdError(cwd, 'ENOENT');
    if (!stat.isDirectory()) return describeCwdError(cwd, 'ENOTDIR');
  } catch (error) {
    return describeCwdError(cwd, (error as NodeJS.ErrnoException).code, errorMessage(error));
  }
  return undefined;
}

function describeCwdError(cwd: string, code: string | undefined, message = ''): string {
  if (code === 'ENOENT') return `working directory does not exist: ${cwd}`;
  if (code === 'ENOTDIR') return `working directory is not a directory: ${cwd}`;
  return `working directory is not accessible: ${cwd} (${message})`;
}

const SIGNAL_NAMES = new Map(Object.entries(osConstants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

/** A signal's name from its number (as the launcher reports it). Node names no real-time signal: those read as SIGKILL. */
function signalName(number: number): NodeJS.Signals {
  return SIGNAL_NAMES.get(number) ?? 'SIGKILL';
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
