import { createHash, hash } from 'node:crypto';
import { closeSync, fchmodSync, fstatSync, mkdirSync, openSync, read, readSync, statSync, unlinkSync, write, writeSync, type BigIntStats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { fail, ok, type Result } from '../result.js';
import { errorCode, errorMessage, writeFileAtomic } from './fs-util.js';
import { byCodeUnit } from './paths.js';

/**
 * Bytes per read of a large file. Measured on a 256 MiB file: 1 MiB with two buffers in flight keeps the hash,
 * which runs on the main thread, busy while the thread pool reads the next chunk; smaller reads pay the promise
 * overhead per call, larger ones fall out of the CPU cache between the read and the hash.
 */
const CHUNK = 1 << 20;
/** Files smaller than this are read (and copied) with synchronous calls into one buffer of their size; see `pump`. */
const SMALL = 64 << 10;

export interface FileDigest {
  /** sha256 of the content, lowercase hex. */
  digest: string;
  size: number;
  /** Permission bits (`mode & 0o777`). */
  mode: number;
  /** True when the stat cache answered and the file was not read. */
  reused: boolean;
}

export interface DigestError {
  code: 'missing' | 'not-a-file' | 'io';
  path: string;
  message: string;
}

/** What the stat cache remembers of one file. Big numbers are decimal strings: JSON has no bigint. */
export interface StatEntry {
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  digest: string;
}

interface StatCacheFile {
  format: 1;
  files: Record<string, StatEntry>;
}

/**
 * A file's timestamps can only be trusted when they are older than the moment we started reading it by more
 * than the file system's timestamp granularity: otherwise a write right after our read could leave the same
 * size and timestamps behind ("racily clean", as git calls it). File systems with whole-second timestamps
 * (ext3, HFS+, FAT's 2 s) are recognised by a zero sub-second part.
 */
const FINE_MARGIN_NS = 50_000_000n;
const COARSE_MARGIN_NS = 2_000_000_000n;

function trustable(stats: BigIntStats, startedMs: number): boolean {
  const coarse = stats.mtimeNs % 1_000_000_000n === 0n && stats.ctimeNs % 1_000_000_000n === 0n;
  const limit = BigInt(startedMs) * 1_000_000n - (coarse ? COARSE_MARGIN_NS : FINE_MARGIN_NS);
  return stats.mtimeNs < limit && stats.ctimeNs < limit;
}

const sameStats = (a: BigIntStats, b: BigIntStats): boolean =>
  a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev;

/**
 * Remembers `path → (size, mtime, ctime, inode) → digest` so that an unchanged file is never read twice. An
 * entry is used only when every one of those matches the file as it is now. The change time (ctime) is there
 * besides the mtime because it cannot be set back (`touch -d`, `utimes` and `git checkout` all move it), so
 * content rewritten with the same size and an mtime restored afterwards is still noticed.
 *
 * Keys are paths relative to `root` with forward slashes (absolute for files outside it), so the cache file
 * stays valid when the checkout moves. Saving is atomic; two processes saving at once lose only entries, which
 * costs a re-read, never a wrong digest.
 */
export class StatCache {
  private readonly files: Map<string, StatEntry>;
  private readonly inflight = new Map<string, Promise<Result<FileDigest, DigestError>>>();
  private dirty = false;

  constructor(
    readonly root: string,
    readonly file?: string,
    files: Record<string, StatEntry> = {},
  ) {
    this.files = new Map(Object.entries(files));
  }

  /** Reads the cache file; a missing or unreadable file gives an empty cache (it is only a cache). */
  static async load(file: string, root: string): Promise<StatCache> {
    try {
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      if (isStatCacheFile(parsed)) return new StatCache(root, file, parsed.files);
    } catch {
      // missing, unreadable or not JSON: start empty
    }
    return new StatCache(root, file);
  }

  /** Writes the cache file (temp + rename) when something changed. */
  async save(file = this.file): Promise<Result<void, string>> {
    if (file === undefined) throw new Error('StatCache.save: no file to save to');
    if (!this.dirty && file === this.file) return ok(undefined);
    const out: StatCacheFile = { format: 1, files: Object.fromEntries([...this.files].sort(([a], [b]) => byCodeUnit(a, b))) };
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileAtomic(file, JSON.stringify(out));
      this.dirty = false;
      return ok(undefined);
    } catch (e) {
      return fail(`cannot write the stat cache ${file}: ${errorMessage(e)}`);
    }
  }

  get size(): number {
    return this.files.size;
  }

  keyFor(absPath: string): string {
    const rel = relative(this.root, absPath);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return absPath.split(sep).join('/');
    return rel.split(sep).join('/');
  }

  entry(key: string): StatEntry | undefined {
    return this.files.get(key);
  }

  /** The remembered digest, when the file still has exactly the remembered size, timestamps and inode. */
  lookup(key: string, stats: BigIntStats): string | undefined {
    const entry = this.files.get(key);
    if (entry === undefined) return undefined;
    const matches =
      entry.size === Number(stats.size) && entry.mtimeNs === String(stats.mtimeNs) && entry.ctimeNs === String(stats.ctimeNs) && entry.ino === String(stats.ino);
    return matches ? entry.digest : undefined;
  }

  /**
   * Remembers a digest for a file whose content was read (or written) while it had `stats`. `startedMs` is the
   * wall-clock time before reading began; a file changed too close to it is not remembered (see `trustable`).
   */
  record(key: string, stats: BigIntStats, digest: string, startedMs: number): void {
    if (!trustable(stats, startedMs)) {
      this.forget(key);
      return;
    }
    const entry: StatEntry = { size: Number(stats.size), mtimeNs: String(stats.mtimeNs), ctimeNs: String(stats.ctimeNs), ino: String(stats.ino), digest };
    const old = this.files.get(key);
    if (old && old.digest === entry.digest && old.size === entry.size && old.mtimeNs === entry.mtimeNs && old.ctimeNs === entry.ctimeNs && old.ino === entry.ino) return;
    this.files.set(key, entry);
    this.dirty = true;
  }

  forget(key: string): void {
    if (this.files.delete(key)) this.dirty = true;
  }

  /** @internal one digest per path at a time: concurrent callers share the read. */
  shared(key: string, compute: () => Promise<Result<FileDigest, DigestError>>): Promise<Result<FileDigest, DigestError>> {
    const running = this.inflight.get(key);
    if (running) return running;
    const promise = compute().finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }
}

function isStatCacheFile(value: unknown): value is StatCacheFile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<StatCacheFile>;
  if (v.format !== 1 || typeof v.files !== 'object' || v.files === null) return false;
  return Object.values(v.files).every(
    (e: Partial<StatEntry>) =>
      typeof e === 'object' && e !== null && typeof e.size === 'number' && typeof e.mtimeNs === 'string' && typeof e.ctimeNs === 'string' && typeof e.ino === 'string' && typeof e.digest === 'string',
  );
}

function digestError(e: unknown, path: string): DigestError {
  const code = errorCode(e);
  if (code === 'ENOENT' || code === 'ENOTDIR') return { code: 'missing', path, message: `${path} does not exist` };
  if (code === 'EISDIR') return { code: 'not-a-file', path, message: `${path} is not a file` };
  return { code: 'io', path, message: errorMessage(e) };
}

/**
 * The sha256 (hex) of a file's content, streamed in large reads. With a stat cache, a file whose size, mtime,
 * ctime and inode are all unchanged is not read at all; a file read while it changed is not remembered.
 */
export function digestFile(absPath: string, statCache?: StatCache, stats?: BigIntStats): Promise<Result<FileDigest, DigestError>> {
  if (statCache === undefined) return digestUncached(absPath, undefined, undefined, stats);
  const key = statCache.keyFor(absPath);
  return statCache.shared(key, () => digestUncached(absPath, statCache, key, stats));
}

/** `known`: the file's stats, when the caller has just taken them (spares a stat). */
async function digestUncached(absPath: string, statCache: StatCache | undefined, key: string | undefined, known: BigIntStats | undefined): Promise<Result<FileDigest, DigestError>> {
  const startedMs = Date.now();
  let stats: BigIntStats;
  try {
    stats = known ?? statSync(absPath, { bigint: true });
  } catch (e) {
    if (key !== undefined) statCache?.forget(key);
    return fail(digestError(e, absPath));
  }
  if (!stats.isFile()) return fail({ code: 'not-a-file', path: absPath, message: `${absPath} is not a file` });
  if (statCache !== undefined && key !== undefined) {
    const known = statCache.lookup(key, stats);
    if (known !== undefined) return ok({ digest: known, size: Number(stats.size), mode: Number(stats.mode) & 0o777, reused: true });
  }
  let fd: number | undefined;
  try {
    fd = openSync(absPath, 'r');
    const before = fstatSync(fd, { bigint: true });
    const { digest, bytes } = await pump(fd, Number(before.size), undefined);
    const after = fstatSync(fd, { bigint: true });
    if (statCache !== undefined && key !== undefined) {
      if (sameStats(before, after) && Number(after.size) === bytes) statCache.record(key, after, digest, startedMs);
      else statCache.forget(key);
    }
    return ok({ digest, size: bytes, mode: Number(after.mode) & 0o777, reused: false });
  } catch (e) {
    return fail(digestError(e instanceof PumpError ? e.cause : e, absPath));
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

export interface CopyResult {
  digest: string;
  size: number;
  /** The source before and after the copy: different means it changed while it was copied. */
  before: BigIntStats;
  after: BigIntStats;
}

export interface CopyError {
  /** Which side failed: reading the source or writing the target. */
  side: 'source' | 'target';
  code: string | undefined;
  message: string;
}

/**
 * Copies `source` to a new file `target` (which must not exist) while hashing the bytes, so the digest is of
 * exactly what was written. `mode` sets the target's permission bits. On failure the target is removed.
 */
export async function copyAndHash(source: string, target: string, mode: number): Promise<Result<CopyResult, CopyError>> {
  let input: number | undefined;
  let output: number | undefined;
  let side: CopyError['side'] = 'source';
  try {
    input = openSync(source, 'r');
    const before = fstatSync(input, { bigint: true });
    if (!before.isFile()) return fail({ side: 'source', code: 'EISDIR', message: `${source}: not a file` });
    side = 'target';
    output = openSync(target, 'wx', 0o600);
    const { digest, bytes } = await pump(input, Number(before.size), output);
    fchmodSync(output, mode);
    closeSync(output);
    output = undefined;
    side = 'source';
    const after = fstatSync(input, { bigint: true });
    return ok({ digest, size: bytes, before, after });
  } catch (e) {
    const which = e instanceof PumpError ? e.side : side;
    const cause = e instanceof PumpError ? e.cause : e;
    if (output !== undefined) {
      closeQuietly(output);
      try {
        unlinkSync(target);
      } catch {
        // already gone
      }
    }
    return fail({ side: which, code: errorCode(cause), message: `${which === 'source' ? source : target}: ${errorMessage(cause)}` });
  } finally {
    if (input !== undefined) closeQuietly(input);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing to do: the descriptor is gone either way
  }
}

class PumpError extends Error {
  constructor(
    readonly side: 'source' | 'target',
    override readonly cause: unknown,
  ) {
    super(errorMessage(cause));
  }
}

/**
 * Reads `input` to its end, hashing every byte and, with `output`, writing it at the same offset.
 *
 * A small file is read and written with synchronous calls: a promise round trip through the thread pool costs
 * 20-300 µs per call (measured: `await readFile` of a small file 327 µs, `readFileSync` 6 µs), which is what a
 * cached run of 1,000 tasks with small outputs would spend its time on. A large file is read asynchronously in
 * 1 MiB chunks into two buffers: while the main thread hashes one, the thread pool reads the next (and writes
 * the current one), so the event loop stays responsive and hashing runs at full speed.
 */
async function pump(input: number, sizeHint: number, output: number | undefined): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  if (sizeHint < SMALL) {
    const buffer = Buffer.allocUnsafe(sizeHint + 1); // +1: a file that grew is still read to its end
    let bytes = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(input, buffer, 0, buffer.length, bytes);
      } catch (e) {
        throw new PumpError('source', e);
      }
      if (n === 0) break;
      const data = buffer.subarray(0, n);
      hash.update(data);
      if (output !== undefined) writeAllSync(output, data, bytes);
      bytes += n;
    }
    return { digest: hash.digest('hex'), bytes };
  }
  const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)] as const;
  let position = 0;
  let current: 0 | 1 = 0;
  let pendingRead = readAt(input, buffers[0], 0);
  let pendingWrite: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      const n = await pendingRead;
      if (n === 0) break;
      const chunk = buffers[current];
      const at = position;
      position += n;
      await pendingWrite; // it was writing the other buffer, which the next read fills
      current = current === 0 ? 1 : 0;
      pendingRead = readAt(input, buffers[current], position);
      const data = n === chunk.length ? chunk : chunk.subarray(0, n);
      if (output !== undefined) {
        pendingWrite = writeAllAt(output, data, at);
        pendingWrite.catch(() => undefined); // handled when awaited; this only keeps it from counting as unhandled
      }
      hash.update(data);
    }
    await pendingWrite;
  } catch (e) {
    await pendingWrite.catch(() => undefined);
    await pendingRead.catch(() => undefined);
    throw e;
  }
  return { digest: hash.digest('hex'), bytes: position };
}

function readAt(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buffer, 0, buffer.length, position, (e, n) => (e ? reject(new PumpError('source', e)) : resolve(n))));
}

async function writeAllAt(fd: number, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    done += await new Promise<number>((resolve, reject) =>
      write(fd, data, done, data.length - done, position + done, (e, n) => (e ? reject(new PumpError('target', e)) : resolve(n))),
    );
  }
}

function writeAllSync(fd: number, data: Buffer, position: number): void {
  let done = 0;
  try {
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
  } catch (e) {
    throw new PumpError('target', e);
  }
}

/** The sha256 (hex) of a string or buffer. */
/** One-shot: `crypto.hash` skips the Hash object, a third of the cost for the small values of a fingerprint. */
export const sha256 = (data: string | Uint8Array): string => hash('sha256', data);
