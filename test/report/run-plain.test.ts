import { describe, expect, it } from 'vitest';
import { PlainReporter } from '../../src/report/run-plain.js';
import type { RunEvent } from '../../src/run/events.js';
import { FakeStream, NO_COLOR_ENV, out, runEnd, runStart, taskEnd, taskStart } from './fake-stream.js';

function report(events: RunEvent[], env: Record<string, string> = {}, stream = new FakeStream()): FakeStream {
  const reporter = new PlainReporter(stream, { env });
  for (const e of events) reporter.onEvent(e);
  reporter.close();
  return stream;
}

const X = 'train[model=xgboost]';

describe('PlainReporter', () => {
  it('prints one line per event that matters, output prefixed with the task id', () => {
    const stream = report([
      runStart(['prep', X, 'report', 'publish']),
      taskStart('prep'),
      out('prep', 'fetched 3 files\n'),
      taskEnd('prep', { durationMs: 850 }),
      taskStart(X),
      out(X, 'epoch 1 loss=0.9\n'),
      { type: 'task-retry', id: X, attempt: 2, maxAttempts: 4, delayMs: 2000, reason: 'exit 1' },
      taskStart(X, 2),
      out(X, 'epoch 1 ...\n'),
      taskEnd(X, { status: 'failed', exitCode: 3, attempts: 2, durationMs: 1200 }),
      taskEnd('report', { status: 'upstream_failed' }),
      taskEnd('publish', { status: 'skipped', reason: 'condition is false' }),
      runEnd({ status: 'failed', durationMs: 14_200 }),
    ]);
    expect(stream.lines).toEqual([
      'daily 2024-03-01: 4 tasks, concurrency 4, logs in .dagline/runs/r1',
      '▶ prep',
      '[prep] fetched 3 files',
      '✔ prep 850ms',
      `▶ ${X}`,
      `[${X}] epoch 1 loss=0.9`,
      `↻ ${X}: exit 1, retrying in 2.0s (attempt 2 of 4)`,
      `▶ ${X} (attempt 2)`,
      `[${X}] epoch 1 ...`,
      `✖ ${X} failed after 2 attempts: exit code 3 (log: logs/${X}.log)`,
      '- report upstream_failed',
      '- publish skipped: condition is false',
      '1 succeeded, 1 failed, 1 upstream failed, 1 skipped in 14.2s',
    ]);
  });

  it('buffers partial lines per task, and flushes them at task-end', () => {
    const stream = report([
      taskStart('a'),
      taskStart('b'),
      out('a', 'a-out '),
      out('b', 'b-out '),
      out('b', 'one\nb-out two'),
      out('a', 'one\n'),
      out('a', 'a-err two\n'),
      out('a', '\n'),
      taskEnd('b'),
      out('a', 'tail without newline'),
      taskEnd('a'),
    ]);
    expect(stream.lines).toEqual([
      '▶ a',
      '▶ b',
      '[b] b-out one',
      '[a] a-out one',
      '[a] a-err two',
      '[a]',
      '[b] b-out two',
      '✔ b 1.2s',
      '[a] tail without newline',
      '✔ a 1.2s',
    ]);
  });

  it('flushes a partial line before the retry line, and on close when a task never ended', () => {
    const stream = report([
      taskStart('a'),
      out('a', 'half'),
      { type: 'task-retry', id: 'a', attempt: 2, maxAttempts: 4, delayMs: 500, reason: 'exit 1' },
      taskStart('a', 2),
      out('a', 'cut off'),
    ]);
    expect(stream.lines).toEqual(['▶ a', '[a] half', '↻ a: exit 1, retrying in 500ms (attempt 2 of 4)', '▶ a (attempt 2)', '[a] cut off']);
  });

  it('says `of N` when the retry event carries the attempt limit', () => {
    const retry = { type: 'task-retry', id: 'a', attempt: 2, delayMs: 2000, reason: 'exit 1', maxAttempts: 4 } as RunEvent;
    expect(report([retry]).lines).toEqual(['↻ a: exit 1, retrying in 2.0s (attempt 2 of 4)']);
  });

  it('gathers the events of one turn of the event loop into one write, and no ANSI codes when colours are off', async () => {
    const events = [runStart(['a']), taskStart('a'), out('a', 'x\ny\n'), taskEnd('a', { status: 'failed' }), runEnd({ status: 'failed' })];
    const tty = new FakeStream(true);
    report(events, NO_COLOR_ENV, tty);
    expect(tty.text).not.toContain('\x1b');
    expect(tty.writes).toHaveLength(1);
    expect(tty.text.endsWith('\n')).toBe(true);

    // Without close(), what was gathered is written on the next turn.
    const later = new FakeStream(false);
    const reporter = new PlainReporter(later, { env: NO_COLOR_ENV });
    reporter.onEvent(runStart(['a']));
    reporter.onEvent(taskStart('a'));
    expect(later.writes).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(later.writes).toHaveLength(1);
    expect(later.text).toMatch(/▶ a\n$/);
    expect(report(events, {}).text).not.toContain('\x1b');
    expect(report(events, { FORCE_COLOR: '1' }).text).toContain('\x1b[');
  });
});
