import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process groups: every task is started as the leader of its own group (spawn `detached: true`, so its pid is
 * also the group id), and everything it starts stays in that group unless it leaves on purpose (`setsid`).
 * POSIX only.
 */

/** Sends `signal` to every process in the group. False when the group is gone (ESRCH); never throws. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  // ESRCH is the common case (every task's group is killed after it exits, and is usually empty by then): the
  // stack of that error is never read, and capturing it was a measurable part of a task's cost.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    // ESRCH: nothing left. EPERM: a member changed its uid (setuid program); we cannot signal it either way.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * Whether some process of the group is still running. Zombies do not count: an orphan that died is reparented
 * to pid 1 and stays a zombie until pid 1 reaps it, which in a container can take seconds or never happen
 * (a pid 1 that is not an init). `kill(-pgid, 0)` succeeds for a group of zombies, so on Linux the members'
 * states are read from /proc; elsewhere the signal check is all there is.
 */
export function groupHasLiveMembers(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue; // not a pid
    const stat = procStat(entry);
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') return true;
  }
  return false;
}

/**
 * Whether the process `pid` is still running (a zombie does not count). Used for a task whose parent (the
 * launcher) died: it is nobody's child of ours any more, so nothing tells us when it ends.
 */
export function processIsLive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** State and process group of a pid from /proc/<pid>/stat, or undefined when it is gone or unreadable. */
export function procStat(pid: number | string): { state: string; pgrp: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

/** `pid (comm) state ppid pgrp …`; comm may itself contain spaces and parentheses, so read after the last `)`. */
export function parseProcStat(text: string): { state: string; pgrp: number } | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  if (state === undefined || state === '' || !Number.isInteger(pgrp)) return undefined;
  return { state, pgrp };
}
