/**
 * The launcher: a small helper process that starts tasks on behalf of the dagline process (see process.ts).
 *
 * Why: a spawn is a fork, synchronous on the thread that calls it until the child has exec'd, and its cost grows
 * with the memory of the process that forks. This process holds nothing but what it needs to start and watch
 * tasks, so its spawns cost about a third of what they cost in dagline, and they no longer block dagline's main
 * thread (process.ts has the figures). It imports node: builtins only, so it starts fast (~40 ms).
 *
 * Protocol. Requests on stdin, one JSON object per line:
 *   {"id":1,"file":"bash","args":["-c","…"],"cwd":"…","env":{…},"log":null}   start a task
 *     log: a file to append the child's stdout and stderr to directly (opened here); null: they are piped back.
 *   {"id":1,"drop":true}   stop reading the task's output (its drain period is over) and forget it
 * Replies on stdout, as frames: kind (1 byte), id (uint32 BE), payload length (uint32 BE), payload; see FRAME.
 *
 * It only starts processes and reports on them: timeouts, signals and process-group kills stay in the dagline
 * process, which gets each task's pid. It ends when its stdin closes (dagline closed it, exited or was killed);
 * tasks still running then are left alone, as they would be without a launcher (they were started detached).
 * Signals do not end it (SIGKILL aside): dagline starts it in a session of its own, and it ignores SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT, so that after a Ctrl-C or a signal to dagline's process group it is still there while
 * dagline winds the tasks down.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';

/** Frame kinds; process.ts has the same table (this file is a program of its own, so nothing is imported from it). */
const FRAME = {
  /** id 0: the launcher is ready for requests. */
  ready: 0,
  /** Payload: the pid (decimal). The task runs; it leads its own process group. */
  pid: 1,
  /** Payload: JSON `{ stage: 'log' | 'spawn', code?, message }`. Not started; nothing more comes for this id. */
  error: 2,
  /** Payload: output bytes. */
  stdout: 3,
  stderr: 4,
  /** The stream reached its end (or failed); no more of its output comes. */
  stdoutEnd: 5,
  stderrEnd: 6,
  /** Payload: JSON `{ code, signal }`. */
  exit: 7,
} as const;

interface StartRequest {
  id: number;
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  log: string | null;
}

interface Task {
  child: ChildProcess;
  streams: Readable[];
  open: number;
  exited: boolean;
}

const tasks = new Map<number, Task>();
const EMPTY = Buffer.alloc(0);

function send(kind: number, id: number, payload: Buffer | string = EMPTY): void {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const frame = Buffer.allocUnsafe(9 + body.length);
  frame[0] = kind;
  frame.writeUInt32BE(id, 1);
  frame.writeUInt32BE(body.length, 5);
  body.copy(frame, 9);
  process.stdout.write(frame);
}

function sendError(id: number, stage: 'log' | 'spawn', error: unknown): void {
  const { code, message } = error as NodeJS.ErrnoException;
  send(FRAME.error, id, JSON.stringify({ stage, code, message: message ?? String(error) }));
}

function start(request: StartRequest): void {
  const { id } = request;
  let fd: number | undefined;
  if (request.log !== null) {
    try {
      mkdirSync(dirname(request.log), { recursive: true });
      fd = openSync(request.log, 'a');
    } catch (error) {
      sendError(id, 'log', error);
      return;
    }
  }
  let child: ChildProcess;
  try {
    child = spawn(request.file, request.args, {
      cwd: request.cwd,
      env: request.env,
      detached: true,
      stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
    });
  } catch (error) {
    sendError(id, 'spawn', error);
    return;
  } finally {
    // The child has its own copy by now (spawn returns after the exec).
    if (fd !== undefined) closeSync(fd);
  }
  if (child.pid === undefined) {
    // The spawn failed; Node reports why in 'error' on the next tick.
    child.once('error', (error) => sendError(id, 'spawn', error));
    child.stdout?.destroy();
    child.stderr?.destroy();
    return;
  }
  child.on('error', () => {}); // after a successful spawn only child.kill() can fail, and it is never called
  send(FRAME.pid, id, String(child.pid));
  const task: Task = { child, streams: [], open: 0, exited: false };
  tasks.set(id, task);
  const forget = (): void => {
    if (task.exited && task.open === 0) tasks.delete(id);
  };
  const watch = (stream: Readable | null, data: number, ended: number): void => {
    if (stream === null) return;
    task.streams.push(stream);
    task.open++;
    stream.on('data', (chunk: Buffer) => send(data, id, chunk));
    let reported = false;
    const onEnd = (): void => {
      if (reported || tasks.get(id) !== task) return; // reported, or dropped
      reported = true;
      task.open--;
      send(ended, id);
      forget();
    };
    stream.once('end', onEnd); // EOF: sooner than 'close'
    stream.once('close', onEnd); // after an error there is no 'end'
    stream.on('error', () => {});
  };
  watch(child.stdout, FRAME.stdout, FRAME.stdoutEnd);
  watch(child.stderr, FRAME.stderr, FRAME.stderrEnd);
  child.once('exit', (code, signal) => {
    task.exited = true;
    if (tasks.get(id) !== task) return;
    send(FRAME.exit, id, JSON.stringify({ code, signal }));
    forget();
  });
}

function drop(id: number): void {
  const task = tasks.get(id);
  if (task === undefined) return;
  tasks.delete(id);
  for (const stream of task.streams) stream.destroy();
}

function handle(line: string): void {
  if (line === '') return;
  const request = JSON.parse(line) as StartRequest | { id: number; drop: true };
  if ('drop' in request) drop(request.id);
  else start(request);
}

// Only dagline ends this process, by closing its stdin (see the top of the file).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(signal, () => {});
process.stdout.on('error', () => process.exit(0)); // EPIPE: dagline is gone

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  let from = 0;
  for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n', from)) {
    handle(buffered.slice(from, end));
    from = end + 1;
  }
  buffered = buffered.slice(from);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
send(FRAME.ready, 0);
