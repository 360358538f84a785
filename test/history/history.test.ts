import { describe, expect, it } from 'vitest';
import { historyRows, latestRuns, parseRow, type HistoryRow } from '../../src/history/row.js';
import { durationEstimates, median, taskHistories } from '../../src/history/stats.js';
import type { RunRecord } from '../../src/run/record.js';

const at = (second: number): string => new Date(Date.UTC(2024, 2, 1, 2, 0, second)).toISOString();

function row(id: string, run: string, end: number, overrides: Partial<HistoryRow> = {}): HistoryRow {
  return { run, ds: '2024-03-01', id, name: id.replace(/\[.*$/, ''), status: 'succeeded', cached: false, durationMs: 1000, attempts: 1, exitCode: 0, end: at(end), ...overrides };
}

describe('history rows', () => {
  it('are made of the tasks of a run record that ended, with the task name', () => {
    const record: RunRecord = {
      format: 1,
      runId: 'r1',
      pipeline: 'p',
      file: 'p.yml',
      date: '2024-03-01',
      ds: '2024-03-01',
      params: {},
      status: 'failed',
      startedAt: at(0),
      tasks: {
        'train[model=a]': { status: 'failed', attempts: [{ attempt: 1, exitCode: 3, start: at(0), end: at(1), durationMs: 900 }, { attempt: 2, exitCode: 3, start: at(2), end: at(3), durationMs: 800 }], exitCode: 3, start: at(0), end: at(3), durationMs: 3000, outputs: {} },
        prep: { status: 'cached', attempts: [], exitCode: null, end: at(0), durationMs: 0, outputs: {} },
        never: { status: 'pending', attempts: [], exitCode: null, outputs: {} },
      },
    };
    expect(historyRows(record, (id) => id.replace(/\[.*$/, ''))).toEqual([
      { run: 'r1', ds: '2024-03-01', id: 'train[model=a]', name: 'train', status: 'failed', cached: false, durationMs: 3000, attempts: 2, exitCode: 3, end: at(3) },
      { run: 'r1', ds: '2024-03-01', id: 'prep', name: 'prep', status: 'cached', cached: true, durationMs: 0, attempts: 0, exitCode: null, end: at(0) },
    ]);
  });

  it('skip a torn or foreign line', () => {
    const line = JSON.stringify(row('a', 'r1', 1));
    expect(parseRow(line)).toEqual(row('a', 'r1', 1));
    expect(parseRow(line.slice(0, -5))).toBeUndefined();
    expect(parseRow('{"run":"r1"}')).toBeUndefined();
    expect(parseRow(JSON.stringify({ ...row('a', 'r1', 1), status: 'exploded' }))).toBeUndefined();
  });

  it('keep the last runs per task by end time, one row per run and task (the later of a resumed run)', () => {
    const rows = [row('a', 'r3', 30), row('a', 'r1', 10), row('b', 'r1', 11), row('a', 'r2', 20), row('a', 'r2', 25, { status: 'failed' }), row('b', 'r2', 21)];
    expect(latestRuns(rows, 2).map((r) => `${r.id}/${r.run}/${r.status}`)).toEqual(['b/r1/succeeded', 'b/r2/succeeded', 'a/r2/failed', 'a/r3/succeeded']);
  });
});

describe('history figures', () => {
  const rows = [
    row('a', 'r1', 1, { durationMs: 9000 }),
    row('a', 'r2', 2, { durationMs: 50_000 }),
    row('a', 'r3', 3, { status: 'failed', durationMs: 1 }),
    row('a', 'r4', 4, { status: 'cached', cached: true, durationMs: 2 }),
    row('a', 'r5', 5, { durationMs: 10_000 }),
    row('b', 'r5', 6, { status: 'upstream_failed', durationMs: 0, attempts: 0 }),
  ];

  it('median of the successful runs that were not cached; failure rate of the runs that ran', () => {
    const [a, b] = taskHistories(rows);
    expect(a).toMatchObject({ id: 'a', medianMs: 10_000, failed: 1, ran: 4, failureRate: 0.25 });
    expect(a?.runs.map((r) => r.run)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1']);
    expect(b).toMatchObject({ id: 'b', medianMs: null, failed: 0, ran: 0, failureRate: null });
    expect(durationEstimates(rows)).toEqual(new Map([['a', 10_000]]));
  });

  it('median of an even count is the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });
});
