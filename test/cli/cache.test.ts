import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { start } from '../helpers/actions-cache-server.js';
import { dagline, daglineAsync, REPO, repository, type CliResult } from '../helpers/cli.js';

// Real `dagline` processes on a copy of test/fixtures/cache: every task appends its id to ran.log.

const FIXTURE = join(REPO, 'test/fixtures/cache');
const DATE = ['--date', '2024-03-01'];
const ALL = ['notify', 'other', 'prepare', 'report', 'train-a', 'train-b'];

function checkout(): string {
  const repo = repository({});
  cpSync(FIXTURE, repo, { recursive: true });
  return repo;
}

/** The task ids that ran since the last call (ran.log is emptied). */
function ran(repo: string): string[] {
  const log = join(repo, 'ran.log');
  if (!existsSync(log)) return [];
  const lines = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).sort();
  rmSync(log);
  return lines;
}

/** Every file below `out/` and `side/`, with content and permission bits. */
function outputs(repo: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const top of ['out', 'side']) {
    const dir = join(repo, top);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      files[relative(repo, path)] = `${(statSync(path).mode & 0o777).toString(8)} ${readFileSync(path, 'base64')}`;
    }
  }
  return files;
}

function run(repo: string, ...args: string[]): CliResult {
  const result = dagline(['run', ...DATE, ...args], { cwd: repo });
  expect(result.status, result.stderr + result.stdout).toBe(0);
  return result;
}

describe('dagline run with the local cache', () => {
  it('a second run of an unchanged pipeline runs only cache: false tasks and restores every output byte for byte', () => {
    const repo = checkout();
    run(repo);
    expect(ran(repo)).toEqual(ALL);
    const first = outputs(repo);
    expect(Object.keys(first).sort()).toEqual(['out/clean.csv', 'out/models/a.txt', 'out/models/b.txt', 'out/report.txt', 'side/other.txt']);

    rmSync(join(repo, 'out'), { recursive: true });
    rmSync(join(repo, 'side'), { recursive: true });
    const second = run(repo);
    expect(ran(repo)).toEqual(['notify']);
    expect(second.stdout).toContain('1 succeeded, 5 cached');
    expect(outputs(repo)).toEqual(first);
  });

  it('a changed input reruns exactly its task and what is downstream; a touch without a change reruns nothing', () => {
    const repo = checkout();
    run(repo);
    ran(repo);

    const later = new Date(Date.now() + 3_600_000);
    utimesSync(join(repo, 'data/raw.csv'), later, later);
    run(repo);
    expect(ran(repo)).toEqual(['notify']);

    writeFileSync(join(repo, 'data/other.txt'), 'changed\n');
    run(repo);
    expect(ran(repo)).toEqual(['notify', 'other']);
    expect(readFileSync(join(repo, 'side/other.txt'), 'utf8')).toBe('changed\n');

    writeFileSync(join(repo, 'data/raw.csv'), 'id,value\nz,3\n');
    run(repo);
    expect(ran(repo)).toEqual(['notify', 'prepare', 'report', 'train-a', 'train-b']);
    expect(readFileSync(join(repo, 'out/report.txt'), 'utf8')).toContain('Z,3');
  });

  it('a param change reruns exactly the matrix instances it changes, and what depends on them', () => {
    const repo = checkout();
    run(repo);
    ran(repo);
    run(repo, '--param', 'epochs={a: 5, b: 1}');
    expect(ran(repo)).toEqual(['notify', 'report', 'train-a']);
    expect(readFileSync(join(repo, 'out/models/a.txt'), 'utf8')).toContain('a epochs=5');

    run(repo, '--param', 'models=[a, b, c]', '--param', 'epochs={a: 5, b: 1, c: 2}');
    expect(ran(repo)).toEqual(['notify', 'report', 'train-c']);
    // Back to the defaults: every entry is still there (c's model goes, or report's glob input would differ).
    rmSync(join(repo, 'out/models/c.txt'));
    run(repo);
    expect(ran(repo)).toEqual(['notify']);
    expect(readFileSync(join(repo, 'out/models/a.txt'), 'utf8')).toContain('a epochs=1');
  });

  it('--no-cache runs everything and saves nothing; --force reruns the named task (every instance) and saves it again', () => {
    const repo = checkout();
    run(repo, '--no-cache');
    expect(ran(repo)).toEqual(ALL);
    expect(existsSync(join(repo, '.dagline/cache/entries'))).toBe(false);

    run(repo);
    ran(repo);
    run(repo, '--force', 'train');
    expect(ran(repo)).toEqual(['notify', 'train-a', 'train-b']);
    run(repo, '--force', 'train[model=b]');
    expect(ran(repo)).toEqual(['notify', 'train-b']);
    expect(dagline(['run', ...DATE, '--force', 'nope'], { cwd: repo })).toMatchObject({ status: 2, stderr: expect.stringContaining('--force: no task `nope`') });
  });

  it('restores only what is missing or different, and the mode bits too', () => {
    const repo = checkout();
    run(repo);
    ran(repo);
    const first = outputs(repo);
    writeFileSync(join(repo, 'out/models/a.txt'), 'tampered');
    chmodSync(join(repo, 'side/other.txt'), 0o644);
    run(repo);
    expect(ran(repo)).toEqual(['notify']);
    expect(outputs(repo)).toEqual(first);
  });

  it('a task that does not produce a declared output fails, naming the path, and saves nothing', () => {
    const repo = repository({ 'pipeline.yml': 'version: 1\ntasks:\n  lazy:\n    run: echo nothing\n    outputs: [out/model.bin]\n' });
    const result = dagline(['run', ...DATE], { cwd: repo });
    expect(result.status).toBe(3);
    expect(result.stdout + result.stderr).toContain('out/model.bin');
    expect(result.stdout + result.stderr).toMatch(/declared output out\/model\.bin was not produced/);
    expect(existsSync(join(repo, '.dagline/cache/entries')) && readdirSync(join(repo, '.dagline/cache/entries')).length).toBeFalsy();
  });

  it('a corrupted blob is reported and never restored: the task runs again and the entry is repaired', () => {
    const repo = checkout();
    run(repo);
    ran(repo);
    const good = readFileSync(join(repo, 'side/other.txt'));
    const blobs = join(repo, '.dagline/cache/blobs');
    const blob = readdirSync(blobs, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .find((path) => readFileSync(path).equals(good));
    expect(blob).toBeDefined();
    chmodSync(blob!, 0o644);
    writeFileSync(blob!, 'evil content');
    rmSync(join(repo, 'side'), { recursive: true });

    const result = run(repo);
    expect(ran(repo)).toEqual(['notify', 'other']);
    expect(result.stdout + result.stderr).toMatch(/⚠.*other.*(corrupt|does not match)/);
    expect(readFileSync(join(repo, 'side/other.txt')).equals(good)).toBe(true);
    rmSync(join(repo, 'side'), { recursive: true });
    run(repo);
    expect(ran(repo)).toEqual(['notify']);
    expect(readFileSync(join(repo, 'side/other.txt')).equals(good)).toBe(true);
  });

  it('two runs sharing one cache folder at the same time both succeed and leave valid entries', async () => {
    const shared = join(repository({}), 'shared-cache');
    const [one, two] = [checkout(), checkout()];
    const env = { DAGLINE_CACHE_DIR: shared };
    const results = await Promise.all([one, two].map((repo) => daglineAsync(['run', ...DATE], { cwd: repo, env })));
    for (const result of results) expect(result.status, result.stderr).toBe(0);
    expect(outputs(one)).toEqual(outputs(two));

    // A third checkout restores everything from the shared folder.
    const three = checkout();
    const third = dagline(['run', ...DATE, '--cache-dir', shared], { cwd: three });
    expect(third.status).toBe(0);
    expect(ran(three)).toEqual(['notify']);
    expect(outputs(three)).toEqual(outputs(one));
  });
});

describe('dagline run inside GitHub Actions', () => {
  it('uses the GitHub Actions cache by itself: a later job on a fresh runner restores everything a first job saved', async () => {
    const server = await start();
    try {
      const job = (repo: string) => daglineAsync(['run', ...DATE], { cwd: repo, env: { ...server.env, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: repo } });
      const first = checkout();
      expect((await job(first)).status).toBe(0);
      expect(ran(first)).toEqual(ALL);
      expect(server.entries().filter((e) => e.key.startsWith('dagline-v1-cache-e2e-'))).toHaveLength(5);

      const second = checkout();
      const plan = await daglineAsync(['plan', ...DATE], { cwd: second, env: { ...server.env, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: second } });
      // On a fresh runner: train reads prepare's out/clean.csv, not on disk yet but in prepare's cached entry.
      expect(plan.stdout).toContain('1 of 6 tasks will run, 5 cached');
      const result = await job(second);
      expect(result.status, result.stderr).toBe(0);
      expect(ran(second)).toEqual(['notify']);
      expect(outputs(second)).toEqual(outputs(first));
      expect(result.stdout).not.toContain('::warning');
    } finally {
      await server.close();
    }
  });

  it('a cache service that is down is one warning, and the run succeeds', async () => {
    const server = await start();
    await server.down();
    const repo = checkout();
    const result = await daglineAsync(['run', ...DATE], { cwd: repo, env: { ...server.env, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: repo } });
    expect(result.status).toBe(0);
    expect(ran(repo)).toEqual(ALL);
    expect(result.stdout.match(/::warning/g)).toHaveLength(1);
    expect(result.stdout).toContain('Continuing without the GitHub Actions cache');
  });
});

describe('dagline plan with the cache', () => {
  it('says cached or will run for each task, and why', () => {
    const repo = checkout();
    const before = dagline(['plan', ...DATE], { cwd: repo });
    expect(before.stdout).toContain('6 of 6 tasks will run');
    expect(before.stdout).toMatch(/prepare\s+will run\s+no cache entry/);
    expect(before.stdout).toMatch(/notify\s+will run\s+cache: false/);
    run(repo);
    ran(repo);

    writeFileSync(join(repo, 'data/raw.csv'), 'id,value\nq,9\n');
    const plan = dagline(['plan', ...DATE], { cwd: repo });
    expect(plan.status).toBe(0);
    expect(plan.stdout).toContain('5 of 6 tasks will run, 1 cached');
    expect(plan.stdout).toMatch(/prepare\s+will run\s+~\S+\s+input data\/raw\.csv changed/); // ~: its time in the run before
    expect(plan.stdout).toMatch(/train\[model=a\]\s+will run\s+~\S+\s+upstream prepare will run/);
    expect(plan.stdout).toMatch(/other\s+cached/);
    expect(ran(repo)).toEqual([]);

    const params = dagline(['plan', ...DATE, '--param', 'epochs={a: 1, b: 3}'], { cwd: repo, env: {} });
    expect(params.stdout).toMatch(/train\[model=b\]\s+will run/);
  });

  it('counts the outputs a run would restore first: a checkout without them plans everything cached', () => {
    const repo = checkout();
    run(repo);
    ran(repo);
    rmSync(join(repo, 'out'), { recursive: true });
    rmSync(join(repo, 'side'), { recursive: true });
    const plan = dagline(['plan', ...DATE], { cwd: repo });
    expect(plan.stdout).toContain('1 of 6 tasks will run, 5 cached');
    expect(plan.stdout).toMatch(/report\s+cached/);
    run(repo);
    expect(ran(repo)).toEqual(['notify']);
  });

  it('never says cached for a task that then runs', () => {
    const repo = checkout();
    run(repo);
    ran(repo);
    writeFileSync(join(repo, 'data/other.txt'), 'new\n');
    const json = JSON.parse(dagline(['plan', ...DATE, '--format', 'json'], { cwd: repo }).stdout) as { plans: { tasks: { id: string; action: string }[] }[] };
    const cached = json.plans[0]!.tasks.filter((t) => t.action === 'cached').map((t) => t.id);
    run(repo);
    const ranIds = ran(repo).map((id) => id.replace(/^train-(\w)$/, 'train[model=$1]'));
    expect(cached.filter((id) => ranIds.includes(id))).toEqual([]);
    expect(cached.sort()).toEqual(['prepare', 'report', 'train[model=a]', 'train[model=b]']);
  });

  it('--explain prints the fingerprint parts and marks what changed since the last entry', () => {
    const repo = checkout();
    run(repo);
    writeFileSync(join(repo, 'data/raw.csv'), 'id,value\nw,4\n');
    const explained = dagline(['plan', ...DATE, '--explain', 'prepare'], { cwd: repo });
    expect(explained.status).toBe(0);
    expect(explained.stdout).toMatch(/command/);
    expect(explained.stdout).toMatch(/~\s*input:data\/raw\.csv/);
    const unknown = dagline(['plan', ...DATE, '--explain', 'nope'], { cwd: repo });
    expect(unknown.status).toBe(2);
  });
});

describe('dagline cache ls | du | prune', () => {
  it('lists entries, sums their size, and prunes to a size', () => {
    const repo = checkout();
    run(repo);
    const ls = JSON.parse(dagline(['cache', 'ls', '--format', 'json'], { cwd: repo }).stdout) as { key: string }[];
    expect(ls).toHaveLength(5);
    expect(ls.map((e) => e.key).every((key) => key.startsWith('cache-e2e-'))).toBe(true);
    const du = dagline(['cache', 'du'], { cwd: repo });
    expect(du.stdout).toMatch(/5 entries/);
    const pruned = dagline(['cache', 'prune', '--max-size', '0'], { cwd: repo });
    expect(pruned.status).toBe(0);
    expect(JSON.parse(dagline(['cache', 'ls', '--format', 'json'], { cwd: repo }).stdout)).toEqual([]);
    ran(repo);
    run(repo);
    expect(ran(repo)).toEqual(ALL);
    expect(dagline(['cache', 'prune', '--older-than', 'soon'], { cwd: repo })).toMatchObject({ status: 2 });
  });
});

describe('the cache folder', () => {
  it('is created on first save and may live outside the repository', () => {
    const repo = checkout();
    const elsewhere = join(repository({}), 'c');
    mkdirSync(elsewhere);
    run(repo, '--cache-dir', elsewhere);
    expect(readdirSync(join(elsewhere, 'entries'))).toHaveLength(5);
    expect(existsSync(join(repo, '.dagline/cache'))).toBe(false);
  });
});
