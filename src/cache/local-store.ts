import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, type BigIntStats } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fail, ok, type Result } from '../result.js';
import { copyAndHash, digestFile, type StatCache } from './file-digest.js';
import { errorCode, errorMessage, mapLimit, tempName, tempNextTo, writeFileAtomic } from './fs-util.js';
import { byCodeUnit, expandPaths, normalizePath, resolvesInside, staysInside } from './paths.js';
import {
  checkKey,
  isManifest,
  MANIFEST_FORMAT,
  type CacheStore,
  type Manifest,
  type ManifestFile,
  type RestoreFailure,
  type RestoreResult,
  type SaveFailure,
  type SaveResult,
  type StoreOptions,
} from './store.js';

/** The default cache folder of a repository. */
export const defaultCacheDir = (root: string): string => join(root, '.dagline', 'cache');

/** Files copied at once on save and restore. */
const IO_CONCURRENCY = 8;
/** An unreferenced blob younger than this is never pruned: a save in another process may be about to use it. */
const BLOB_GRACE_MS = 60_000;
/** Temporary files older than this were left by a killed process. */
const TEMP_GRACE_MS = 60 * 60_000;
/** Blobs are read-only: a stray write into the cache folder cannot change stored content silently. */
const BLOB_MODE = 0o444;

export interface EntryInfo {
  key: string;
  createdAt: string;
  /** When the entry was last saved or restored (the manifest's mtime): prune removes the least recently used. */
  lastUsedAt: string;
  files: number;
  /** Sum of the entry's file sizes (shared blobs count in every entry that uses them). */
  bytes: number;
}

export interface Usage {
  entries: number;
  blobs: number;
  /** Bytes of blobs on disk: shared content counted once. */
  blobBytes: number;
  /** Leftovers of killed processes (prune removes them after an hour). */
  temps: number;
  tempBytes: number;
}

export interface PruneOptions {
  /** Remove entries not used (saved or restored) for this long. */
  olderThanMs?: number;
  /** Then remove least recently used entries until the blobs still referenced fit in this many bytes. */
  maxBytes?: number;
  /** Unreferenced blobs younger than this stay (default one minute): another process may be saving an entry that uses them. */
  blobGraceMs?: number;
  /** The clock for `olderThanMs` (tests). */
  now?: number;
}

export interface PruneReport {
  entriesRemoved: string[];
  blobsRemoved: number;
  bytesFreed: number;
  tempsRemoved: number;
  /** Bytes of blobs left on disk. */
  bytesLeft: number;
}

export interface StoreError {
  message: string;
  path?: string;
}

interface BlobInfo {
  path: string;
  size: number;
  mtimeMs: number;
}

interface ListedEntry {
  key: string;
  path: string;
  mtimeMs: number;
  manifest: Manifest | undefined;
}

/** A file to restore, once its temporary copy is verified. */
type Prepared = { file: ManifestFile; target: string; temp: string } | { file: ManifestFile; target: string; temp: undefined; mode: number };

/**
 * The `local` backend: a folder (`.dagline/cache` by default).
 *
 * ```
 * <dir>/blobs/ab/ab12…ef        content-addressed file contents (sha256), read-only, shared by every entry
 * <dir>/entries/<key>.json      manifests, written last: an entry is visible only when its blobs are in place
 * <dir>/tmp/                    blobs being written (renamed into blobs/ once complete)
 * ```
 *
 * Every file appears under its final name by `rename` from a temporary name on the same file system, so a
 * reader (or a process killed mid-write) sees a whole file or none. Two processes saving the same key both
 * succeed: their blobs are identical and the last manifest wins. Nothing is fsync'ed: after a power loss a
 * blob may be damaged, and restore verifies every byte it copies, so that is a miss, never a wrong file.
 */
export class LocalStore implements CacheStore {
  private readonly blobsDir: string;
  private readonly entriesDir: string;
  private readonly tmpDir: string;

  constructor(readonly dir: string) {
    this.blobsDir = join(dir, 'blobs');
    this.entriesDir = join(dir, 'entries');
    this.tmpDir = join(dir, 'tmp');
  }

  blobPath(digest: string): string {
    return join(this.blobsDir, digest.slice(0, 2), digest);
  }

  entryPath(key: string): string {
    return join(this.entriesDir, `${key}.json`);
  }

  async has(key: string): Promise<boolean> {
    checkKey(key);
    try {
      return statSync(this.entryPath(key)).isFile();
    } catch {
      return false;
    }
  }

  async save(key: string, root: string, files: readonly string[], taskOutputs: Record<string, string>, options: StoreOptions = {}): Promise<SaveResult> {
    checkKey(key);
    for (const path of files) {
      if (!staysInside(path)) return fail({ kind: 'invalid', path, message: `output \`${path}\` is not a path inside the repository` });
    }
    const expanded = await expandPaths(root, files);
    if (!expanded.ok) return fail({ kind: 'io', path: expanded.error.path, message: expanded.error.message });
    const missing = expanded.value.find((e) => e.missing);
    if (missing) return fail({ kind: 'missing-output', path: missing.declared, message: `output ${missing.declared} does not exist` });
    const paths = [...new Set(expanded.value.flatMap((e) => e.files))].sort(byCodeUnit);
    const escaping = paths.find((path) => !resolvesInside(root, path));
    if (escaping !== undefined) return fail({ kind: 'invalid', path: escaping, message: `output ${escaping} is a link to outside the repository; it is not stored` });
    try {
      mkdirSync(this.tmpDir, { recursive: true });
      mkdirSync(this.entriesDir, { recursive: true });
    } catch (e) {
      return fail({ kind: 'io', path: this.dir, message: `cannot create the cache folder ${this.dir}: ${errorMessage(e)}` });
    }

    let failure: SaveFailure | undefined;
    let blobsWritten = 0;
    let bytesWritten = 0;
    const stored = await mapLimit(paths, IO_CONCURRENCY, async (path) => {
      if (failure) return undefined;
      const result = await this.storeFile(root, path, options.statCache);
      if (!result.ok) {
        failure ??= result.error;
        return undefined;
      }
      if (result.value.written) {
        blobsWritten++;
        bytesWritten += result.value.file.size;
      }
      return result.value.file;
    });
    if (failure) return fail(failure);
    const manifestFiles = stored.filter((f): f is ManifestFile => f !== undefined);

    // A blob stored early in this save, or one that was already there, may have been pruned meanwhile (prune
    // removes unreferenced blobs older than a minute). Touching every blob makes it young again, so from the
    // last touch until the manifest is renamed into place (well under a millisecond per file) no prune takes
    // one; a blob already gone is stored again, and then every blob is touched once more.
    const digests = [...new Set(manifestFiles.map((f) => f.digest))];
    for (let round = 0; ; round++) {
      const touched = digests.map((digest) => this.touch(this.blobPath(digest)));
      const gone = new Set(digests.filter((_, i) => touched[i] === 'missing'));
      if (gone.size === 0) break;
      if (round === 2) return fail({ kind: 'io', path: this.blobsDir, message: 'blobs keep disappearing from the cache while it is saved (is a prune running with a short grace period?)' });
      for (const digest of gone) {
        const file = manifestFiles.find((f) => f.digest === digest);
        if (file === undefined) continue;
        const again = await this.storeFile(root, file.path, undefined);
        if (!again.ok) return fail(again.error);
        if (again.value.file.digest !== file.digest) return fail({ kind: 'unstable', path: file.path, message: `output ${file.path} changed while it was being stored` });
        if (again.value.written) {
          blobsWritten++;
          bytesWritten += file.size;
        }
      }
    }

    const manifest: Manifest = { format: MANIFEST_FORMAT, key, createdAt: new Date().toISOString(), files: manifestFiles, taskOutputs: { ...taskOutputs } };
    try {
      writeFileAtomic(this.entryPath(key), `${JSON.stringify(manifest, null, 1)}\n`);
    } catch (e) {
      return fail({ kind: 'io', path: this.entryPath(key), message: `cannot write the cache entry: ${errorMessage(e)}` });
    }
    return ok({ manifest, blobsWritten, bytesWritten });
  }

  /** Puts one output file into the blob store (unless its blob is already there) and describes it. */
  private async storeFile(root: string, path: string, statCache: StatCache | undefined): Promise<Result<{ file: ManifestFile; written: boolean }, SaveFailure>> {
    const source = join(root, path);
    const startedMs = Date.now();
    if (statCache !== undefined) {
      const known = await digestFile(source, statCache);
      if (known.ok && known.value.reused && this.exists(this.blobPath(known.value.digest))) {
        return ok({ file: { path, mode: known.value.mode, size: known.value.size, digest: known.value.digest }, written: false });
      }
    }
    const temp = join(this.tmpDir, tempName('blob'));
    const copied = await copyAndHash(source, temp, BLOB_MODE);
    if (!copied.ok) {
      const { side, code, message } = copied.error;
      if (side === 'source' && (code === 'ENOENT' || code === 'ENOTDIR')) return fail({ kind: 'missing-output', path, message: `output ${path} does not exist` });
      return fail({ kind: 'io', path: side === 'source' ? path : temp, message: side === 'source' ? `cannot read output ${path}: ${message}` : `cannot write to the cache: ${message}` });
    }
    const { digest, size, before, after } = copied.value;
    if (!unchanged(before, after) || Number(after.size) !== size) {
      unlinkQuietly(temp);
      return fail({ kind: 'unstable', path, message: `output ${path} changed while it was being stored` });
    }
    statCache?.record(statCache.keyFor(source), after, digest, startedMs);
    const blob = this.blobPath(digest);
    const file: ManifestFile = { path, mode: Number(after.mode) & 0o777, size, digest };
    try {
      const existed = this.exists(blob);
      mkdirSync(dirname(blob), { recursive: true });
      // Renaming over an existing blob (same content) is harmless, and leaves it young for prune's grace period.
      renameSync(temp, blob);
      return ok({ file, written: !existed });
    } catch (e) {
      unlinkQuietly(temp);
      return fail({ kind: 'io', path: blob, message: `cannot store ${path} in the cache: ${errorMessage(e)}` });
    }
  }

  async restore(key: string, root: string, options: StoreOptions = {}): Promise<RestoreResult> {
    checkKey(key);
    const manifest = this.readManifest(key);
    if (!manifest.ok) return manifest;
    const { files } = manifest.value;
    const seen = new Set<string>();
    for (const file of files) {
      const path = normalizePath(file.path);
      if (!staysInside(file.path) || path !== file.path || seen.has(path)) {
        return fail({ kind: 'corrupt', path: this.entryPath(key), message: `cache entry ${key} names an invalid path \`${file.path}\`` });
      }
      seen.add(path);
    }

    const folders = [...new Set(files.map((f) => posix.dirname(f.path)))];
    const linkedAway = folders.find((folder) => !resolvesInside(root, folder));
    if (linkedAway !== undefined) return fail({ kind: 'io', path: join(root, linkedAway), message: `cannot restore into ${linkedAway}: it is a link to outside the repository` });

    // Phase 1: copy every blob that is needed to a temporary file next to its target, verifying its digest.
    let failure: RestoreFailure | undefined;
    const prepared = await mapLimit(files, IO_CONCURRENCY, async (file) => {
      if (failure) return undefined;
      const result = await this.prepare(file, root, options.statCache);
      if (!result.ok) failure ??= result.error;
      return result.ok ? result.value : undefined;
    });
    const temps = prepared.flatMap((p) => (p?.temp === undefined ? [] : [p.temp]));
    if (failure) {
      temps.forEach(unlinkQuietly);
      return fail(failure);
    }

    // Phase 2: every copy is verified; move them into place.
    const written: string[] = [];
    const unchangedFiles: string[] = [];
    for (const [i, item] of prepared.entries()) {
      if (item === undefined) continue;
      try {
        if (item.temp !== undefined) {
          renameSync(item.temp, item.target);
          written.push(item.file.path);
        } else {
          if (item.mode !== item.file.mode) chmodSync(item.target, item.file.mode);
          unchangedFiles.push(item.file.path);
        }
      } catch (e) {
        for (const p of prepared.slice(i)) if (p?.temp !== undefined) unlinkQuietly(p.temp);
        return fail({ kind: 'io', path: item.target, message: `cannot restore ${item.file.path}: ${errorMessage(e)}` });
      }
    }
    this.touch(this.entryPath(key)); // least recently used goes first on prune
    return ok({ manifest: manifest.value, written, unchanged: unchangedFiles });
  }

  private async prepare(file: ManifestFile, root: string, statCache: StatCache | undefined): Promise<Result<Prepared, RestoreFailure>> {
    const target = join(root, file.path);
    let current: BigIntStats | undefined;
    try {
      current = statSync(target, { bigint: true });
    } catch (e) {
      const code = errorCode(e);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return fail({ kind: 'io', path: target, message: `cannot restore ${file.path}: ${errorMessage(e)}` });
    }
    if (current?.isDirectory()) return fail({ kind: 'io', path: target, message: `cannot restore ${file.path}: a folder is in the way` });
    if (current?.isFile() && Number(current.size) === file.size) {
      const onDisk = await digestFile(target, statCache, current);
      if (onDisk.ok && onDisk.value.digest === file.digest) return ok({ file, target, temp: undefined, mode: onDisk.value.mode });
    }
    const blob = this.blobPath(file.digest);
    let temp: string;
    try {
      mkdirSync(dirname(target), { recursive: true });
      temp = tempNextTo(target);
    } catch (e) {
      return fail({ kind: 'io', path: target, message: `cannot restore ${file.path}: ${errorMessage(e)}` });
    }
    const copied = await copyAndHash(blob, temp, file.mode);
    if (!copied.ok) {
      const { side, code, message } = copied.error;
      if (side === 'source' && code === 'ENOENT') return fail({ kind: 'corrupt', path: blob, message: `blob ${blob} of ${file.path} is missing` });
      return fail({ kind: 'io', path: side === 'source' ? blob : target, message: `cannot restore ${file.path}: ${message}` });
    }
    if (copied.value.digest !== file.digest || copied.value.size !== file.size) {
      unlinkQuietly(temp);
      this.discardBlob(blob, copied.value.after);
      return fail({ kind: 'corrupt', path: blob, message: `blob ${blob} of ${file.path} does not match its digest (removed; the task will run again)` });
    }
    return ok({ file, target, temp });
  }

  /** Removes a damaged blob so the next save stores it again, unless another process has already replaced it. */
  private discardBlob(blob: string, read: BigIntStats): void {
    try {
      const now = statSync(blob, { bigint: true });
      if (now.ino === read.ino && now.dev === read.dev) unlinkSync(blob);
    } catch {
      // already gone
    }
  }

  async manifest(key: string): Promise<Manifest | undefined> {
    checkKey(key);
    const read = this.readManifest(key);
    return read.ok ? read.value : undefined;
  }

  private readManifest(key: string): Result<Manifest, RestoreFailure> {
    const path = this.entryPath(key);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return fail({ kind: 'absent', message: `no cache entry ${key}` });
      return fail({ kind: 'io', path, message: `cannot read cache entry ${key}: ${errorMessage(e)}` });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isManifest(parsed) || parsed.key !== key) return fail({ kind: 'corrupt', path, message: `cache entry ${path} is damaged` });
    return ok(parsed);
  }

  /** Every entry, oldest first. Damaged manifests are left out (prune removes them). */
  async ls(): Promise<Result<EntryInfo[], StoreError>> {
    const listed = this.listEntries();
    if (!listed.ok) return listed;
    const infos = listed.value.flatMap(({ key, mtimeMs, manifest }) =>
      manifest === undefined
        ? []
        : [{ key, createdAt: manifest.createdAt, lastUsedAt: new Date(mtimeMs).toISOString(), files: manifest.files.length, bytes: manifest.files.reduce((n, f) => n + f.size, 0) }],
    );
    return ok(infos.sort((a, b) => byCodeUnit(a.createdAt, b.createdAt) || byCodeUnit(a.key, b.key)));
  }

  async du(): Promise<Result<Usage, StoreError>> {
    try {
      const entries = this.listEntries();
      if (!entries.ok) return entries;
      const blobs = this.listBlobs();
      const temps = this.listTemps();
      let blobBytes = 0;
      for (const blob of blobs.values()) blobBytes += blob.size;
      return ok({ entries: entries.value.length, blobs: blobs.size, blobBytes, temps: temps.length, tempBytes: temps.reduce((n, t) => n + t.size, 0) });
    } catch (e) {
      return fail({ path: this.dir, message: `cannot read the cache folder: ${errorMessage(e)}` });
    }
  }

  /**
   * Removes entries not used for `olderThanMs`, then least recently used entries until the blobs still
   * referenced fit in `maxBytes`, then every blob no remaining entry references (unless younger than the grace
   * period: a concurrent save may be about to reference it), then temporary files of killed processes.
   * Damaged manifests are removed too.
   */
  async prune(options: PruneOptions = {}): Promise<Result<PruneReport, StoreError>> {
    const listedAt = Date.now();
    const now = options.now ?? listedAt;
    const grace = options.blobGraceMs ?? BLOB_GRACE_MS;
    try {
      const listed = this.listEntries();
      if (!listed.ok) return listed;
      const blobs = this.listBlobs();
      const remove: ListedEntry[] = [];
      const keep: ListedEntry[] = [];
      for (const entry of listed.value.sort((a, b) => a.mtimeMs - b.mtimeMs || byCodeUnit(a.key, b.key))) {
        const old = options.olderThanMs !== undefined && entry.mtimeMs < now - options.olderThanMs;
        (entry.manifest === undefined || old ? remove : keep).push(entry);
      }
      const references = new Map<string, number>();
      const digestsOf = (entry: ListedEntry) => new Set(entry.manifest?.files.map((f) => f.digest) ?? []);
      for (const entry of keep) for (const digest of digestsOf(entry)) references.set(digest, (references.get(digest) ?? 0) + 1);
      let referencedBytes = 0;
      for (const digest of references.keys()) referencedBytes += blobs.get(digest)?.size ?? 0;
      if (options.maxBytes !== undefined) {
        while (referencedBytes > options.maxBytes) {
          const oldest = keep.shift();
          if (oldest === undefined) break;
          remove.push(oldest);
          for (const digest of digestsOf(oldest)) {
            const left = (references.get(digest) ?? 0) - 1;
            if (left > 0) references.set(digest, left);
            else {
              references.delete(digest);
              referencedBytes -= blobs.get(digest)?.size ?? 0;
            }
          }
        }
      }

      const entriesRemoved: string[] = [];
      for (const entry of remove) {
        // Saved or restored again since it was listed: it is in use, leave it.
        const mtimeMs = this.mtimeMs(entry.path);
        if (mtimeMs !== undefined && mtimeMs !== entry.mtimeMs) continue;
        if (unlinkIfPresent(entry.path)) entriesRemoved.push(entry.key);
      }

      let blobsRemoved = 0;
      let bytesFreed = 0;
      let bytesLeft = 0;
      for (const [digest, blob] of blobs) {
        if (references.has(digest) || blob.mtimeMs >= listedAt - grace) {
          bytesLeft += blob.size;
          continue;
        }
        // Read the time again: a save touches a blob just before it writes a manifest that references it.
        const mtimeMs = this.mtimeMs(blob.path);
        if (mtimeMs !== undefined && mtimeMs >= listedAt - grace) {
          bytesLeft += blob.size;
          continue;
        }
        if (unlinkIfPresent(blob.path)) {
          blobsRemoved++;
          bytesFreed += blob.size;
        }
      }

      let tempsRemoved = 0;
      for (const temp of this.listTemps()) {
        if (temp.mtimeMs < listedAt - Math.max(grace, TEMP_GRACE_MS) && (unlinkIfPresent(temp.path))) tempsRemoved++;
      }
      return ok({ entriesRemoved, blobsRemoved, bytesFreed, tempsRemoved, bytesLeft });
    } catch (e) {
      return fail({ path: this.dir, message: `cannot prune the cache: ${errorMessage(e)}` });
    }
  }

  private listEntries(): Result<ListedEntry[], StoreError> {
    let names: string[];
    try {
      names = readdirSync(this.entriesDir);
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return ok([]);
      return fail({ path: this.entriesDir, message: `cannot read the cache folder: ${errorMessage(e)}` });
    }
    const entries: ListedEntry[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort(byCodeUnit)) {
      const key = name.slice(0, -'.json'.length);
      const path = join(this.entriesDir, name);
      const mtimeMs = this.mtimeMs(path);
      if (mtimeMs === undefined) continue; // removed meanwhile
      let manifest: Manifest | undefined;
      try {
        const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
        manifest = isManifest(parsed) && parsed.key === key ? parsed : undefined;
      } catch {
        manifest = undefined;
      }
      entries.push({ key, path, mtimeMs, manifest });
    }
    return ok(entries);
  }

  private listBlobs(): Map<string, BlobInfo> {
    const blobs = new Map<string, BlobInfo>();
    for (const prefix of readdirIfPresent(this.blobsDir).sort(byCodeUnit)) {
      const folder = join(this.blobsDir, prefix);
      for (const name of readdirIfPresent(folder)) {
        if (!/^[0-9a-f]{64}$/.test(name)) continue;
        const path = join(folder, name);
        try {
          const s = statSync(path);
          blobs.set(name, { path, size: s.size, mtimeMs: s.mtimeMs });
        } catch {
          // removed meanwhile
        }
      }
    }
    return blobs;
  }

  /** Temporary files: everything in tmp/, and manifests being written (dot files) in entries/. */
  private listTemps(): BlobInfo[] {
    const names = [
      ...readdirIfPresent(this.tmpDir).map((n) => join(this.tmpDir, n)),
      ...readdirIfPresent(this.entriesDir)
        .filter((n) => n.startsWith('.') && n.endsWith('.tmp'))
        .map((n) => join(this.entriesDir, n)),
    ];
    const out: BlobInfo[] = [];
    for (const path of names) {
      try {
        const s = statSync(path);
        out.push({ path, size: s.size, mtimeMs: s.mtimeMs });
      } catch {
        // removed meanwhile
      }
    }
    return out;
  }

  private exists(path: string): boolean {
    return this.mtimeMs(path) !== undefined;
  }

  private mtimeMs(path: string): number | undefined {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return undefined;
    }
  }

  /** Sets a file's times to now (best effort: a file someone else owns keeps its times). */
  private touch(path: string): 'touched' | 'missing' | 'failed' {
    const now = new Date();
    try {
      utimesSync(path, now, now);
      return 'touched';
    } catch (e) {
      return errorCode(e) === 'ENOENT' ? 'missing' : 'failed';
    }
  }
}

function unchanged(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

function readdirIfPresent(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (e) {
    if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR') return [];
    throw e;
  }
}

function unlinkIfPresent(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return false;
    throw e;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or already gone
  }
}
