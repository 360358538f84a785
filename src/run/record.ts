import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Value } from '../expression/ast.js';
import { fail, ok, type Result } from '../result.js';
import type { Reporter, RunEvent, RunStatus, TaskStatus } from './events.js';

export interface AttemptRecord {
  attempt: number;
  exitCode: number | null;
  start: string;
  end: string;
  durationMs: number;
  reason?: string;
}

export interface TaskRecord {
  status: TaskStatus | 'pending' | 'running';
  attempts: AttemptRecord[];
  exitCode: number | null;
  start?: string;
  end?: string;
  durationMs?: number;
  outputs: Record<string, string>;
  /** A secret's value was hidden in `outputs`: a resume runs the task again rather than pass `***` on. */
  outputsRedacted?: true;
  reason?: string;
  logFile?: string;
}

/** Everything a run did, rewritten atomically as it goes: `.dagline/runs/<run-id>/record.json`. */
export interface RunRecord {
  format: 1;
  runId: string;
  pipeline: string;
  file: string;
  /** The `--date` the run was compiled for, and its `ds`. */
  date: string;
  ds: string;
  params: Record<string, Value>;
  status: RunStatus | 'running';
  startedAt: string;
  endedAt?: string;
  tasks: Record<string, TaskRecord>;
  /** What the alerts said once the run had ended (src/alerts/evaluate.ts), for the job summary. */
  alerts?: RecordedAlert[];
}

export interface RecordedAlert {
  task: string;
  kind: string;
  message: string;
}

export const RECORD_FILE = 'record.json';
const WRITE_INTERVAL_MS = 200;

export const runsDir = (root: string) => join(root, '.dagline', 'runs');

/** Writes to a temporary name and renames, so a reader (or a crash) never sees half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(value, null, 2));
  renameSync(temp, path);
}

/**
 * Keeps the run record in step with the event stream. Writes are coalesced (at most one every 200 ms while
 * tasks churn, and always at run-end) so a 1,000-task run does not rewrite the file 2,000 times.
 */
export class RecordKeeper implements Reporter {
  private timer: NodeJS.Timeout | undefined;
  private readonly path: string;

  constructor(
    readonly record: RunRecord,
    dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, RECORD_FILE);
    this.flush();
  }

  onEvent(event: RunEvent): void {
    apply(this.record, event);
    if (event.type === 'run-end' || event.type === 'run-start') this.flush();
    else this.timer ??= setTimeout(() => this.flush(), WRITE_INTERVAL_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    writeJsonAtomic(this.path, this.record);
  }

  close(): void {
    this.flush();
  }
}

function apply(record: RunRecord, event: RunEvent): void {
  const iso = (ms: number) => new Date(ms).toISOString();
  switch (event.type) {
    case 'task-start': {
      const task = taskRecord(record, event.id);
      task.status = 'running';
      task.start ??= iso(event.at);
      task.logFile = event.logFile;
      task.attempts.push({ attempt: event.attempt, exitCode: null, start: iso(event.at), end: '', durationMs: 0 });
      break;
    }
    case 'task-retry': {
      const last = taskRecord(record, event.id).attempts.at(-1);
      if (last) last.reason = event.reason;
      break;
    }
    case 'task-end': {
      const task = taskRecord(record, event.id);
      const last = task.attempts.at(-1);
      if (last && last.end === '') Object.assign(last, { exitCode: event.exitCode, end: iso(event.at), durationMs: event.at - Date.parse(last.start) });
      Object.assign(task, {
        status: event.status,
        exitCode: event.exitCode,
        end: iso(event.at),
        durationMs: event.durationMs,
        outputs: event.outputs,
        outputsRedacted: event.outputsRedacted,
        ...(event.reason === undefined ? {} : { reason: event.reason }),
      });
      break;
    }
    case 'run-end':
      record.status = event.status;
      record.endedAt = new Date().toISOString();
      break;
    default:
      break;
  }
}

function taskRecord(record: RunRecord, id: string): TaskRecord {
  return (record.tasks[id] ??= { status: 'pending', attempts: [], exitCode: null, outputs: {} });
}

export function readRecord(root: string, runId: string): Result<RunRecord, string> {
  try {
    const record = JSON.parse(readFileSync(join(runsDir(root), runId, RECORD_FILE), 'utf8')) as RunRecord;
    return record.format === 1 ? ok(record) : fail(`run ${runId} was recorded by an incompatible Dagline`);
  } catch (e) {
    return fail(e instanceof Error && 'code' in e && e.code === 'ENOENT' ? `no run \`${runId}\`` : `run ${runId} has an unreadable record`);
  }
}

/** Every readable run record, newest first. */
export function listRuns(root: string): RunRecord[] {
  let ids: string[];
  try {
    ids = readdirSync(runsDir(root));
  } catch {
    return []; // no run yet
  }
  return ids
    .map((id) => readRecord(root, id))
    .flatMap((r) => (r.ok ? [r.value] : []))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.runId.localeCompare(a.runId));
}

/** `2026-11-24T15-50-01-123Z-3fa9`: sortable, readable, safe as a folder name. */
export function newRunId(now: Date, random: () => number = Math.random): string {
  const suffix = Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  return `${now.toISOString().replaceAll(':', '-').replace('.', '-')}-${suffix}`;
}
