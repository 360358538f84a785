import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveReporter, TailBuffer, UP_AND_CLEAR } from '../../src/report/run-live.js';
import { FakeStream, NO_COLOR_ENV, out, runEnd, runStart, taskEnd, taskStart } from './fake-stream.js';

const T0 = Date.UTC(2024, 2, 1, 12, 0, 0);

function live(columns = 100) {
  const stream = new FakeStream(true, columns);
  const reporter = new LiveReporter(stream, { env: NO_COLOR_ENV });
  return { stream, reporter };
}

/** The block on screen after the last write: the lines after its last erase. */
function screen(stream: FakeStream): string[] {
  const text = stream.text;
  let lines: string[] = [];
  for (const chunk of text.split(/(?=\n)|(?<=\n)/)) {
    if (chunk === '\n') continue;
    let line = chunk;
    while (line.startsWith(UP_AND_CLEAR)) {
      lines.pop();
      line = line.slice(UP_AND_CLEAR.length);
    }
    lines.push(line);
  }
  lines = lines.filter((l, i) => l !== '' || i < lines.length - 1);
  return lines;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('LiveReporter', () => {
  it('draws the counts and the running tasks with their clocks', () => {
    const { stream, reporter } = live();
    reporter.onEvent(runStart(['prep', 'train[model=xgboost]', 'train[model=rf]', 'report']));
    reporter.onEvent(taskStart('prep', 1, T0));
    vi.advanceTimersByTime(1500);
    reporter.onEvent(taskEnd('prep', { durationMs: 1500 }));
    reporter.onEvent(taskStart('train[model=xgboost]', 1, T0 + 1500));
    reporter.onEvent(taskStart('train[model=rf]', 1, T0 + 1500));
    reporter.onEvent(out('train[model=xgboost]', 'epoch 1 loss=0.9\nepoch 2'));
    vi.advanceTimersByTime(12_000);
    expect(screen(stream)).toEqual([
      'daily 2024-03-01: 4 tasks, concurrency 4, logs in .dagline/runs/r1',
      '✔ prep 1.5s',
      'done 1/4 · running 2 · queued 1 · 13s',
      // Drawn by the tick at 13 s; the trains started at 1.5 s.
      '  train[model=xgboost]     11s  epoch 1 loss=0.9',
      '  train[model=rf]          11s',
    ]);
    reporter.close();
  });

  it('redraws at most every 100 ms, erasing the previous block with cursor-up + clear-line', () => {
    const { stream, reporter } = live();
    reporter.onEvent(runStart(['a', 'b', 'c']));
    expect(stream.writes).toHaveLength(1); // the first event draws at once
    for (const id of ['a', 'b', 'c']) reporter.onEvent(taskStart(id, 1, T0));
    for (let i = 0; i < 50; i++) reporter.onEvent(out('a', `line ${i}\n`));
    vi.advanceTimersByTime(99);
    expect(stream.writes).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(stream.writes).toHaveLength(2);
    // The first block had one line (the header); the second erases it and draws header + 3 tasks.
    expect(stream.writes[1]?.startsWith(UP_AND_CLEAR)).toBe(true);
    expect(stream.writes[1]?.split(UP_AND_CLEAR)).toHaveLength(2);
    expect(screen(stream).slice(-3)).toEqual(['  a      0s  line 49', '  b      0s', '  c      0s']);
    // Without events, the clocks still tick once a second.
    vi.advanceTimersByTime(1000);
    expect(stream.writes).toHaveLength(3);
    expect(stream.writes[2]?.split(UP_AND_CLEAR)).toHaveLength(5);
    expect(screen(stream)).toContain('done 0/3 · running 3 · queued 0 · 1s');
    reporter.close();
  });

  it('lists at most 8 running tasks, then how many more', () => {
    const { stream, reporter } = live();
    const ids = Array.from({ length: 11 }, (_, i) => `t${i}`);
    reporter.onEvent(runStart([...ids, 'later']));
    for (const id of ids) reporter.onEvent(taskStart(id, 1, T0));
    vi.advanceTimersByTime(100);
    const block = screen(stream).slice(1);
    expect(block[0]).toBe('done 0/12 · running 11 · queued 1 · 0s');
    expect(block.slice(1, 9).map((l) => l.trim().split(/\s+/)[0])).toEqual(ids.slice(0, 8));
    expect(block[9]).toBe('  … and 3 more');
    expect(block).toHaveLength(10);
    reporter.close();
  });

  it('prints a failure above the block with the task’s last 20 output lines', () => {
    const { stream, reporter } = live();
    reporter.onEvent(runStart(['a', 'b']));
    reporter.onEvent(taskStart('a', 1, T0));
    reporter.onEvent(taskStart('b', 1, T0));
    for (let i = 1; i <= 30; i++) reporter.onEvent(out('a', `step ${i}\n`));
    reporter.onEvent(out('a', 'Traceback'));
    reporter.onEvent(taskEnd('a', { status: 'failed', exitCode: 3 }));
    vi.advanceTimersByTime(100);
    expect(screen(stream)).toEqual([
      'daily 2024-03-01: 2 tasks, concurrency 4, logs in .dagline/runs/r1',
      '✖ a failed: exit code 3 (log: logs/a.log)',
      '  │ … 11 earlier lines (log: logs/a.log)',
      ...Array.from({ length: 19 }, (_, i) => `  │ step ${i + 12}`),
      '  │ Traceback',
      'done 1/2 · running 1 · queued 0 · 0s',
      '  b      0s',
    ]);
    reporter.close();
  });

  it('shows a task waiting to retry, and its retry line', () => {
    const { stream, reporter } = live();
    reporter.onEvent(taskStart('a', 1, T0));
    reporter.onEvent({ type: 'task-retry', id: 'a', attempt: 2, maxAttempts: 4, delayMs: 2000, reason: 'exit 1' });
    vi.advanceTimersByTime(100);
    expect(screen(stream)).toEqual(['↻ a: exit 1, retrying in 2.0s (attempt 2 of 4)', 'done 0/1 · running 1 · queued 0 · 0s', '  a  retry in 2s']);
    vi.advanceTimersByTime(1900);
    reporter.onEvent(taskStart('a', 2, T0 + 2000));
    vi.advanceTimersByTime(3000);
    expect(screen(stream).at(-1)).toBe('  a (attempt 2)      3s');
    reporter.close();
  });

  it('cuts block lines to the terminal width', () => {
    const { stream, reporter } = live(30);
    reporter.onEvent(taskStart('a-task-with-a-rather-long-name', 1, T0));
    reporter.onEvent(out('a-task-with-a-rather-long-name', 'x\n'));
    vi.advanceTimersByTime(100);
    const block = screen(stream);
    expect(block.every((l) => l.length <= 29)).toBe(true);
    expect(block.at(-1)).toBe('  a-task-with-a-rather-long-…');
    reporter.close();
  });

  it('strips escape sequences from the output preview', () => {
    const { stream, reporter } = live();
    reporter.onEvent(taskStart('a', 1, T0));
    reporter.onEvent(out('a', '\x1b[32mgreen\x1b[0m\tdone\x07\n'));
    vi.advanceTimersByTime(100);
    expect(screen(stream).at(-1)).toBe('  a      0s  green done');
    reporter.close();
  });

  it('leaves only permanent lines and the summary after run-end, and no timers', () => {
    const { stream, reporter } = live();
    reporter.onEvent(runStart(['a']));
    reporter.onEvent(taskStart('a', 1, T0));
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(1); // the 1 s tick
    reporter.onEvent(taskEnd('a'));
    reporter.onEvent(runEnd({ durationMs: 1300 }));
    expect(vi.getTimerCount()).toBe(0);
    expect(screen(stream)).toEqual(['daily 2024-03-01: 1 task, concurrency 4, logs in .dagline/runs/r1', '✔ a 1.2s', '1 succeeded in 1.3s']);
    reporter.close();
    vi.advanceTimersByTime(10_000);
    expect(stream.text.endsWith('1 succeeded in 1.3s\n')).toBe(true);
  });

  it('clears its timers on close, even mid-run, and unrefs them', () => {
    const { stream, reporter } = live();
    const unref = vi.fn();
    const real = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval };
    const spy = (fn: typeof setTimeout | typeof setInterval) =>
      ((...args: Parameters<typeof setTimeout>) => {
        const timer = (fn as typeof setTimeout)(...args);
        const original = timer.unref.bind(timer);
        timer.unref = () => {
          unref();
          return original();
        };
        return timer;
      }) as unknown as typeof setTimeout;
    vi.stubGlobal('setTimeout', spy(real.setTimeout));
    vi.stubGlobal('setInterval', spy(real.setInterval));
    try {
      reporter.onEvent(taskStart('a', 1, T0)); // drawn at once; starts the tick
      reporter.onEvent(out('a', 'x\n')); // waits for the redraw timer
      expect(vi.getTimerCount()).toBe(2);
      expect(unref).toHaveBeenCalledTimes(2);
      reporter.close();
      expect(vi.getTimerCount()).toBe(0);
      expect(screen(stream)).toEqual([]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('uses no ANSI codes besides the redraw when colours are off', () => {
    const { stream, reporter } = live();
    reporter.onEvent(runStart(['a', 'b']));
    reporter.onEvent(taskStart('a', 1, T0));
    reporter.onEvent(taskStart('b', 1, T0));
    reporter.onEvent(taskEnd('a', { status: 'failed' }));
    vi.advanceTimersByTime(2000);
    reporter.onEvent(taskEnd('b'));
    reporter.onEvent(runEnd({ status: 'failed' }));
    expect(stream.text.replaceAll(UP_AND_CLEAR, '')).not.toContain('\x1b');
  });
});

describe('TailBuffer', () => {
  it('keeps the last lines in order and counts the dropped', () => {
    const tail = new TailBuffer(3);
    expect(tail.last()).toBeUndefined();
    for (const line of ['1', '2']) tail.push(line);
    expect(tail.lines()).toEqual(['1', '2']);
    for (const line of ['3', '4', '5']) tail.push(line);
    expect(tail.lines()).toEqual(['3', '4', '5']);
    expect(tail.last()).toBe('5');
    expect(tail.dropped).toBe(2);
  });
});
