import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll } from 'vitest';
import type { StatCache } from '../../src/cache/file-digest.js';
import { fingerprintTask, type Fingerprint } from '../../src/cache/fingerprint.js';
import type { Graph } from '../../src/compile/graph.js';
import { parseText } from '../../src/parse/parse-text.js';
import { validatePipeline } from '../../src/validate/validate.js';

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A throwaway folder, removed after the test file. */
export function tempDir(prefix = 'dagline-cache-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Writes files (text or bytes) below `root`, creating folders. */
export function writeFiles(root: string, files: Record<string, string | Uint8Array>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

export const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
export const fileSha256 = (path: string): string => sha256(readFileSync(path));
export const random = (size: number): Buffer => randomBytes(size);
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The stat cache does not trust a file changed within 50 ms of being read (a later write in the same
 * timestamp tick could go unnoticed). Tests that want a trusted entry wait this long after writing.
 */
export const settle = (): Promise<void> => sleep(70);

/** Every file below `dir` (relative, forward slashes), sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path).split('\\').join('/'));
    }
  };
  try {
    walk(dir);
  } catch {
    return [];
  }
  return out.sort();
}

export const modeOf = (path: string): number => statSync(path).mode & 0o777;
export const inodeOf = (path: string): number => statSync(path).ino;
export const isRoot = (): boolean => process.getuid?.() === 0;

// ---- pipelines ----


/** A throwaway repository (it has a .git folder) holding the given files. */
export function tempRepo(files: Record<string, string | Uint8Array> = {}): string {
  const root = tempDir('dagline-repo-');
  mkdirSync(join(root, '.git'));
  writeFiles(root, files);
  return root;
}

/** Compiles pipeline text as `<root>/<path>` (also written there). */
export function compileAt(root: string, path: string, text: string, date = '2024-03-01'): Graph {
  writeFiles(root, { [path]: text });
  const parsed = parseText(path, join(root, path), text);
  if (!parsed.ok) throw new Error(parsed.error.map((d) => d.message).join('\n'));
  const graph = validatePipeline(parsed.value, { date, root, readFile: (p) => readFileSync(p, 'utf8') });
  if (!graph.ok) throw new Error(graph.error.map((d) => `${d.code} ${d.message}`).join('\n'));
  return graph.value;
}

/** Fingerprints every task of a graph in order, as plan will. */
export async function fingerprintAll(graph: Graph, statCache?: StatCache): Promise<Map<string, Fingerprint>> {
  const out = new Map<string, Fingerprint>();
  for (const task of graph.tasks) {
    const fingerprint = await fingerprintTask(task, graph, out, statCache);
    if (!fingerprint.ok) throw new Error(fingerprint.error.message);
    out.set(task.id, fingerprint.value);
  }
  return out;
}
