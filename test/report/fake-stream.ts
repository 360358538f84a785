import type { RunEvent } from '../../src/run/events.js';
import type { ReportStream } from '../../src/report/run-summary.js';

/** A stream that records what a reporter writes. */
export class FakeStream implements ReportStream {
  readonly writes: string[] = [];

  constructor(
    readonly isTTY = false,
    readonly columns?: number,
  ) {}

  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }

  get text(): string {
    return this.writes.join('');
  }

  /** Everything written, as lines (the final newline doesn't make an empty last line). */
  get lines(): string[] {
    const text = this.text;
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  }
}

export const NO_COLOR_ENV = { NO_COLOR: '1' };

export const runStart = (tasks: string[], extra: Partial<Extract<RunEvent, { type: 'run-start' }>> = {}): RunEvent => ({
  type: 'run-start',
  runId: 'r1',
  pipeline: 'daily',
  ds: '2024-03-01',
  tasks,
  concurrency: 4,
  logDir: '.dagline/runs/r1',
  ...extra,
});

export const taskStart = (id: string, attempt = 1, at = 0): RunEvent => ({
  type: 'task-start',
  id,
  attempt,
  command: `run ${id}`,
  logFile: `logs/${id}.log`,
  at,
});

export const out = (id: string, text: string): RunEvent => ({ type: 'task-output', id, text });

export const taskEnd = (id: string, fields: Partial<Extract<RunEvent, { type: 'task-end' }>> = {}): RunEvent => ({
  type: 'task-end',
  id,
  status: 'succeeded',
  attempts: 1,
  exitCode: 0,
  durationMs: 1200,
  outputs: {},
  at: 0,
  ...fields,
});

export const runEnd = (fields: Partial<Extract<RunEvent, { type: 'run-end' }>> = {}): RunEvent => ({
  type: 'run-end',
  status: 'succeeded',
  durationMs: 14_200,
  counts: {},
  ...fields,
});
