import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dagline, repository } from '../helpers/cli.js';

const pipeline = (schedule: string, name = 'churn') => `version: 1\nname: ${name}\n${schedule}tasks:\n  a: { run: echo a }\n`;

const CATCHUP = pipeline('schedule: { cron: "0 2 * * *", start: 2024-03-01, catchup: true }\n');

interface DueJson {
  pipelines: { pipeline: string; last_successful: string | null; due: { ds: string; ts: string; due_at: string }[]; truncated: boolean }[];
}

function writeState(repo: string, pipelineSlug: string, lastSuccessful: string): void {
  mkdirSync(join(repo, '.dagline', 'schedule'), { recursive: true });
  writeFileSync(join(repo, '.dagline', 'schedule', `${pipelineSlug}.json`), JSON.stringify({ format: 1, pipeline: pipelineSlug, lastSuccessful, updatedAt: '2024-03-03T00:00:00Z' }));
}

describe('dagline schedule due', () => {
  it('with catchup lists every date since start whose interval has ended at --now', () => {
    const repo = repository({ 'pipeline.yml': CATCHUP });
    const result = dagline(['schedule', 'due', '--now', '2024-03-04T03:00:00Z'], { cwd: repo });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'churn (0 2 * * * UTC, catchup): 3 logical dates due\n  2024-03-01T02:00:00Z\n  2024-03-02T02:00:00Z\n  2024-03-03T02:00:00Z\n',
    );
  });

  it('reads the clock from DAGLINE_NOW, and --now wins over it', () => {
    const repo = repository({ 'pipeline.yml': CATCHUP });
    const fromEnv = dagline(['schedule', 'due', '--format', 'json'], { cwd: repo, env: { DAGLINE_NOW: '2024-03-02T02:00:00Z' } });
    expect((JSON.parse(fromEnv.stdout) as DueJson).pipelines[0]?.due).toEqual([{ ds: '2024-03-01', ts: '2024-03-01T02:00:00Z', due_at: '2024-03-02T02:00:00Z' }]);
    const both = dagline(['schedule', 'due', '--now', '2024-03-03T02:00:00Z', '--format', 'json'], { cwd: repo, env: { DAGLINE_NOW: '2024-03-02T02:00:00Z' } });
    expect((JSON.parse(both.stdout) as DueJson).pipelines[0]?.due.map((d) => d.ds)).toEqual(['2024-03-01', '2024-03-02']);
  });

  it('starts after the last successful date kept in the state file, unless --since says otherwise', () => {
    const repo = repository({ 'pipeline.yml': CATCHUP });
    writeState(repo, 'churn', '2024-03-02T02:00:00Z');
    const due = JSON.parse(dagline(['schedule', 'due', '--now', '2024-03-05T12:00:00Z', '--format', 'json'], { cwd: repo }).stdout) as DueJson;
    expect(due.pipelines[0]).toMatchObject({ pipeline: 'churn', last_successful: '2024-03-02T02:00:00Z', truncated: false });
    expect(due.pipelines[0]?.due.map((d) => d.ds)).toEqual(['2024-03-03', '2024-03-04']);
    const since = dagline(['schedule', 'due', '--now', '2024-03-05T12:00:00Z', '--since', '2024-03-03'], { cwd: repo });
    expect(since.stdout).toBe('churn (0 2 * * * UTC, catchup; last successful 2024-03-03T02:00:00Z): 1 logical date due\n  2024-03-04T02:00:00Z\n');
  });

  it('without catchup lists only the latest due date, and nothing once it succeeded', () => {
    const repo = repository({ 'pipeline.yml': pipeline('schedule: { cron: "0 2 * * *", start: 2024-03-01 }\n') });
    expect(dagline(['schedule', 'due', '--now', '2024-03-05T12:00:00Z'], { cwd: repo }).stdout).toBe('churn (0 2 * * * UTC): 1 logical date due\n  2024-03-04T02:00:00Z\n');
    writeState(repo, 'churn', '2024-03-04T02:00:00Z');
    expect(dagline(['schedule', 'due', '--now', '2024-03-05T12:00:00Z'], { cwd: repo }).stdout).toBe('churn (0 2 * * * UTC; last successful 2024-03-04T02:00:00Z): nothing is due\n');
  });

  it('treats a pipeline without a schedule as daily at 00:00 UTC, and lists every pipeline of a folder', () => {
    const repo = repository({
      'pipelines/a.yml': pipeline('', 'plain'),
      'pipelines/b.yml': pipeline('schedule: { cron: "0 6 * * *", timezone: Europe/Paris }\n', 'paris'),
    });
    const all = dagline(['schedule', 'due', 'pipelines', '--now', '2024-03-05T12:00:00Z'], { cwd: repo });
    expect(all.stdout).toBe('plain (0 0 * * * UTC): 1 logical date due\n  2024-03-04T00:00:00Z\nparis (0 6 * * * Europe/Paris): 1 logical date due\n  2024-03-04T06:00:00+01:00\n');
    const one = dagline(['schedule', 'due', 'pipelines', '--pipeline', 'paris', '--now', '2024-03-05T12:00:00Z', '--format', 'json'], { cwd: repo });
    expect((JSON.parse(one.stdout) as DueJson).pipelines.map((p) => p.pipeline)).toEqual(['paris']);
  });

  it('refuses a bad clock, a bad --since and an unreadable state file', () => {
    const repo = repository({ 'pipeline.yml': CATCHUP });
    const badNow = dagline(['schedule', 'due', '--now', 'noon'], { cwd: repo });
    expect([badNow.status, badNow.stderr]).toEqual([2, expect.stringContaining('error DAG093: --now: `noon` is not a date')]);
    const badEnv = dagline(['schedule', 'due'], { cwd: repo, env: { DAGLINE_NOW: '2024-13-01' } });
    expect(badEnv.stderr).toContain('error DAG093: DAGLINE_NOW: `2024-13-01` is not a date');
    const badSince = dagline(['schedule', 'due', '--since', '2024-02-30'], { cwd: repo });
    expect([badSince.status, badSince.stderr]).toEqual([2, expect.stringContaining('error DAG093: --since:')]);
    mkdirSync(join(repo, '.dagline', 'schedule'), { recursive: true });
    writeFileSync(join(repo, '.dagline', 'schedule', 'churn.json'), 'not json');
    const corrupt = dagline(['schedule', 'due', '--now', '2024-03-05T12:00:00Z'], { cwd: repo });
    expect([corrupt.status, corrupt.stderr]).toEqual([2, expect.stringContaining('churn.json is not a schedule state file')]);
  });
});

describe('dagline schedule next', () => {
  it('gives the date whose interval is open and when it becomes due', () => {
    const repo = repository({ 'pipeline.yml': CATCHUP });
    const result = dagline(['schedule', 'next', '--now', '2024-03-04T03:00:00Z'], { cwd: repo });
    expect(result.stdout).toBe('churn (0 2 * * * UTC, catchup): next logical date 2024-03-04T02:00:00Z, due at 2024-03-05T02:00:00Z\n');
    const json = JSON.parse(dagline(['schedule', 'next', '--now', '2024-03-04T01:00:00Z', '--format', 'json'], { cwd: repo }).stdout) as unknown;
    expect(json).toEqual({ pipelines: [{ pipeline: 'churn', cron: '0 2 * * *', timezone: 'UTC', next: { ds: '2024-03-03', ts: '2024-03-03T02:00:00Z', due_at: '2024-03-04T02:00:00Z' } }] });
  });

  it('follows the local 02:00 across the change to summer time in Europe/Paris', () => {
    const repo = repository({ 'pipeline.yml': pipeline('schedule: { cron: "0 2 * * *", timezone: Europe/Paris }\n') });
    const result = dagline(['schedule', 'next', '--now', '2024-03-30T12:00:00Z'], { cwd: repo });
    expect(result.stdout).toContain('next logical date 2024-03-30T02:00:00+01:00, due at 2024-03-31T03:00:00+02:00');
    const after = dagline(['schedule', 'next', '--now', '2024-03-31T12:00:00Z'], { cwd: repo });
    expect(after.stdout).toContain('next logical date 2024-03-31T03:00:00+02:00, due at 2024-04-01T02:00:00+02:00');
  });

  it('says when a schedule has ended', () => {
    const repo = repository({ 'pipeline.yml': pipeline('schedule: { cron: "0 2 * * *", start: 2024-01-01, end: 2024-01-31 }\n') });
    expect(dagline(['schedule', 'next', '--now', '2024-03-04T03:00:00Z'], { cwd: repo }).stdout).toBe('churn (0 2 * * * UTC): no more logical dates (the schedule ended 2024-01-31)\n');
  });

  it('has help', () => {
    const result = dagline(['schedule', '--help']);
    expect([result.status, result.stdout]).toEqual([0, expect.stringContaining('Usage: dagline schedule next|due [path]')]);
    expect(dagline(['help']).stdout).toMatch(/schedule +which logical dates are due/);
  });

  it('needs next or due', () => {
    const repo = repository({ 'pipeline.yml': CATCHUP });
    const result = dagline(['schedule', 'later'], { cwd: repo });
    expect([result.status, result.stderr]).toEqual([2, expect.stringContaining('error DAG090: schedule takes `next` or `due`, not `later`')]);
  });
});
