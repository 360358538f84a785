import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { glob } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import { fail, ok, type Result } from '../result.js';
import { errorCode, errorMessage } from './fs-util.js';

const GLOB_CHARS = /[*?[\]{}]/;

/** Folders never read as inputs or stored as outputs: the repository's own and Dagline's (the cache itself). */
const SKIPPED_FOLDERS = new Set(['.git', '.dagline']);

export interface ExpandedPath {
  /** The declared path, normalized (forward slashes, no `.` segments, no trailing slash). */
  declared: string;
  /** Files it stands for, relative to the base folder with forward slashes, sorted. */
  files: string[];
  /** A plain path (not a glob) that does not exist. A glob matching nothing is not missing: it is empty. */
  missing: boolean;
}

export interface ExpandError {
  path: string;
  message: string;
}

export const isGlob = (path: string): boolean => GLOB_CHARS.test(path);

/** Forward slashes, `.` and `..` folded, no trailing slash: `./data//raw/` is `data/raw`. */
export function normalizePath(path: string): string {
  const normalized = posix.normalize(path.replaceAll('\\', '/'));
  return normalized === '/' ? normalized : normalized.replace(/\/$/, '');
}

/** Whether a file path (relative, normalized) is one that `declared` names: itself, a file below it, or a match. */
export function matchesDeclared(path: string, declared: string): boolean {
  const pattern = normalizePath(declared);
  if (isGlob(pattern)) return posix.matchesGlob(path, pattern);
  return path === pattern || pattern === '.' || path.startsWith(`${pattern}/`);
}

/** Sorts by UTF-16 code units, the same everywhere (no locale). */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Expands declared paths below `base`: a file is itself, a folder is every file below it (recursively,
 * skipping `.git` and `.dagline`), a glob is every file it matches (folders it matches are expanded too).
 * Symbolic links to files count as files; symbolic links to folders are not followed. Unreadable paths are
 * errors; a plain path that does not exist is `missing`, not an error (an input may be produced upstream).
 */
export async function expandPaths(base: string, declared: readonly string[]): Promise<Result<ExpandedPath[], ExpandError>> {
  const out: ExpandedPath[] = [];
  for (const written of declared) {
    const path = normalizePath(written);
    try {
      const files = new Set<string>();
      let missing = false;
      if (isGlob(path)) {
        for await (const entry of glob(path, { cwd: base, withFileTypes: true, exclude: (e: Dirent | string) => SKIPPED_FOLDERS.has(typeof e === 'string' ? e : e.name) })) {
          addEntry(base, relPath(base, join(entry.parentPath, entry.name)), entry, files);
        }
      } else {
        const found = statOrUndefined(join(base, path));
        if (found === undefined) missing = true;
        else if (found.isFile()) files.add(path);
        else if (found.isDirectory()) walk(base, path, files);
      }
      out.push({ declared: path, files: [...files].sort(byCodeUnit), missing });
    } catch (e) {
      return fail({ path, message: `cannot read ${path}: ${errorMessage(e)}` });
    }
  }
  return ok(out);
}

function addEntry(base: string, path: string, entry: Dirent, files: Set<string>): void {
  if (entry.isFile()) files.add(path);
  else if (entry.isDirectory()) walk(base, path, files);
  else if (entry.isSymbolicLink() && statOrUndefined(join(base, path))?.isFile()) files.add(path);
}

/** Synchronous on purpose: one readdir or stat is a few microseconds, a promise round trip ten times that. */
function walk(base: string, folder: string, files: Set<string>): void {
  for (const entry of readdirSync(join(base, folder), { withFileTypes: true })) {
    if (entry.isDirectory() && SKIPPED_FOLDERS.has(entry.name)) continue;
    addEntry(base, folder === '.' ? entry.name : `${folder}/${entry.name}`, entry, files);
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function relPath(base: string, abs: string): string {
  const rel = relative(base, abs);
  return rel === '' ? '.' : rel.split(sep).join('/');
}

/** True for a relative path that stays below its base: no absolute path, no `..` segment after normalizing. */
/**
 * Whether `path` below `root` stays inside `root` once every symbolic link on the way is followed, judged on the
 * nearest part of it that exists: a link to a file or folder elsewhere would make the cache read (save) or write
 * (restore) outside the repository.
 */
export function resolvesInside(root: string, path: string): boolean {
  const realRoot = realRootOf(root);
  if (realRoot === undefined) return false;
  for (let current = join(root, path); ; current = dirname(current)) {
    try {
      // The native realpath: one call into libc, where Node's own walks the path in JavaScript (a stat per part).
      const inside = relative(realRoot, realpathSync.native(current));
      return inside === '' || staysInside(inside);
    } catch (e) {
      if (dirname(current) === current || (errorCode(e) !== 'ENOENT' && errorCode(e) !== 'ENOTDIR')) return false;
    }
  }
}

/** The repository's own path, with its links followed: the same for every output of a run, so looked up once. */
let lastRoot: { root: string; real: string } | undefined;

function realRootOf(root: string): string | undefined {
  if (lastRoot?.root === root) return lastRoot.real;
  try {
    lastRoot = { root, real: realpathSync.native(root) };
    return lastRoot.real;
  } catch {
    return undefined;
  }
}

export function staysInside(path: string): boolean {
  if (path === '' || isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path) || path.includes('\0')) return false;
  const normalized = normalizePath(path);
  return normalized !== '.' && normalized !== '..' && !normalized.startsWith('../') && !normalized.startsWith('/');
}
