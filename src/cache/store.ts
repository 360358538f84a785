import type { Result } from '../result.js';
import type { StatCache } from './file-digest.js';

export const MANIFEST_FORMAT = 1;

/** One stored output file. `path` is relative to the repository root, with forward slashes. */
export interface ManifestFile {
  path: string;
  /** Permission bits (`mode & 0o777`), restored as they were. */
  mode: number;
  size: number;
  /** sha256 hex of the content: also the blob's name. */
  digest: string;
}

/** A cache entry: which files a task produced (by content digest) and the `key=value` outputs it wrote. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  key: string;
  /** ISO 8601. */
  createdAt: string;
  files: ManifestFile[];
  taskOutputs: Record<string, string>;
}

export interface Restored {
  manifest: Manifest;
  /** Files written from the cache. */
  written: string[];
  /** Files already on disk with the right content (only their mode may have been corrected). */
  unchanged: string[];
}

/**
 * Why a restore did not happen. Every kind means "treat it as a miss and run the task"; `corrupt` and `io`
 * deserve a warning. Nothing on disk was changed when a restore fails before its last step (see the backend).
 */
export interface RestoreFailure {
  kind: 'absent' | 'corrupt' | 'io';
  message: string;
  /** The blob, manifest or output file concerned, when there is one. */
  path?: string;
}

export interface Saved {
  manifest: Manifest;
  /** Blobs this save added to the store (the rest were already there). */
  blobsWritten: number;
  bytesWritten: number;
}

export interface SaveFailure {
  /** `missing-output`: a declared output does not exist; `unstable`: an output changed while it was stored. */
  kind: 'missing-output' | 'unstable' | 'invalid' | 'io';
  message: string;
  path?: string;
}

export type RestoreResult = Result<Restored, RestoreFailure>;
export type SaveResult = Result<Saved, SaveFailure>;

export interface StoreOptions {
  /** Remembers output digests: unchanged files are neither re-read on save nor rewritten on restore. */
  statCache?: StatCache;
}

/**
 * Where cache entries live. Keys are fingerprint digests (`[A-Za-z0-9._-]`, at most 200 characters). Expected
 * failures (a missing output, a corrupt blob, an I/O error) come back as values; a store never throws for them.
 */
export interface CacheStore {
  /** Whether a complete entry is visible under `key`. */
  has(key: string): Promise<boolean>;
  /** Writes the entry's files below `root` (each file complete or not at all) and returns its manifest. */
  restore(key: string, root: string, options?: StoreOptions): Promise<RestoreResult>;
  /**
   * Stores `files` (relative to `root`; folders are stored with every file below them, globs are expanded)
   * and `taskOutputs` under `key`. The entry becomes visible only once every blob is in place.
   */
  save(key: string, root: string, files: readonly string[], taskOutputs: Record<string, string>, options?: StoreOptions): Promise<SaveResult>;
  /** The manifest of a complete entry, without restoring its files (for `plan`). */
  manifest?(key: string): Promise<Manifest | undefined>;
  /** Each lookup is a round trip to a service: `plan` keeps several in flight. */
  readonly remote?: boolean;
}

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** A key that is safe as a file name everywhere. Anything else is a bug in the caller. */
export function checkKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`invalid cache key \`${key}\``);
}

const DIGEST = /^[0-9a-f]{64}$/;

/** Checks the shape of a parsed manifest (it comes from disk, maybe from another version or a broken write). */
export function isManifest(value: unknown): value is Manifest {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<Manifest>;
  return (
    m.format === MANIFEST_FORMAT &&
    typeof m.key === 'string' &&
    typeof m.createdAt === 'string' &&
    Array.isArray(m.files) &&
    m.files.every(
      (f: Partial<ManifestFile>) =>
        typeof f === 'object' &&
        f !== null &&
        typeof f.path === 'string' &&
        typeof f.digest === 'string' &&
        DIGEST.test(f.digest) &&
        Number.isInteger(f.mode) &&
        Number.isInteger(f.size),
    ) &&
    typeof m.taskOutputs === 'object' &&
    m.taskOutputs !== null &&
    Object.values(m.taskOutputs).every((v) => typeof v === 'string')
  );
}
