import { describe, expect, it } from 'vitest';
import { colorsFor } from '../../src/report/colors.js';
import {
  formatDuration,
  formatElapsed,
  formatSummary,
  formatTaskEnd,
  formatTaskRetry,
  formatTaskStart,
  summarizeRun,
  type TaskEndEvent,
  type TaskRetryEvent,
  type TaskStartEvent,
} from '../../src/report/run-summary.js';
import { runEnd, runStart, taskEnd } from './fake-stream.js';

const c = colorsFor({ isTTY: false }, {});
const end = (id: string, fields: Partial<TaskEndEvent> = {}) => taskEnd(id, fields) as TaskEndEvent;

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [-5, '0ms'],
    [Number.NaN, '0ms'],
    [850, '850ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [1000, '1.0s'],
    [1234, '1.2s'],
    [14_250, '14.3s'],
    [59_940, '59.9s'],
    [59_960, '1m00s'],
    [123_000, '2m03s'],
    [3_599_400, '59m59s'],
    [3_599_600, '1h00m'],
    [3_720_000, '1h02m'],
    [36 * 3_600_000, '36h00m'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatElapsed', () => {
  it.each([
    [0, '0s'],
    [999, '0s'],
    [59_999, '59s'],
    [60_000, '1m00s'],
    [123_900, '2m03s'],
    [3_720_000, '1h02m'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});

describe('task lines', () => {
  const start = (attempt: number): TaskStartEvent => ({ type: 'task-start', id: 'a', attempt, command: 'x', logFile: 'l', at: 0 });
  const retry: TaskRetryEvent = { type: 'task-retry', id: 'a', attempt: 2, maxAttempts: 4, delayMs: 2000, reason: 'exit 1' };

  it('start: the attempt only on a retry', () => {
    expect(formatTaskStart(start(1), c)).toBe('▶ a');
    expect(formatTaskStart(start(2), c)).toBe('▶ a (attempt 2)');
  });

  it('retry: the reason, the delay and the attempt of how many', () => {
    expect(formatTaskRetry(retry, c)).toBe('↻ a: exit 1, retrying in 2.0s (attempt 2 of 4)');
    expect(formatTaskRetry({ ...retry, reason: '' }, c)).toBe('↻ a: retrying in 2.0s (attempt 2 of 4)');
  });

  it('end: every status', () => {
    expect(formatTaskEnd(end('a'), c, 'l')).toBe('✔ a 1.2s');
    expect(formatTaskEnd(end('a', { status: 'cached' }), c)).toBe('✔ a cached');
    expect(formatTaskEnd(end('a', { status: 'failed', exitCode: 3 }), c, 'logs/a.log')).toBe('✖ a failed: exit code 3 (log: logs/a.log)');
    expect(formatTaskEnd(end('a', { status: 'failed', exitCode: 3, attempts: 4 }), c, 'l')).toBe('✖ a failed after 4 attempts: exit code 3 (log: l)');
    expect(formatTaskEnd(end('a', { status: 'failed', exitCode: null, reason: 'timed out after 10m00s' }), c)).toBe(
      '✖ a failed: timed out after 10m00s',
    );
    expect(formatTaskEnd(end('a', { status: 'failed', exitCode: null }), c)).toBe('✖ a failed');
    expect(formatTaskEnd(end('a', { status: 'skipped', reason: 'condition is false' }), c)).toBe('- a skipped: condition is false');
    expect(formatTaskEnd(end('a', { status: 'skipped' }), c)).toBe('- a skipped');
    expect(formatTaskEnd(end('a', { status: 'upstream_failed' }), c)).toBe('- a upstream_failed');
    expect(formatTaskEnd(end('a', { status: 'cancelled', reason: 'interrupted' }), c)).toBe('- a cancelled: interrupted');
  });
});

describe('summarizeRun', () => {
  it('counts the final status of each task and words it', () => {
    const ends = [
      ...Array.from({ length: 12 }, (_, i) => end(`ok${i}`)),
      end('bad', { status: 'failed' }),
      end('s1', { status: 'skipped' }),
      end('s2', { status: 'skipped' }),
    ];
    const summary = summarizeRun({ ends, end: runEnd({ status: 'failed', durationMs: 14_200 }) as never });
    expect(summary.text).toBe('12 succeeded, 1 failed, 2 skipped in 14.2s');
    expect(summary.counts).toEqual({ succeeded: 12, failed: 1, skipped: 2, upstream_failed: 0, cancelled: 0, cached: 0 });
    expect(summary).toMatchObject({ total: 15, notRun: 0, failed: ['bad'], status: 'failed', durationMs: 14_200 });
  });

  it('words every status in a fixed order, and tasks that never ended', () => {
    const ends = [
      end('a', { status: 'skipped' }),
      end('b', { status: 'cancelled' }),
      end('c', { status: 'upstream_failed' }),
      end('d', { status: 'failed' }),
      end('e', { status: 'cached' }),
      end('f'),
    ];
    const start = runStart(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) as never;
    const summary = summarizeRun({ start, ends, end: runEnd({ status: 'cancelled', durationMs: 125_000 }) as never });
    expect(summary.text).toBe('1 succeeded, 1 cached, 1 failed, 1 upstream failed, 1 cancelled, 1 skipped, 2 not run in 2m05s');
    expect(summary).toMatchObject({ total: 8, notRun: 2, status: 'cancelled' });
  });

  it('counts a task once, by its last end', () => {
    const summary = summarizeRun({ ends: [end('a', { status: 'failed' }), end('a')], durationMs: 850 });
    expect(summary.text).toBe('1 succeeded in 850ms');
    expect(summary.status).toBe('succeeded');
  });

  it('says so when nothing ran', () => {
    expect(summarizeRun({ ends: [] }).text).toBe('no tasks in 0ms');
  });

  it('colours the line by the run status, and only when colours are on', () => {
    const on = colorsFor({ isTTY: true }, {});
    const failed = summarizeRun({ ends: [end('a', { status: 'failed' })], durationMs: 1000 });
    expect(formatSummary(failed, c)).toBe('1 failed in 1.0s');
    expect(formatSummary(failed, on)).toBe(on.red(on.bold('1 failed in 1.0s')));
  });
});
