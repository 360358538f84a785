import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);

// src/run/launcher.ts
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
var FRAME = {
  /** id 0: the launcher is ready for requests. */
  ready: 0,
  /** Payload: the pid (decimal). The task runs; it leads its own process group. */
  pid: 1,
  /** Payload: JSON `{ stage: 'log' | 'spawn', code?, message }`. Not started; nothing more comes for this id. */
  error: 2,
  /** Payload: JSON `{ code, signal }`. */
  exit: 3
};
var env = Object.assign(/* @__PURE__ */ Object.create(null), process.env);
var EMPTY = Buffer.alloc(0);
function send(kind, id, payload = EMPTY) {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload;
  const frame = Buffer.allocUnsafe(9 + body.length);
  frame[0] = kind;
  frame.writeUInt32BE(id, 1);
  frame.writeUInt32BE(body.length, 5);
  body.copy(frame, 9);
  process.stdout.write(frame);
}
function sendError(id, stage, error) {
  const { code, message } = error;
  send(FRAME.error, id, JSON.stringify({ stage, code, message: message ?? String(error) }));
}
function openLog(path) {
  try {
    return openSync(path, "a");
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, "a");
  }
}
function start(request) {
  const { id } = request;
  for (const name of request.unset) delete env[name];
  Object.assign(env, request.set);
  let fd;
  try {
    fd = openLog(request.log);
  } catch (error) {
    sendError(id, "log", error);
    return;
  }
  let child;
  try {
    child = spawn(request.file, request.args, { cwd: request.cwd, env, detached: true, stdio: ["ignore", fd, fd] });
  } catch (error) {
    sendError(id, "spawn", error);
    return;
  } finally {
    closeSync(fd);
  }
  if (child.pid === void 0) {
    child.once("error", (error) => sendError(id, "spawn", error));
    return;
  }
  child.on("error", () => {
  });
  send(FRAME.pid, id, String(child.pid));
  child.once("exit", (code, signal) => send(FRAME.exit, id, JSON.stringify({ code, signal })));
}
function handle(line) {
  if (line !== "") start(JSON.parse(line));
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"]) process.on(signal, () => {
});
process.stdout.on("error", () => process.exit(0));
var buffered = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffered += chunk;
  let from = 0;
  for (let end = buffered.indexOf("\n"); end !== -1; end = buffered.indexOf("\n", from)) {
    handle(buffered.slice(from, end));
    from = end + 1;
  }
  buffered = buffered.slice(from);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
send(FRAME.ready, 0);
