import { join, posix } from 'node:path';
import type { Graph, Task } from '../compile/graph.js';
import { fail, ok, type Result } from '../result.js';
import { digestFile, sha256, type StatCache } from './file-digest.js';
import { mapLimit } from './fs-util.js';
import { byCodeUnit, expandPaths, matchesDeclared, normalizePath } from './paths.js';

/** Bumped whenever what goes into a fingerprint changes, so old cache entries stop matching. */
export const FINGERPRINT_FORMAT = 1;

/** The digest of a declared input that does not exist (yet: it may be produced upstream). */
export const MISSING = 'missing';

/**
 * One named ingredient of a fingerprint. Names: `format`, `command`, `shell`, `working-directory`, `outputs`,
 * `matrix:<axis>`, `env:<NAME>`, `input:<path>` (one per file, relative to the pipeline's folder), `needs:<id>`.
 * Only digests are kept, never values: parts are stored to explain the next plan, and env values may be private.
 */
export interface FingerprintPart {
  name: string;
  /** sha256 hex, or `missing` for a declared input that does not exist. */
  digest: string;
}

export interface Fingerprint {
  /** sha256 hex over every part, in order. */
  digest: string;
  parts: FingerprintPart[];
}

export interface FingerprintError {
  taskId: string;
  path: string;
  message: string;
}

/** Files hashed at once: enough to overlap I/O of many small inputs; hashing itself runs on one thread. */
const DIGEST_CONCURRENCY = 8;

/**
 * The fingerprint of one task: its command (the compiled parts, so run-time expressions count by their text;
 * their values come from upstream tasks, whose fingerprints are included), shell, working directory, declared
 * outputs, matrix values (they are in its environment), declared env, the content of every input file (folders
 * and globs expanded, `.git` and `.dagline` skipped), the fingerprints of the tasks it needs, and the format.
 *
 * Not included, on purpose: the absolute repository root (a laptop and CI share entries), timeouts, retries and
 * conditions (they decide whether the task runs, not what it produces), params and run macros that are not
 * written into the command or env (every task would go stale on every date or param change).
 *
 * `upstream` must hold the fingerprint of every task in `task.needs` (graph order guarantees it); a missing one
 * is a bug in the caller.
 */
export async function fingerprintTask(
  task: Task,
  graph: Graph,
  upstream: ReadonlyMap<string, Fingerprint>,
  statCache?: StatCache,
  expected?: ExpectedFiles,
): Promise<Result<Fingerprint, FingerprintError>> {
  const parts: FingerprintPart[] = [{ name: 'format', digest: sha256(`dagline-fingerprint ${FINGERPRINT_FORMAT}`) }];
  const command = task.command;
  if (command.kind === 'run') {
    parts.push({ name: 'command', digest: valueDigest({ run: command.script }) });
    parts.push({ name: 'shell', digest: valueDigest(command.shell) });
  } else {
    parts.push({ name: 'command', digest: valueDigest({ args: command.args }) });
  }
  parts.push({ name: 'working-directory', digest: valueDigest(repoRelative(graph.dir, task.workingDirectory)) });
  parts.push({ name: 'outputs', digest: valueDigest(task.outputs.map((o) => repoRelative(graph.dir, o)).sort(byCodeUnit)) });
  for (const axis of Object.keys(task.matrix).sort(byCodeUnit)) parts.push({ name: `matrix:${axis}`, digest: valueDigest(task.matrix[axis] ?? null) });
  for (const name of Object.keys(task.env).sort(byCodeUnit)) parts.push({ name: `env:${name}`, digest: valueDigest(task.env[name] ?? []) });

  const inputs = await inputParts(task, graph, statCache, expected);
  if (!inputs.ok) return inputs;
  parts.push(...inputs.value);

  for (const id of [...new Set(task.needs)].sort(byCodeUnit)) {
    const need = upstream.get(id);
    if (need === undefined) throw new Error(`fingerprintTask: no fingerprint for \`${id}\`, which \`${task.id}\` needs`);
    parts.push({ name: `needs:${id}`, digest: need.digest });
  }
  return ok({ digest: partsDigest(parts), parts });
}

/**
 * Files that will be on disk, with their sha256, before the task runs though they are not there yet: the outputs
 * of cached upstream tasks, which a run restores first. Paths relative to the repository. `plan` passes them so
 * that on a fresh checkout a task whose inputs are restored outputs is still seen as cached.
 */
export type ExpectedFiles = ReadonlyMap<string, string>;

async function inputParts(task: Task, graph: Graph, statCache: StatCache | undefined, expected: ExpectedFiles | undefined): Promise<Result<FingerprintPart[], FingerprintError>> {
  const base = join(graph.root, graph.dir);
  const expanded = await expandPaths(base, task.inputs);
  if (!expanded.ok) return fail({ taskId: task.id, path: expanded.error.path, message: expanded.error.message });
  const files = new Set<string>();
  const missing = new Set<string>();
  for (const input of expanded.value) {
    for (const file of input.files) files.add(file);
    if (input.missing) missing.add(input.declared);
  }
  const coming = expectedInputs(task, graph, expected);
  for (const path of coming.keys()) files.add(path);
  const paths = [...new Set([...files, ...missing])].sort(byCodeUnit);
  const digests = await mapLimit(paths, DIGEST_CONCURRENCY, async (path) => {
    const known = coming.get(path);
    if (known !== undefined) return ok(known);
    if (missing.has(path) && !files.has(path)) return ok(MISSING);
    const digest = await digestFile(join(base, path), statCache);
    if (digest.ok) return ok(digest.value.digest);
    // Deleted between listing and reading: the same as not there.
    return digest.error.code === 'missing' ? ok(MISSING) : fail(digest.error);
  });
  const parts: FingerprintPart[] = [];
  for (const [i, path] of paths.entries()) {
    const digest = digests[i];
    if (digest === undefined) continue;
    if (!digest.ok) return fail({ taskId: task.id, path, message: `cannot read input ${path}: ${digest.error.message}` });
    parts.push({ name: `input:${path}`, digest: digest.value });
  }
  return ok(parts);
}

/** The expected files the task's inputs name, by path relative to the pipeline's folder. */
function expectedInputs(task: Task, graph: Graph, expected: ExpectedFiles | undefined): Map<string, string> {
  const coming = new Map<string, string>();
  if (expected === undefined || expected.size === 0) return coming;
  for (const [repoPath, digest] of expected) {
    const path = graph.dir === '' ? repoPath : posix.relative(graph.dir, repoPath);
    if (task.inputs.some((declared) => matchesDeclared(path, declared))) coming.set(path, digest);
  }
  return coming;
}

/** The digest of a list of parts: what `Fingerprint.digest` is. */
export const partsDigest = (parts: readonly FingerprintPart[]): string => sha256(JSON.stringify(parts.map((p) => [p.name, p.digest])));

/** JSON with sorted keys, so equal values give equal digests whatever order their keys were written in. */
function valueDigest(value: unknown): string {
  return sha256(JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? sortedObject(v as Record<string, unknown>) : v)));
}

function sortedObject(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(value).sort(byCodeUnit).map((k) => [k, value[k]]));
}

const repoRelative = (dir: string, path: string): string => normalizePath(posix.join(dir === '' ? '.' : dir, path));

const GROUPS = ['format', 'command', 'shell', 'working-directory', 'outputs', 'matrix', 'env', 'input', 'needs'];

function rank(name: string): number {
  const group = name.includes(':') ? name.slice(0, name.indexOf(':')) : name;
  const index = GROUPS.indexOf(group);
  return index === -1 ? GROUPS.length : index;
}

/**
 * Why a fingerprint differs from an earlier one, in words for `plan`: "command changed", "input
 * data/raw.csv changed", "input data/b.csv added", "env TOKEN removed", "upstream features changed", …
 * Empty when nothing differs. A different format says only that: parts of another format do not compare.
 */
export function explainDifference(previous: readonly FingerprintPart[], current: readonly FingerprintPart[]): string[] {
  const before = new Map(previous.map((p) => [p.name, p.digest]));
  const after = new Map(current.map((p) => [p.name, p.digest]));
  if (before.get('format') !== after.get('format')) return ['the cache format changed'];
  const names = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => rank(a) - rank(b) || byCodeUnit(a, b));
  const reasons: string[] = [];
  for (const name of names) {
    const was = before.get(name);
    const now = after.get(name);
    if (was === now) continue;
    const reason = describe(name, was, now);
    if (!reasons.includes(reason)) reasons.push(reason);
  }
  return reasons;
}

function describe(name: string, was: string | undefined, now: string | undefined): string {
  const colon = name.indexOf(':');
  const group = colon === -1 ? name : name.slice(0, colon);
  const what = name.slice(colon + 1);
  const change = was === undefined ? 'added' : now === undefined ? 'removed' : 'changed';
  switch (group) {
    case 'command':
      return 'command changed';
    case 'shell':
      return change === 'changed' ? 'shell changed' : 'command changed'; // run: ↔ args: adds or drops the shell
    case 'working-directory':
      return 'working directory changed';
    case 'outputs':
      return 'declared outputs changed';
    case 'matrix':
      return `matrix value ${what} changed`;
    case 'env':
      return `env ${what} ${change}`;
    case 'input':
      if (was === MISSING && now !== undefined) return `input ${what} appeared`;
      if (now === MISSING && was !== undefined) return `input ${what} is missing`;
      return `input ${what} ${change}`;
    case 'needs':
      return `upstream ${what} ${change}`;
    default:
      return `${name} changed`;
  }
}
