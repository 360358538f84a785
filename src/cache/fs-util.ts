import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The `code` of a Node system error (`ENOENT`, `EACCES`, …), or undefined for anything else. */
export function errorCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** One line for a file-system error, without Node's stack. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message.replaceAll('\n', ' ') : String(e);
}

/** A name no other process or call will pick: `<prefix>.<pid>-<random>.tmp`. */
export function tempName(prefix: string): string {
  return `${prefix}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
}

/** A temporary path next to `path` (same folder, so the final rename stays on one file system and is atomic). */
export function tempNextTo(path: string): string {
  return join(dirname(path), tempName(`.${basename(path)}.dagline`));
}

/**
 * Writes `text` to a temporary name next to `path` and renames it: a reader (or a crash) never sees half a file.
 * Synchronous: for small files a promise round trip through the thread pool costs far more than the write.
 */
export function writeFileAtomic(path: string, text: string): void {
  const temp = tempNextTo(path);
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // never written, or already renamed
    }
    throw e;
  }
}

/** Maps with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
