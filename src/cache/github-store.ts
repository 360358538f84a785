import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fail, ok, type Result } from '../result.js';
import { callActionsCache } from './actions-cache-client.js';
import { digestFile } from './file-digest.js';
import { errorCode, errorMessage, writeFileAtomic } from './fs-util.js';
import type { LocalStore } from './local-store.js';
import { staysInside } from './paths.js';
import { checkKey, isManifest, type CacheStore, type Manifest, type RestoreFailure, type RestoreResult, type SaveResult, type StoreOptions } from './store.js';

/** Blobs at least this big are stored as their own entries, shared by every entry that has them. */
export const DEFAULT_LARGE_BLOB_BYTES = 8 << 20;
/** A transfer folder older than this was left by a killed process: the next transfer of its key takes it over. */
const STALE_TRANSFER_MS = 60 * 60_000;
/** As in LocalStore: blobs are read-only. */
const BLOB_MODE = 0o444;

/** The GitHub cache key of a store key. The version prefix leaves room for a future layout. */
export const remoteEntryKey = (key: string): string => `dagline-v1-${key}`;
/** The GitHub cache key of a large blob, stored on its own. */
export const remoteBlobKey = (digest: string): string => `dagline-v1-blob-${digest}`;

export interface GitHubStoreOptions {
  /**
   * The folder @actions/cache archives paths relative to and unpacks them into: `GITHUB_WORKSPACE` on a runner
   * (the package reads it from the environment, else uses the current folder). See `archivePaths`.
   */
  workspace: string;
  /** Told about every problem with the service; the run goes on without the remote cache. */
  warn: (message: string) => void;
  /** Default 8 MiB. */
  largeBlobBytes?: number;
}

/**
 * The `github` backend: the GitHub Actions cache, with a LocalStore as its working copy.
 *
 * An entry `k` is one GitHub cache entry `dagline-v1-k`, an archive (tar + zstd or gzip, made by @actions/cache)
 * of its manifest and its small blobs. A blob of `largeBlobBytes` or more is its own entry
 * `dagline-v1-blob-<sha256>` instead, so a big file that does not change between runs (a model, a data set) is
 * uploaded and stored once however many entries contain it.
 *
 * Archives are packed from and unpacked into a transfer folder per remote key, `<cache>/transfer/<remote key>/`,
 * inside the local cache folder so that blobs move between it and `blobs/` by hard link and rename. Restored
 * blobs are verified against their digests before they enter the local store, and the manifest is written
 * last, with the same atomicity as a local save. Service failures are warnings: after the first one the store
 * works locally only for the rest of the run (a broken service would otherwise cost every task a warning and up
 * to half a minute of the client's retries).
 */
export class GitHubStore implements CacheStore {
  readonly remote = true;
  private readonly largeBlobBytes: number;
  /** Why the service is no longer used, once it failed. */
  private unavailable: string | undefined;
  /** Large blob uploads of this run, by digest: each is looked up and uploaded at most once. */
  private readonly blobUploads = new Map<string, Promise<boolean>>();
  /** Large blob downloads in progress, by digest: entries restored at the same time share them. */
  private readonly blobFetches = new Map<string, Promise<Result<void, RestoreFailure>>>();

  constructor(
    readonly local: LocalStore,
    private readonly options: GitHubStoreOptions,
  ) {
    this.largeBlobBytes = options.largeBlobBytes ?? DEFAULT_LARGE_BLOB_BYTES;
  }

  async has(key: string): Promise<boolean> {
    checkKey(key);
    if (await this.local.has(key)) return true;
    if (this.unavailable !== undefined) return false;
    const found = await this.lookup(remoteEntryKey(key));
    if (!found.ok) this.serviceFailed(`look up ${key}`, found.error);
    return found.ok && found.value;
  }

  /**
   * The manifest of an entry, for `plan`: from the working copy, else from the service's archive (downloaded into
   * its transfer folder and dropped again: large blobs are not fetched, and nothing is restored).
   */
  async manifest(key: string): Promise<Manifest | undefined> {
    checkKey(key);
    const local = await this.local.manifest(key);
    if (local !== undefined) return local;
    const read = await this.downloaded(remoteEntryKey(key), `look up ${key}`, async (dir) => readArchivedManifest(join(dir, 'manifest.json'), key));
    return read.ok ? read.value : undefined;
  }

  async restore(key: string, root: string, options: StoreOptions = {}): Promise<RestoreResult> {
    checkKey(key);
    if (!(await this.local.has(key))) {
      const fetched = await this.fetchEntry(key);
      if (!fetched.ok) return fetched;
    }
    return this.local.restore(key, root, options);
  }

  async save(key: string, root: string, files: readonly string[], taskOutputs: Record<string, string>, options: StoreOptions = {}): Promise<SaveResult> {
    const saved = await this.local.save(key, root, files, taskOutputs, options);
    // The local entry is the result; the upload only shares it with later runs.
    if (saved.ok && this.unavailable === undefined) await this.uploadEntry(saved.value.manifest);
    return saved;
  }

  // ---- restore ----

  /** Downloads entry `key` into the local store: its blobs first, its manifest last. */
  private fetchEntry(key: string): Promise<Result<void, RestoreFailure>> {
    return this.downloaded(remoteEntryKey(key), `restore ${key}`, (dir) => this.importEntry(key, dir));
  }

  /**
   * Downloads `remoteKey` into its transfer folder, hands the folder to `use` and removes it after. A key the
   * service does not have (never saved, or evicted) is `absent`; so is a service failure, reported once.
   */
  private async downloaded<T>(remoteKey: string, action: string, use: (dir: string) => Promise<Result<T, RestoreFailure>>): Promise<Result<T, RestoreFailure>> {
    if (this.unavailable !== undefined) return fail({ kind: 'absent', message: this.unavailable });
    const dir = this.claimTransferDir(remoteKey);
    if (!dir.ok) return fail({ kind: 'io', message: dir.error.message });
    try {
      const downloaded = await this.download(remoteKey);
      if (!downloaded.ok) return fail(this.serviceFailed(action, downloaded.error));
      if (!downloaded.value) return fail({ kind: 'absent', message: `${remoteKey} is not in the GitHub Actions cache` });
      return await use(dir.value);
    } finally {
      releaseTransferDir(dir.value);
    }
  }

  /** Moves an unpacked entry into the local store once every blob it needs is there and verified. */
  private async importEntry(key: string, dir: string): Promise<Result<void, RestoreFailure>> {
    const manifest = readArchivedManifest(join(dir, 'manifest.json'), key);
    if (!manifest.ok) return manifest;
    const unpacked: { path: string; digest: string }[] = [];
    for (const [digest, size] of blobSizes(manifest.value)) {
      if (existsSync(this.local.blobPath(digest))) continue; // LocalStore.restore verifies what it copies
      // Small blobs came in the archive; large ones are entries of their own.
      const path = join(dir, 'blobs', digest);
      const inArchive = existsSync(path);
      const got = inArchive ? await verifyBlob(path, digest, size) : await this.fetchBlob(digest, size);
      if (!got.ok) return got;
      if (inArchive) unpacked.push({ path, digest });
    }
    try {
      for (const blob of unpacked) this.moveIntoStore(blob.path, blob.digest);
      const entry = this.local.entryPath(key);
      mkdirSync(dirname(entry), { recursive: true });
      writeFileAtomic(entry, `${JSON.stringify(manifest.value, null, 1)}\n`);
      return ok(undefined);
    } catch (e) {
      return fail({ kind: 'io', path: this.local.dir, message: `cannot store cache entry ${key} from the GitHub Actions cache: ${errorMessage(e)}` });
    }
  }

  /** Downloads a large blob into the local store (one download per blob however many entries want it). */
  private fetchBlob(digest: string, size: number): Promise<Result<void, RestoreFailure>> {
    let pending = this.blobFetches.get(digest);
    if (pending === undefined) {
      pending = this.fetchBlobOnce(digest, size).finally(() => this.blobFetches.delete(digest));
      this.blobFetches.set(digest, pending);
    }
    return pending;
  }

  private fetchBlobOnce(digest: string, size: number): Promise<Result<void, RestoreFailure>> {
    return this.downloaded(remoteBlobKey(digest), `download blob ${digest}`, async (dir) => {
      const path = join(dir, digest);
      const verified = await verifyBlob(path, digest, size);
      if (!verified.ok) return verified;
      try {
        this.moveIntoStore(path, digest);
        return ok(undefined);
      } catch (e) {
        return fail({ kind: 'io', path: this.local.blobPath(digest), message: `cannot store blob ${digest}: ${errorMessage(e)}` });
      }
    });
  }

  /** Renames a verified blob into `blobs/` (same file system: the transfer folder is in the cache folder). */
  private moveIntoStore(path: string, digest: string): void {
    const blob = this.local.blobPath(digest);
    mkdirSync(dirname(blob), { recursive: true });
    chmodSync(path, BLOB_MODE);
    renameSync(path, blob);
    // tar kept the saving machine's mtime; a prune would take an old unreferenced blob before the manifest lands.
    const now = new Date();
    utimesSync(blob, now, now);
  }

  // ---- save ----

  /** Uploads the large blobs as their own entries, then the entry. Problems are warnings, never failures. */
  private async uploadEntry(manifest: Manifest): Promise<void> {
    const blobs = [...blobSizes(manifest)];
    const small = blobs.filter(([, size]) => size < this.largeBlobBytes).map(([digest]) => digest);
    for (const [digest, size] of blobs) {
      // An entry without one of its blobs would only ever be a miss: not worth uploading.
      if (size >= this.largeBlobBytes && !(await this.uploadBlob(digest))) return;
    }
    await this.uploadArchive(remoteEntryKey(manifest.key), (dir) => {
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
      mkdirSync(join(dir, 'blobs'));
      for (const digest of small) linkOrCopy(this.local.blobPath(digest), join(dir, 'blobs', digest));
    });
  }

  private uploadBlob(digest: string): Promise<boolean> {
    let pending = this.blobUploads.get(digest);
    if (pending === undefined) {
      pending = this.uploadBlobOnce(digest);
      this.blobUploads.set(digest, pending);
    }
    return pending;
  }

  private async uploadBlobOnce(digest: string): Promise<boolean> {
    const remoteKey = remoteBlobKey(digest);
    // Look first: a big file is usually there already, and packing it is the expensive part.
    const found = await this.lookup(remoteKey);
    if (!found.ok) {
      this.serviceFailed(`look up blob ${digest}`, found.error);
      return false;
    }
    if (found.value) return true;
    return this.uploadArchive(remoteKey, (dir) => linkOrCopy(this.local.blobPath(digest), join(dir, digest)));
  }

  /** Stages the transfer folder of `remoteKey` with `stage` and uploads it. False (after a warning) when it failed. */
  private async uploadArchive(remoteKey: string, stage: (dir: string) => void): Promise<boolean> {
    if (this.unavailable !== undefined) return false;
    const dir = this.claimTransferDir(remoteKey);
    // Busy: another process is uploading the same content.
    if (!dir.ok && dir.error.busy) return true;
    if (!dir.ok) return this.uploadSkipped(remoteKey, dir.error.message);
    try {
      stage(dir.value);
    } catch (e) {
      releaseTransferDir(dir.value);
      return this.uploadSkipped(remoteKey, errorMessage(e));
    }
    try {
      const uploaded = await this.upload(remoteKey);
      if (!uploaded.ok) this.serviceFailed(`upload ${remoteKey}`, uploaded.error);
      return uploaded.ok;
    } finally {
      releaseTransferDir(dir.value);
    }
  }

  private uploadSkipped(remoteKey: string, why: string): false {
    this.options.warn(`GitHub Actions cache: not uploading ${remoteKey}: ${why}`);
    return false;
  }

  // ---- the service ----

  /**
   * Warns (the first time) and gives up on the service for the rest of the run. The failure it returns is
   * `absent`: the problem has been reported once here, and for each task it is simply a miss.
   */
  private serviceFailed(action: string, problem: string): RestoreFailure {
    const message = `GitHub Actions cache: cannot ${action}: ${problem}`;
    if (this.unavailable === undefined) {
      this.unavailable = message;
      this.options.warn(`${message}. Continuing without the GitHub Actions cache for the rest of this run.`);
    }
    return { kind: 'absent', message };
  }

  /** Whether the service has `remoteKey`; nothing is downloaded. */
  private async lookup(remoteKey: string): Promise<Result<boolean, string>> {
    const matched = await callActionsCache((cache) => cache.restoreCache(this.archivePaths(remoteKey), remoteKey, [], { lookupOnly: true }));
    return matched.ok ? ok(matched.value === remoteKey) : matched;
  }

  /** Downloads `remoteKey` and unpacks it into its transfer folder; false when the service does not have it. */
  private async download(remoteKey: string): Promise<Result<boolean, string>> {
    const matched = await callActionsCache((cache) => cache.restoreCache(this.archivePaths(remoteKey), remoteKey, []));
    return matched.ok ? ok(matched.value === remoteKey) : matched;
  }

  /** Packs the transfer folder of `remoteKey` and uploads it. Already there, or being created by another job: fine. */
  private async upload(remoteKey: string): Promise<Result<void, string>> {
    const id = await callActionsCache((cache) => cache.saveCache(this.archivePaths(remoteKey), remoteKey));
    if (!id.ok) return id;
    if (id.value !== -1) return ok(undefined);
    // -1 without a reported problem: the reservation was refused because the key exists or is being created
    // (the client says only "another job may be creating this cache"). A lookup checks the service is sane.
    const found = await this.lookup(remoteKey);
    return found.ok ? ok(undefined) : found;
  }

  /**
   * The path list of `remoteKey`'s archive. @actions/cache derives the entry's version from it, so saving and
   * restoring must pass the same list: it depends on the key only. When Dagline runs from the workspace (as on
   * a runner) it is relative, so the version does not depend on where a machine keeps its checkout; otherwise
   * it is absolute, because @actions/glob resolves relative paths against the current folder and refuses `..`.
   */
  private archivePaths(remoteKey: string): string[] {
    const dir = this.transferDir(remoteKey);
    const fromHere = relative(process.cwd(), dir);
    const fromWorkspace = resolve(this.options.workspace) === process.cwd() && staysInside(fromHere);
    return [fromWorkspace ? fromHere.split(sep).join('/') : dir];
  }

  private transferDir(remoteKey: string): string {
    return join(this.local.dir, 'transfer', remoteKey);
  }

  /**
   * Creates the empty transfer folder of `remoteKey`. It is also a lock: while it exists, another transfer of the
   * same key (from this process or another one sharing the cache folder) is `busy`.
   */
  private claimTransferDir(remoteKey: string): Result<string, { busy: boolean; message: string }> {
    const dir = this.transferDir(remoteKey);
    try {
      mkdirSync(dirname(dir), { recursive: true });
      if (olderThan(dir, STALE_TRANSFER_MS)) rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      return ok(dir);
    } catch (e) {
      if (errorCode(e) === 'EEXIST') return fail({ busy: true, message: `another transfer of ${remoteKey} is in progress (${dir})` });
      return fail({ busy: false, message: `cannot create ${dir}: ${errorMessage(e)}` });
    }
  }
}

/** Distinct blobs of an entry with their sizes (identical files share one). */
function blobSizes(manifest: Manifest): Map<string, number> {
  return new Map(manifest.files.map((f) => [f.digest, f.size]));
}

function readArchivedManifest(path: string, key: string): Result<Manifest, RestoreFailure> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    parsed = undefined;
  }
  if (isManifest(parsed) && parsed.key === key) return ok(parsed);
  return fail({ kind: 'corrupt', path, message: `cache entry ${key} from the GitHub Actions cache has no valid manifest` });
}

async function verifyBlob(path: string, digest: string, size: number): Promise<Result<void, RestoreFailure>> {
  const read = await digestFile(path);
  if (read.ok && read.value.digest === digest && read.value.size === size) return ok(undefined);
  const why = read.ok ? 'does not match its digest' : `cannot be read (${read.error.message})`;
  return fail({ kind: 'corrupt', path, message: `blob ${digest} from the GitHub Actions cache ${why}` });
}

/** A hard link costs nothing; a copy is the fallback where links are not possible. */
function linkOrCopy(source: string, target: string): void {
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
  }
}

function releaseTransferDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Left for the next transfer of the same key, which takes over folders older than an hour.
  }
}

function olderThan(path: string, ms: number): boolean {
  try {
    return statSync(path).mtimeMs < Date.now() - ms;
  } catch {
    return false;
  }
}
