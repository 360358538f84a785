import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { latestRuns, type HistoryRow } from '../../src/history/row.js';
import type { RunRecord } from '../../src/run/record.js';
import { dagline, REPO, repository } from '../helpers/cli.js';

const TWO_TASKS = `version: 1
name: nightly
tasks:
  extract: { run: "true", cache: false }
  train: { needs: [extract], run: "true", cache: false, matrix: { model: [a, b] } }
`;

const DIAMOND = readFileSync(join(REPO, 'test/fixtures/history/diamond.yml'), 'utf8');

const historyFiles = (repo: string, slug: string): string[] => readdirSync(join(repo, '.dagline/history', slug)).filter((f) => f.endsWith('.jsonl'));

function rowsOnDisk(repo: string, slug: string): HistoryRow[] {
  return historyFiles(repo, slug).flatMap((f) => readFileSync(join(repo, '.dagline/history', slug, f), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as HistoryRow));
}

/** A history as runs would have left it: per task, durations in seconds (a string: that status instead). */
function constructHistory(repo: string, slug: string, runs: Record<string, (number | 'failed' | 'cached')[]>): void {
  const rows = Object.entries(runs).flatMap(([id, outcomes]) =>
    outcomes.map((outcome, i) => ({
      run: `run-${i}`,
      ds: `2024-02-${String(i + 1).padStart(2, '0')}`,
      id,
      name: id,
      status: typeof outcome === 'number' ? 'succeeded' : outcome,
      cached: outcome === 'cached',
      durationMs: typeof outcome === 'number' ? outcome * 1000 : 5,
      attempts: outcome === 'cached' ? 0 : 1,
      exitCode: outcome === 'failed' ? 1 : outcome === 'cached' ? null : 0,
      end: new Date(Date.UTC(2024, 1, i + 1, 3)).toISOString(),
    })),
  );
  mkdirSync(join(repo, '.dagline/history', slug), { recursive: true });
  writeFileSync(join(repo, '.dagline/history', slug, 'constructed.jsonl'), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

describe('the run history', () => {
  it('survives across runs and keeps the last 50 runs of each task', () => {
    const repo = repository({ 'pipeline.yml': TWO_TASKS });
    const backfill = dagline(['backfill', '--from', '2024-01-01', '--to', '2024-02-24', '--max-active-runs', '4', '-j', '4'], { cwd: repo });
    expect(backfill.status, backfill.stderr).toBe(0);
    const run = dagline(['run', '--date', '2024-03-01'], { cwd: repo });
    expect(run.status, run.stderr).toBe(0);
    const records = readdirSync(join(repo, '.dagline/runs')).map((id) => JSON.parse(readFileSync(join(repo, '.dagline/runs', id, 'record.json'), 'utf8')) as RunRecord);
    expect(records).toHaveLength(56);
    const runId = records.map((r) => r.runId).sort().at(-1);

    // 56 runs: compacted every tenth file, so fewer than ten files hold at most the last 50 of each task plus the
    // runs since; what a reader sees is the last 50 of each task, the newest run among them.
    expect(historyFiles(repo, 'nightly').length).toBeLessThan(10);
    expect(rowsOnDisk(repo, 'nightly').length).toBeLessThan(3 * 60);
    const rows = latestRuns(rowsOnDisk(repo, 'nightly'), 50);
    const perTask = Map.groupBy(rows, (r) => r.id);
    expect([...perTask.keys()].sort()).toEqual(['extract', 'train[model=a]', 'train[model=b]']);
    for (const list of perTask.values()) expect(list).toHaveLength(50);
    expect(rows.filter((r) => r.run === runId).map((r) => `${r.id} ${r.ds} ${r.status}`).sort()).toEqual(['extract 2024-03-01 succeeded', 'train[model=a] 2024-03-01 succeeded', 'train[model=b] 2024-03-01 succeeded']);
    // The runs kept are the 50 whose task ended last (backfill dates ran four at once, so not simply by date).
    const lastEnded = records.sort((x, y) => (x.tasks.extract?.end ?? '').localeCompare(y.tasks.extract?.end ?? '') || (x.runId < y.runId ? -1 : 1)).slice(-50).map((r) => r.runId);
    expect(perTask.get('extract')?.map((r) => r.run).sort()).toEqual(lastEnded.sort());

    const shown = dagline(['history', 'train', '--format', 'json', '--last', '3'], { cwd: repo });
    expect(shown.status, shown.stderr).toBe(0);
    const json = JSON.parse(shown.stdout) as { tasks: { id: string; name: string; kept: number; runs: { run: string; ds: string }[] }[] };
    expect(json.tasks.map((t) => [t.id, t.name, t.kept, t.runs.length])).toEqual([['train[model=a]', 'train', 50, 3], ['train[model=b]', 'train', 50, 3]]);
    expect(json.tasks[0]?.runs[0]).toMatchObject({ run: runId, ds: '2024-03-01' });
  }, 120_000);

  it('records a failure with its exit code and attempts', () => {
    const repo = repository({ 'pipeline.yml': 'version: 1\nname: flaky\ntasks:\n  boom: { run: "exit 4", retries: { attempts: 1, delay: 1ms } }\n' });
    expect(dagline(['run'], { cwd: repo }).status).toBe(3);
    expect(rowsOnDisk(repo, 'flaky')).toMatchObject([{ id: 'boom', name: 'boom', status: 'failed', cached: false, attempts: 2, exitCode: 4 }]);
    const text = dagline(['history', 'boom'], { cwd: repo });
    expect(text.stdout).toMatch(/boom {2}median unknown {2}failure rate 100% \(1 of 1\)/);
    expect(text.stdout).toMatch(/failed\s+\S+\s+2 attempts/);
  });
});

describe('dagline history', () => {
  const repo = repository({ 'pipelines/diamond.yml': DIAMOND });
  constructHistory(repo, 'diamond', { a: [9, 50, 'failed', 'cached', 10], b: [20], d: ['failed'] });

  it('text: per task its median, failure rate and last runs, newest first', () => {
    const result = dagline(['history', '--last', '2', 'pipelines/diamond.yml'], { cwd: repo });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('diamond: the last 2 runs of 3 tasks, newest first');
    expect(result.stdout).toMatch(/\na {2}median 10\.0s {2}failure rate 25% \(1 of 4\) {2}\(5 runs kept\)\n {2}2024-02-05 {2}succeeded {2}10\.0s {2}1 attempt {2}run-4\n {2}2024-02-04 {2}cached +run-3\n\n/);
    expect(result.stdout).toContain('b  median 20.0s  failure rate 0% (0 of 1)');
    expect(result.stdout).toContain('d  median unknown  failure rate 100% (1 of 1)');
  });

  it('json, and one task by name', () => {
    const result = dagline(['history', 'a', 'pipelines/diamond.yml', '--format', 'json'], { cwd: repo });
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ pipeline: 'diamond', last: 10, tasks: [{ id: 'a', name: 'a', medianMs: 10_000, failureRate: 0.25, failed: 1, ran: 4, kept: 5 }] });
    expect(json.tasks[0].runs.map((r: { ds: string; status: string }) => `${r.ds} ${r.status}`)).toEqual(['2024-02-05 succeeded', '2024-02-04 cached', '2024-02-03 failed', '2024-02-02 succeeded', '2024-02-01 succeeded']);
  });

  it('a task it does not know is a usage error; one without runs has none to show', () => {
    const unknown = dagline(['history', 'nope', 'pipelines/diamond.yml'], { cwd: repo });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('DAG090');
    expect(unknown.stderr).toContain('no task `nope`');
    const none = dagline(['history', 'e', 'pipelines/diamond.yml', '--format', 'json'], { cwd: repo });
    expect(JSON.parse(none.stdout).tasks).toEqual([]);
  });
});

describe('dagline plan with a history', () => {
  const repo = repository({ 'diamond.yml': DIAMOND });
  // Medians: a 10 s, b 20 s, c 30 s, d 5 s (failed and cached runs do not count); e never ran.
  constructHistory(repo, 'diamond', { a: [9, 50, 10, 'cached'], b: [20, 'failed'], c: [30], d: [4, 5, 6] });

  it('estimates each task and simulates the run at -j1 and -j2', () => {
    const one = JSON.parse(dagline(['plan', 'diamond.yml', '-j', '1', '--format', 'json'], { cwd: repo }).stdout).plans[0];
    expect(one.tasks.map((t: { id: string; estimateMs: number | null }) => [t.id, t.estimateMs])).toEqual([['a', 10_000], ['b', 20_000], ['c', 30_000], ['d', 5000], ['e', null]]);
    expect(one.criticalPath).toEqual(['a', 'c', 'd']);
    expect(one.timing).toEqual({ concurrency: 1, criticalPathMs: 45_000, wallTimeMs: 65_000, unknown: 1 });
    const two = JSON.parse(dagline(['plan', 'diamond.yml', '-j', '2', '--format', 'json'], { cwd: repo }).stdout).plans[0];
    expect(two.timing).toEqual({ concurrency: 2, criticalPathMs: 45_000, wallTimeMs: 45_000, unknown: 1 });
  });

  it('text: the estimate beside each task, the critical path time and the expected wall time', () => {
    const result = dagline(['plan', 'diamond.yml', '-j', '2'], { cwd: repo });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\n {2}c\s+will run {2}~30\.0s {2}upstream a will run\n/);
    expect(result.stdout).toMatch(/\n {2}e\s+will run {2}\? +no cache entry\n/);
    expect(result.stdout).toContain('critical path: a → c → d (~45.0s)');
    expect(result.stdout).toContain('expected wall time: ~45.0s at -j 2 (1 task without history counted as 0)');
  });

  it('-j must be a whole number', () => {
    expect(dagline(['plan', 'diamond.yml', '-j', '0'], { cwd: repo }).status).toBe(2);
  });
});
