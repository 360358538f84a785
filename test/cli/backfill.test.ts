import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, dagline, repository } from '../helpers/cli.js';

/** Each run of `work` logs when it starts and ends (ms since the epoch), and takes long enough to overlap. */
const LOGGING = `version: 1
name: churn
schedule: { cron: "0 2 * * *", start: 2024-01-01 }
tasks:
  work:
    run: |
      echo "start \${{ run.ds }} $(node -p 'Date.now()')" >> log.txt
      sleep 0.8
      echo "end \${{ run.ds }} $(node -p 'Date.now()')" >> log.txt
`;

interface Event {
  kind: 'start' | 'end';
  ds: string;
  at: number;
}

function events(repo: string): Event[] {
  const text = existsSync(join(repo, 'log.txt')) ? readFileSync(join(repo, 'log.txt'), 'utf8') : '';
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const [kind, ds, at] = line.split(' ');
    return { kind: kind as Event['kind'], ds: ds ?? '', at: Number(at) };
  });
}

/** The most runs in progress at one moment (an end at the same millisecond as a start comes first). */
function maxOverlap(log: readonly Event[]): number {
  const sorted = [...log].sort((a, b) => a.at - b.at || (a.kind === 'end' ? -1 : 1));
  let running = 0;
  let most = 0;
  for (const e of sorted) {
    running += e.kind === 'start' ? 1 : -1;
    most = Math.max(most, running);
  }
  return most;
}

const lastSuccessful = (repo: string): unknown =>
  (JSON.parse(readFileSync(join(repo, '.dagline', 'schedule', 'churn.json'), 'utf8')) as { lastSuccessful: unknown }).lastSuccessful;

const DATES = ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05'];

describe('dagline backfill', () => {
  it('runs every date once, at most --max-active-runs at a time; again, it runs nothing new', () => {
    const repo = repository({ 'pipeline.yml': LOGGING });
    const result = dagline(['backfill', '--from', '2024-03-01', '--to', '2024-03-05', '--max-active-runs', '2', '-j', '4'], { cwd: repo });
    expect(result.status).toBe(0);
    const log = events(repo);
    for (const kind of ['start', 'end'] as const) expect(log.filter((e) => e.kind === kind).map((e) => e.ds).sort()).toEqual(DATES);
    expect(maxOverlap(log)).toBe(2);
    expect(result.stdout).toMatch(/\[2024-03-04\] ▶ work/);
    for (const ds of DATES) expect(result.stdout).toMatch(new RegExp(`^${ds}  succeeded +1 +0 +0 `, 'm'));
    expect(result.stdout).toContain('all 5 dates succeeded');
    expect(lastSuccessful(repo)).toBe('2024-03-05T02:00:00Z');

    const runs = JSON.parse(dagline(['runs', '--format', 'json'], { cwd: repo }).stdout) as { runs: { ds: string; status: string }[] };
    expect(runs.runs.map((r) => r.ds).sort()).toEqual(DATES);

    const again = dagline(['backfill', '--from', '2024-03-01', '--to', '2024-03-05', '--max-active-runs', '2'], { cwd: repo });
    expect(again.status).toBe(0);
    expect(events(repo)).toHaveLength(10);
    for (const ds of DATES) expect(again.stdout).toMatch(new RegExp(`^${ds}  succeeded +0 +1 +0 `, 'm'));
  }, 60_000);

  it('runs one date at a time by default, and takes max_active_runs from the schedule', () => {
    const repo = repository({ 'pipeline.yml': LOGGING });
    expect(dagline(['backfill', '--from', '2024-03-01', '--to', '2024-03-03'], { cwd: repo }).status).toBe(0);
    expect(maxOverlap(events(repo))).toBe(1);

    const three = repository({ 'pipeline.yml': LOGGING.replace('start: 2024-01-01', 'start: 2024-01-01, max_active_runs: 3') });
    expect(dagline(['backfill', '--from', '2024-03-01', '--to', '2024-03-03'], { cwd: three }).status).toBe(0);
    expect(maxOverlap(events(three))).toBe(3);
  }, 60_000);

  it('exits 3 when a date fails, names it in the summary, and still runs and records the others', () => {
    const repo = repository({
      'pipeline.yml': 'version: 1\nname: churn\ntasks:\n  check: { run: test "${{ run.ds }}" != 2024-03-02 }\n  after: { needs: [check], run: echo ok }\n',
    });
    const result = dagline(['backfill', '--from', '2024-03-01', '--to', '2024-03-03', '--max-active-runs', '2'], { cwd: repo });
    expect(result.status).toBe(3);
    expect(result.stdout).toMatch(/^2024-03-01  succeeded +2 +0 +0 /m);
    expect(result.stdout).toMatch(/^2024-03-02  failed +0 +0 +1 /m);
    expect(result.stdout).toMatch(/^2024-03-03  succeeded +2 +0 +0 /m);
    expect(result.stdout).toContain('1 of 3 dates did not succeed: 2024-03-02');
    expect(lastSuccessful(repo)).toBe('2024-03-03T00:00:00Z');

    // An older date that succeeds later does not move the state back.
    const older = dagline(['backfill', '--from', '2024-03-01', '--to', '2024-03-01'], { cwd: repo });
    expect(older.status).toBe(0);
    expect(lastSuccessful(repo)).toBe('2024-03-03T00:00:00Z');
  }, 60_000);

  it('on SIGINT cancels the running dates, starts no other, and exits 130', async () => {
    const repo = repository({ 'pipeline.yml': LOGGING.replace('sleep 0.8', 'sleep 30') });
    const child = spawn(process.execPath, [BIN, 'backfill', '--from', '2024-03-01', '--to', '2024-03-04'], { cwd: repo });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 10_000;
    while (events(repo).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/^2024-03-01  cancelled /m);
    for (const ds of ['2024-03-02', '2024-03-03', '2024-03-04']) expect(stdout).toMatch(new RegExp(`^${ds}  not started `, 'm'));
    expect(events(repo).map((e) => e.kind)).toEqual(['start']);
    expect(existsSync(join(repo, '.dagline', 'schedule', 'churn.json'))).toBe(false);
  }, 60_000);

  it('--dry-run lists the dates and runs nothing', () => {
    const repo = repository({ 'pipeline.yml': LOGGING.replace('"0 2 * * *"', '"0 */12 * * *"') });
    const result = dagline(['backfill', '--from', '2024-03-01', '--to', '2024-03-02', '--dry-run'], { cwd: repo });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      '2024-03-01T00:00:00Z\n2024-03-01T12:00:00Z\n2024-03-02T00:00:00Z\n2024-03-02T12:00:00Z\ndry run: 4 logical dates of churn, nothing was run\n',
    );
    expect(existsSync(join(repo, 'log.txt'))).toBe(false);
    expect(existsSync(join(repo, '.dagline', 'runs'))).toBe(false);
  });

  it('has help', () => {
    const result = dagline(['backfill', '--help']);
    expect([result.status, result.stdout]).toEqual([0, expect.stringContaining('Usage: dagline backfill [path] --from D --to D')]);
  });

  it('refuses a missing bound, a backwards range and a bad --max-active-runs', () => {
    const repo = repository({ 'pipeline.yml': LOGGING });
    const missing = dagline(['backfill', '--from', '2024-03-01'], { cwd: repo });
    expect([missing.status, missing.stderr]).toEqual([2, expect.stringContaining('error DAG090: backfill needs --from D and --to D')]);
    const backwards = dagline(['backfill', '--from', '2024-03-05', '--to', '2024-03-01'], { cwd: repo });
    expect([backwards.status, backwards.stderr]).toEqual([2, expect.stringContaining('error DAG093: backfill: the range is backwards')]);
    const active = dagline(['backfill', '--from', '2024-03-01', '--to', '2024-03-02', '--max-active-runs', '0'], { cwd: repo });
    expect([active.status, active.stderr]).toEqual([2, expect.stringContaining('--max-active-runs must be a whole number of at least 1')]);
    expect(existsSync(join(repo, 'log.txt'))).toBe(false);
  });
});
