/**
 * The launcher: a small helper process that starts tasks on behalf of the dagline process (see process.ts).
 *
 * Why: a spawn is a fork, synchronous on the thread that calls it until the child has exec'd, and its cost grows
 * with the memory of the process that forks. This process holds nothing but what it needs to start and watch
 * tasks, so its spawns cost about a third of what they cost in dagline, and they no longer block dagline's main
 * thread (process.ts has the figures). It imports node: builtins only, so it starts fast (~40 ms).
 *
 * Protocol. Requests on stdin, one JSON object per line:
 *   {"id":1,"file":"bash","args":["-c","…"],"cwd":"…","set":{…},"unset":[…],"log":"…/task.log"}   start a task
 *     set, unset: how the task's environment differs from the previous request's (the first: from this process's
 *       own), so that what every task shares (params can be large) crosses the pipe once, not once a task.
 *     log: the file the child's stdout and stderr are appended to (opened here, its folder created if need be).
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

/** Frame kinds; process.ts has the same table (this file is a program of its own, so nothing is imported from it). */
const FRAME = {
  /** id 0: the launcher is ready for requests. */
  ready: 0,
  /** Payload: the pid (decimal). The task runs; it leads its own process group. */
  pid: 1,
  /** Payload: JSON `{ stage: 'log' | 'spawn', code?, message }`. Not started; nothing more comes for this id. */
  error: 2,
  /** Payload: JSON `{ code, signal }`. */
  exit: 3,
} as const;

interface StartRequest {
  id: number;
  file: string;
  args: string[];
  cwd: string;
  set: Record<string, string>;
  unset: string[];
  log: string;
}

/** The environment of the latest request. Null prototype: a variable may be called `__proto__`. */
const env: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, process.env);
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

/** The folder exists nearly always (dagline creates it): try the open first. */
function openLog(path: string): number {
  try {
    return openSync(path, 'a');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'a');
  }
}

function start(request: StartRequest): void {
  const { id } = request;
  for (const name of request.unset) delete env[name];
  Object.assign(env, request.set);
  let fd: number;
  try {
    fd = openLog(request.log);
  } catch (error) {
    sendError(id, 'log', error);
    return;
  }
  let child: ChildProcess;
  try {
    child = spawn(request.file, request.args, { cwd: request.cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  } catch (error) {
    sendError(id, 'spawn', error);
    return;
  } finally {
    closeSync(fd); // the child has its own copy by now (spawn returns after the exec)
  }
  if (child.pid === undefined) {
    // The spawn failed; Node reports why in 'error' on the next tick.
    child.once('error', (error) => sendError(id, 'spawn', error));
    return;
  }
  child.on('error', () => {}); // after a successful spawn only child.kill() can fail, and it is never called
  send(FRAME.pid, id, String(child.pid));
  child.once('exit', (code, signal) => send(FRAME.exit, id, JSON.stringify({ code, signal })));
}

function handle(line: string): void {
  if (line !== '') start(JSON.parse(line) as StartRequest);
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
