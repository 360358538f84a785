import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { fail, type Result } from '../result.js';
import type { Document } from './document.js';
import { parseText } from './parse-text.js';

/** A pipeline file larger than this is refused before it is read. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

const PIPELINE_FILE = /\.ya?ml$/;
const SKIPPED_FOLDERS = new Set(['node_modules']);

export interface Loaded {
  documents: Document[];
  diagnostics: Diagnostic[];
  /** The text of every file read, parsed or not, for code frames. */
  sources: Map<string, string>;
}

/** Reads and parses every pipeline named by `paths` (files, or folders searched for *.yml / *.yaml). */
export async function loadPipelines(paths: readonly string[], cwd: string): Promise<Loaded> {
  const loaded: Loaded = { documents: [], diagnostics: [], sources: new Map() };
  for (const given of paths) {
    const files = await pipelineFiles(resolve(cwd, given));
    if (files instanceof Error) {
      loaded.diagnostics.push(error('DAG091', `no such file or folder: ${given}`, undefined, 'check the path'));
    } else if (files.length === 0) {
      loaded.diagnostics.push(
        error('DAG007', `no pipeline files (*.yml, *.yaml) under ${given}`, undefined, 'pass a pipeline file or a folder holding some'),
      );
    }
    for (const path of files instanceof Error ? [] : files) {
      const file = displayPath(path, cwd);
      const result = await loadFile(path, file, (text) => loaded.sources.set(file, text));
      if (result.ok) loaded.documents.push(result.value);
      else loaded.diagnostics.push(...result.error);
    }
  }
  return loaded;
}

async function pipelineFiles(path: string): Promise<string[] | Error> {
  const info = await stat(path).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  if (info instanceof Error) return info;
  if (!info.isDirectory()) return [path];
  const found: string[] = [];
  await collect(path, found);
  return found.sort();
}

async function collect(folder: string, found: string[]): Promise<void> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) await collect(path, found);
    else if (entry.isFile() && PIPELINE_FILE.test(entry.name)) found.push(path);
  }
}

async function loadFile(path: string, file: string, onText: (text: string) => void): Promise<Result<Document, Diagnostic[]>> {
  const at = { file, start: { line: 1, col: 1, offset: 0 }, end: { line: 1, col: 1, offset: 0 } };
  try {
    const info = await stat(path);
    if (!info.isFile()) return fail([error('DAG006', 'not a regular file (a pipe, socket or device)', at, 'pass the pipeline file itself')]);
    const size = info.size;
    if (size > MAX_FILE_BYTES) {
      const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
      const message = `the file is ${mib(size)}; pipelines are limited to ${mib(MAX_FILE_BYTES)}`;
      return fail([error('DAG004', message, at, 'use a matrix or a matrix file instead of writing tasks out')]);
    }
    const text = await readFile(path, 'utf8');
    onText(text);
    return parseText(file, path, text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return fail([error('DAG006', `cannot read the file: ${reason}`, at)]);
  }
}

function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
