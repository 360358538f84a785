import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, errorMessage, writeFileAtomic } from '../cache/fs-util.js';
import { slug } from '../cache/task-cache.js';
import { fail, ok, type Result } from '../result.js';
import { iso } from './logical-date.js';
import { DateTime } from './luxon.js';

/*
 * What a schedule remembers between runs: per pipeline, the latest logical date whose run succeeded, in
 * `<folder>/<pipeline-slug>.json`. The folder is a parameter so that a caller (the GitHub Action) can keep it
 * somewhere that outlives the machine, such as GitHub's cache.
 */

interface StateFile {
  format: 1;
  pipeline: string;
  lastSuccessful: string;
  updatedAt: string;
}

/** `.dagline/schedule` in the repository. */
export const scheduleStateDir = (root: string): string => join(root, '.dagline', 'schedule');

export const stateFile = (dir: string, pipeline: string): string => join(dir, `${slug(pipeline)}.json`);

/** The latest logical date of `pipeline` that succeeded; none before the first success. */
export function readLastSuccessful(dir: string, pipeline: string): Result<DateTime | undefined, string> {
  const file = stateFile(dir, pipeline);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return errorCode(e) === 'ENOENT' ? ok(undefined) : fail(`cannot read ${file}: ${errorMessage(e)}`);
  }
  const date = parseState(text);
  return date === undefined ? fail(`${file} is not a schedule state file; delete it to start over (or pass --since)`) : ok(date);
}

/**
 * Records that the run for `date` succeeded. The recorded date never moves backwards: a backfill of older dates
 * leaves it where it is. Says whether it moved.
 */
export function recordSuccess(dir: string, pipeline: string, date: DateTime, now = new Date()): Result<boolean, string> {
  const previous = readLastSuccessful(dir, pipeline);
  if (previous.ok && previous.value !== undefined && previous.value >= date) return ok(false);
  const state: StateFile = { format: 1, pipeline, lastSuccessful: iso(date), updatedAt: now.toISOString() };
  try {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(stateFile(dir, pipeline), `${JSON.stringify(state, null, 2)}\n`);
    return ok(true);
  } catch (e) {
    return fail(`cannot write ${stateFile(dir, pipeline)}: ${errorMessage(e)}`);
  }
}

function parseState(text: string): DateTime | undefined {
  try {
    const state = JSON.parse(text) as Partial<StateFile>;
    const date = state.format === 1 && typeof state.lastSuccessful === 'string' ? DateTime.fromISO(state.lastSuccessful, { setZone: true }) : undefined;
    return date?.isValid === true ? date : undefined;
  } catch {
    return undefined; // not JSON
  }
}
