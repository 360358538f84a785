import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { dagline, daglineAsync, repository, type CliResult } from '../helpers/cli.js';

// Real processes on checkouts that share one cache folder, as the jobs of a GitHub matrix share the Actions
// cache: `prepare` is cached, six trains fan out, `report` fans in. Every task appends its id to ran.log; a train
// waits for the file $BARRIER (when set) before it finishes, so a test can hold every shard in the middle.

const PIPELINE = `version: 1
name: fan-out
params:
  models: [a, b, c, d, e, f]
tasks:
  prepare:
    run: echo prepare >> ran.log && mkdir -p out && cp data/raw.csv out/clean.csv
    inputs: [data/raw.csv]
    outputs: [out/clean.csv]
  train:
    needs: [prepare]
    matrix: { model: \${{ params.models }} }
    run: >-
      echo 'train[model=\${{ matrix.model }}]' >> ran.log &&
      while [ -n "$BARRIER" ] && [ ! -e "$BARRIER" ]; do sleep 0.05; done &&
      mkdir -p out/models && cat out/clean.csv > out/models/\${{ matrix.model }}.txt
    inputs: [out/clean.csv]
    outputs: ['out/models/\${{ matrix.model }}.txt']
  report:
    needs: [train]
    run: echo report >> ran.log && cat out/models/*.txt > out/report.txt
    outputs: [out/report.txt]
`;
const FILES = { 'pipeline.yml': PIPELINE, 'data/raw.csv': 'id,x\n1,2\n' };
const DATE = ['--date', '2024-03-01'];
const train = (model: string): string => `train[model=${model}]`;
const TRAINS = ['a', 'b', 'c', 'd', 'e', 'f'].map(train);

/** A checkout of FILES with its cache in `cache`; `prepare` is run once (in a checkout of its own) and cached. */
function setUp(): { cache: string; checkout: () => string } {
  const cache = join(repository({}), 'cache');
  const checkout = (): string => repository(FILES);
  const seed = checkout();
  expect(cli(seed, ['run', '--only', 'prepare'], cache).status).toBe(0);
  return { cache, checkout };
}

function cli(repo: string, args: string[], cache: string): CliResult {
  return dagline([...args, ...DATE, '--cache-dir', cache], { cwd: repo });
}

/** The task ids that ran in this checkout since the last call, in the order they started (ran.log is emptied). */
function ran(repo: string): string[] {
  const log = join(repo, 'ran.log');
  if (!existsSync(log)) return [];
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  rmSync(log);
  return lines;
}

const linesIn = (repo: string): number => (existsSync(join(repo, 'ran.log')) ? readFileSync(join(repo, 'ran.log'), 'utf8').split('\n').filter(Boolean).length : 0);

async function waitUntil(condition: () => boolean, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; !condition() && Date.now() < deadline; ) await sleep(50);
}

const MATRIX = '{"include":[{"shard":"1/3","tasks":2},{"shard":"2/3","tasks":2},{"shard":"3/3","tasks":2}]}\n';

describe('dagline plan --matrix and run --shard', () => {
  it('three shards running at once each run only their trains; the join then runs only report', async () => {
    const { cache, checkout } = setUp();
    const planned = cli(checkout(), ['plan', '--matrix', '3'], cache);
    expect(planned).toMatchObject({ status: 0, stdout: MATRIX });

    const shards = [checkout(), checkout(), checkout()];
    const barrier = join(repository({}), 'go');
    const running = shards.map((repo, i) => daglineAsync(['run', '--shard', `${i + 1}/3`, '-j', '4', ...DATE, '--cache-dir', cache], { cwd: repo, env: { BARRIER: barrier } }));
    // Every shard has split before any saves: the race with other shards' saves is the next test's.
    await waitUntil(() => shards.reduce((n, repo) => n + linesIn(repo), 0) >= TRAINS.length, 20_000);
    writeFileSync(barrier, '');
    const results = await Promise.all(running);
    results.forEach((r) => expect(r.status, r.stderr + r.stdout).toBe(0));
    expect(shards.map((repo) => ran(repo).sort())).toEqual([
      [train('a'), train('d')],
      [train('b'), train('e')],
      [train('c'), train('f')],
    ]);
    for (const repo of shards) expect(readFileSync(join(repo, 'out/clean.csv'), 'utf8')).toBe(FILES['data/raw.csv']);

    const joined = checkout();
    const join_ = cli(joined, ['run'], cache);
    expect(join_.status, join_.stderr + join_.stdout).toBe(0);
    expect(ran(joined)).toEqual(['report']);
    expect(join_.stdout).toContain('1 succeeded, 7 cached');
    expect(readFileSync(join(joined, 'out/report.txt'), 'utf8')).toBe(FILES['data/raw.csv'].repeat(6));
  });

  it('when shards run one after another, later shards split what is left; with the join no task is lost or run twice', () => {
    // One checkout, so each shard sees the outputs the previous one saved: the cache has moved on since the plan.
    const { cache, checkout } = setUp();
    const repo = checkout();
    expect(cli(repo, ['plan', '--matrix', '3'], cache).stdout).toBe(MATRIX);
    const byShard = ['1/3', '2/3', '3/3'].map((shard) => {
      const result = cli(repo, ['run', '--shard', shard], cache);
      expect(result.status, result.stderr + result.stdout).toBe(0);
      return ran(repo);
    });
    expect(byShard[0]?.sort()).toEqual([train('a'), train('d')]);
    const joined = cli(repo, ['run'], cache);
    expect(joined.status, joined.stderr + joined.stdout).toBe(0);
    const byJoin = ran(repo);
    expect(byJoin.at(-1)).toBe('report');
    expect([...byShard.flat(), ...byJoin].sort()).toEqual([...TRAINS, 'report'].sort());

    // Every task has succeeded or is cached: a new run restores all eight and runs nothing.
    const again = cli(repo, ['run'], cache);
    expect(ran(repo)).toEqual([]);
    expect(again.stdout).toContain('8 cached');
    expect(cli(repo, ['plan', '--matrix', '3'], cache)).toMatchObject({ status: 0, stdout: '{"include":[]}\n' });

    const late = cli(repo, ['run', '--shard', '2/3'], cache);
    expect(late.status).toBe(0);
    expect(ran(repo)).toEqual([]);
    expect(late.stdout + late.stderr).toContain('the cache has changed since the plan (0 shards now, not 3)');
  });

  it.each([
    [['run', '--shard', '0/3']],
    [['run', '--shard', '4/3']],
    [['run', '--shard', 'x']],
    [['run', '--shard', '1/3', '--only', 'train']],
    [['run', '--shard', '1/3', '--no-cache']],
    [['plan', '--matrix', '0']],
    [['plan', '--matrix', '257']],
    [['plan', '--matrix', 'x']],
    [['plan', '--matrix', '3', '--format', 'text']],
  ])('%j is a usage error with a code', (args) => {
    const repo = repository(FILES);
    const result = cli(repo, args, join(repo, 'cache'));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^dagline: error DAG090: /);
    expect(result.stdout).toBe('');
    expect(ran(repo)).toEqual([]);
  });
});
