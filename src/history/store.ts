import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, errorMessage, writeFileAtomic } from '../cache/fs-util.js';
import { slug } from '../cache/task-cache.js';
import { fail, ok, type Result } from '../result.js';
import { latestRuns, parseRow, type HistoryRow } from './row.js';

/*
 * The history of a pipeline: `<dir>/<pipeline-slug>/*.jsonl`, one JSON row per line, each file written whole
 * (temp file + rename) and never changed afterwards. A run adds a file of its own, then compacts: it reads
 * every file it listed, writes their union (bounded) as one new file, and only then deletes what it read.
 * So writers never share a file, a killed writer leaves a complete file or none, and two writers compacting
 * at once lose nothing: a file is deleted only once another file holding its rows exists. A reader may meet
 * a row twice (dedupe by run and task) or a file that a compaction deleted meanwhile (it lists again).
 * docs/design.md, "History".
 */

/** Runs kept per task. */
export const KEEP_RUNS = 50;

/** `.dagline/history` in the repository. */
export const historyDir = (root: string): string => join(root, '.dagline', 'history');

const pipelineDir = (dir: string, pipeline: string): string => join(dir, slug(pipeline));

const isHistoryFile = (name: string): boolean => name.endsWith('.jsonl') && !name.startsWith('.');

/** Temporary files left by writers that were killed before their rename; none is written for this long. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** Adds a run's rows to the pipeline's history, then compacts it to the last `keep` runs per task. */
export function appendHistory(dir: string, pipeline: string, rows: readonly HistoryRow[], keep = KEEP_RUNS): Result<void, string> {
  if (rows.length === 0) return ok(undefined);
  const folder = pipelineDir(dir, pipeline);
  try {
    mkdirSync(folder, { recursive: true });
    writeFileAtomic(join(folder, newFileName()), toLines(rows));
    compact(folder, keep);
    return ok(undefined);
  } catch (e) {
    return fail(`the history of ${pipeline} was not kept (${folder}): ${errorMessage(e)}`);
  }
}

/** The last `keep` runs of every task of the pipeline, oldest first; an empty list before the first run. */
export function readHistory(dir: string, pipeline: string, keep = KEEP_RUNS): Result<HistoryRow[], string> {
  const folder = pipelineDir(dir, pipeline);
  try {
    // A compaction may delete a file between our listing and our reading it; its rows are then in a newer file.
    for (let attempt = 0; attempt < 5; attempt++) {
      const rows = readAll(folder, listFiles(folder));
      if (rows !== undefined) return ok(latestRuns(rows, keep));
    }
    return fail(`the history in ${folder} kept changing while it was read; try again`);
  } catch (e) {
    return errorCode(e) === 'ENOENT' ? ok([]) : fail(`cannot read the history in ${folder}: ${errorMessage(e)}`);
  }
}

/**
 * Compacting reads and rewrites the whole history (up to `keep` runs of every task), so it waits until this
 * many files have gathered: a 1,000-task pipeline would otherwise rewrite ~10 MB after every run.
 */
const COMPACT_AT_FILES = 10;

function compact(folder: string, keep: number): void {
  const names = listFiles(folder);
  if (names.length < COMPACT_AT_FILES) return;
  removeStaleTemps(folder);
  const rows = readAll(folder, names);
  if (rows === undefined) return; // another writer is compacting these files; ours waits for the next compaction
  writeFileAtomic(join(folder, newFileName()), toLines(latestRuns(rows, keep)));
  for (const name of names) removeIfThere(join(folder, name));
}

function listFiles(folder: string): string[] {
  return readdirSync(folder).filter(isHistoryFile).sort();
}

/** Every row of the files, or undefined when one of them is gone. Lines that are not whole rows are skipped. */
function readAll(folder: string, names: readonly string[]): HistoryRow[] | undefined {
  const rows: HistoryRow[] = [];
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(join(folder, name), 'utf8');
    } catch (e) {
      if (errorCode(e) === 'ENOENT') return undefined;
      throw e;
    }
    for (const line of text.split('\n')) {
      const row = line === '' ? undefined : parseRow(line);
      if (row !== undefined) rows.push(row);
    }
  }
  return rows;
}

function removeStaleTemps(folder: string): void {
  const now = Date.now();
  for (const name of readdirSync(folder)) {
    if (!name.endsWith('.tmp')) continue;
    const path = join(folder, name);
    try {
      if (now - statSync(path).mtimeMs > STALE_TEMP_MS) unlinkSync(path);
    } catch {
      // renamed or removed meanwhile
    }
  }
}

function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if (errorCode(e) !== 'ENOENT') throw e; // another compaction removed it
  }
}

/** Sortable by when it was written (for people listing the folder; readers do not depend on it), and unique. */
function newFileName(): string {
  return `${new Date().toISOString().replaceAll(':', '-')}-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`;
}

const toLines = (rows: readonly HistoryRow[]): string => rows.map((row) => `${JSON.stringify(row)}\n`).join('');
