import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { start as startCacheService } from '../helpers/actions-cache-server.js';
import { REPO } from '../helpers/cli.js';
import { startGitHubApi } from '../helpers/github-api-server.js';

// The action's entry point as a subprocess in a real GitHub environment: GITHUB_* variables, a real event
// payload, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, the REST API and the cache service on loopback.

const FIXTURE = join(REPO, 'test/fixtures/action');
const EVENTS = join(REPO, '../shared/github-events');
const BUILT = join(REPO, 'build/action/index.js');
const BUNDLED = join(REPO, 'dist/index.mjs');

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', HOME: tmpdir() };
const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, ...GIT_ENV } }).trim();

/** A checkout with two commits: the fixture (base), then `change` applied to it (head). */
function repository(change?: (repo: string) => void): { repo: string; base: string; head: string } {
  const repo = temp('dagline-action-repo-');
  cpSync(FIXTURE, repo, { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'base');
  const base = git(repo, 'rev-parse', 'HEAD');
  change?.(repo);
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'head');
  return { repo, base, head: git(repo, 'rev-parse', 'HEAD') };
}

interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
}

interface Invocation {
  repo: string;
  event: string;
  payload: unknown;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  entry?: string;
}

function runAction({ repo, event, payload, inputs = {}, env = {}, entry = BUILT }: Invocation): Promise<ActionRun> {
  const runner = temp('dagline-runner-');
  const files = { event: join(runner, 'event.json'), summary: join(runner, 'summary.md'), output: join(runner, 'output.txt') };
  writeFileSync(files.event, JSON.stringify(payload));
  writeFileSync(files.summary, '');
  writeFileSync(files.output, '');
  const inputEnv = Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]));
  const childEnv = {
    PATH: process.env.PATH ?? '',
    HOME: tmpdir(),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_OUTPUT: files.output,
    GITHUB_REPOSITORY: 'Codertocat/Hello-World',
    GITHUB_WORKSPACE: repo,
    RUNNER_TEMP: runner,
    ...inputEnv,
    ...env,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry], { cwd: repo, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr, summary: readFileSync(files.summary, 'utf8'), outputs: parseOutputs(readFileSync(files.output, 'utf8')) }));
  });
}

/** GITHUB_OUTPUT as @actions/core writes it: `name<<delimiter`, the value's lines, `delimiter`. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const end = lines.indexOf(open[2] ?? '', i + 1);
    outputs[open[1] ?? ''] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return outputs;
}

function pullRequest(file: string, base: string, head: string): unknown {
  const payload = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as { pull_request: { base: { sha: string }; head: { sha: string } } };
  payload.pull_request.base.sha = base;
  payload.pull_request.head.sha = head;
  return payload;
}

const changeTrain = (repo: string) => {
  const file = join(repo, 'pipeline.yml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('cp out/clean.csv out/model.txt', 'cp out/clean.csv out/model.txt && echo v2 >> out/model.txt'));
};

describe('the action on pull_request', () => {
  it('validates and plans against the base, comments once then updates, and runs nothing', async () => {
    const api = await startGitHubApi();
    try {
      const { repo, base, head } = repository(changeTrain);
      const env = { GITHUB_API_URL: api.url };
      const inputs = { pipeline: 'pipeline.yml', 'github-token': 'ghs_test', date: '2024-03-01' };
      const first = await runAction({ repo, event: 'pull_request', payload: pullRequest('pull_request-opened.json', base, head), inputs, env });
      expect(first.code, first.stderr + first.stdout).toBe(0);

      // Nothing ran: no canary, no task log, no run record.
      expect(existsSync(join(repo, 'CANARY_RAN'))).toBe(false);
      expect(existsSync(join(repo, 'ran.log'))).toBe(false);
      expect(existsSync(join(repo, '.dagline/runs'))).toBe(false);

      expect(first.summary).toContain('## Dagline plan');
      expect(first.summary).toMatch(/\*\*3 of 3 tasks will run\*\*/);
      expect(first.summary).toContain('this change invalidates **1** task');
      expect(first.summary).toMatch(/\| `train` \| 🟡 will run \| [^|]+ \| ✏️ command changed \|/);
      expect(first.summary).toMatch(/\| `prepare` \| 🟡 will run \| [^|]+ \| unchanged \|/);
      expect(first.summary).toContain('```mermaid\nflowchart LR');
      expect(first.summary).toContain('classDef run');
      expect(JSON.parse(first.outputs.plan ?? '[]')[0].tasks.map((t: { id: string }) => t.id)).toEqual(['prepare', 'train', 'canary']);
      expect(first.outputs.status).toBe('planned');

      const posts = api.requests.filter((r) => r.method === 'POST');
      expect(posts).toHaveLength(1);
      expect(posts[0]?.path).toBe('/repos/Codertocat/Hello-World/issues/2/comments');
      expect(posts[0]?.authorization).toBe('token ghs_test');
      expect(api.comments(2)[0]?.body).toContain('<!-- dagline:plan -->');

      const again = await runAction({ repo, event: 'pull_request', payload: pullRequest('pull_request-synchronize.json', base, head), inputs, env });
      expect(again.code).toBe(0);
      expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
      expect(api.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
      expect(api.comments(2)).toHaveLength(1);
    } finally {
      await api.close();
    }
  });

  it('an invalid pipeline is an annotation on its line and a failed step', async () => {
    const { repo, base, head } = repository((r) => writeFileSync(join(r, 'pipeline.yml'), readFileSync(join(r, 'pipeline.yml'), 'utf8').replace('needs: [prepare]', 'needs: [prepar]')));
    const result = await runAction({ repo, event: 'pull_request', payload: pullRequest('pull_request-opened.json', base, head), inputs: { pipeline: 'pipeline.yml', 'github-token': '' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/::error file=pipeline\.yml,line=10,col=\d+[^:]*::/);
    expect(result.outputs.status).toBe('invalid');
    expect(result.summary).toContain('the pipeline is invalid');
  });

  it('command: run on a pull request still runs nothing', async () => {
    const { repo, base, head } = repository();
    const result = await runAction({ repo, event: 'pull_request', payload: pullRequest('pull_request-opened.json', base, head), inputs: { pipeline: 'pipeline.yml', command: 'run', 'github-token': '' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('::notice::command: run on a pull_request event');
    expect(existsSync(join(repo, 'CANARY_RAN'))).toBe(false);
  });
});

describe('the action on push', () => {
  it('runs the pipeline, reports to the summary and outputs, and a second job restores from the GitHub cache', async () => {
    const cache = await startCacheService();
    try {
      const payload = JSON.parse(readFileSync(join(EVENTS, 'push.json'), 'utf8'));
      const first = repository();
      const run = (repo: string, entry = BUILT) => runAction({ repo: repo, event: 'push', payload, inputs: { pipeline: 'pipeline.yml', date: '2024-03-01' }, env: cache.env, entry });
      const one = await run(first.repo);
      expect(one.code, one.stderr + one.stdout).toBe(0);
      expect(existsSync(join(first.repo, 'CANARY_RAN'))).toBe(true);
      expect(one.outputs.status).toBe('success');
      expect(one.outputs['failed-tasks']).toBe('[]');
      expect(one.summary).toContain('## Dagline run');
      expect(one.summary).toMatch(/\| `train` \| ✅ succeeded \|/);
      expect(one.summary).toContain('classDef succeeded');
      expect(one.summary).toMatch(/```mermaid\ngantt\n {2}dateFormat x\n[^`]* {2}prepare :done, t\d+, \d+, \d+\n[^`]* {2}train :done, /);
      expect(one.stdout).toMatch(/::group::.*prepare.*\n.*prepared 2 rows\n::endgroup::/);

      // A fresh runner: the bundled action, the same cache service.
      const second = repository();
      const two = await run(second.repo, BUNDLED);
      expect(two.code, two.stderr + two.stdout).toBe(0);
      expect(two.summary).toMatch(/\| `prepare` \| 🔵 cached \|/);
      expect(two.summary).toMatch(/\| `train` \| 🔵 cached \|/);
      expect(readFileSync(join(second.repo, 'out/model.txt'), 'utf8')).toBe('a,b\n1,2\n');
      expect(existsSync(join(second.repo, 'ran.log'))).toBe(false);
    } finally {
      await cache.close();
    }
  });

  it("registers the pipeline's secrets with the runner before any task runs, and keeps them out of the log and summary", async () => {
    const secret = 's3cr3t-value';
    const pipeline = `version: 1
name: secrets-e2e
secrets: [API_TOKEN]
tasks:
  produce:
    run: |
      echo "token: $API_TOKEN"
      echo "token=$API_TOKEN" >> "$DAGLINE_OUTPUT"
  check:
    needs: [produce]
    run: '[ "$DAGLINE_NEEDS_PRODUCE_TOKEN" = "$API_TOKEN" ] && touch received'
`;
    const { repo } = repository((r) => writeFileSync(join(r, 'secrets.yml'), pipeline));
    const result = await runAction({ repo, event: 'push', payload: {}, inputs: { pipeline: 'secrets.yml', cache: 'local' }, env: { API_TOKEN: secret } });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(existsSync(join(repo, 'received'))).toBe(true);
    const mask = result.stdout.indexOf(`::add-mask::${secret}\n`);
    expect(mask).toBeGreaterThanOrEqual(0);
    expect(mask).toBeLessThan(result.stdout.indexOf('::group::produce'));
    expect(result.stdout).toContain('token: ***');
    expect(result.stdout.split(secret)).toHaveLength(2); // only in the mask command itself
    expect(result.stderr).not.toContain(secret);
    expect(result.summary).toMatch(/\| `check` \| ✅ succeeded \|/);
    expect(result.summary).not.toContain(secret);
  });

  it('the bundled action starts its tasks through the Perl launcher shipped next to it (dist/launcher.pl)', async () => {
    // The first task may start before the launcher is ready (dagline does not wait for it); the second cannot.
    const pipeline = `version: 1
name: launcher-e2e
tasks:
  first: { run: 'sleep 0.3', cache: false }
  second: { needs: [first], run: 'cat /proc/$PPID/comm > parent', cache: false }
`;
    const { repo } = repository((r) => writeFileSync(join(r, 'launcher.yml'), pipeline));
    const result = await runAction({ repo, event: 'push', payload: {}, inputs: { pipeline: 'launcher.yml', cache: 'local' }, entry: BUNDLED });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(readFileSync(join(repo, 'parent'), 'utf8')).toBe('perl\n');
    expect(result.stderr).toBe('');
  });

  it('a failing task fails the step and names the task in failed-tasks', async () => {
    const { repo } = repository((r) => writeFileSync(join(r, 'pipeline.yml'), readFileSync(join(r, 'pipeline.yml'), 'utf8').replace('touch CANARY_RAN', 'exit 4')));
    const result = await runAction({ repo, event: 'push', payload: {}, inputs: { pipeline: 'pipeline.yml', cache: 'local' } });
    expect(result.code).toBe(3);
    expect(result.outputs.status).toBe('failure');
    expect(JSON.parse(result.outputs['failed-tasks'] ?? '[]')).toEqual(['canary']);
    expect(result.summary).toMatch(/\| `canary` \| ❌ failed \|/);
  });
});

/** The logical dates that ran (from dates.log), and the most that overlapped. */
function datesRun(repo: string): { dates: string[]; overlap: number } {
  const file = join(repo, 'dates.log');
  if (!existsSync(file)) return { dates: [], overlap: 0 };
  const events = readFileSync(file, 'utf8').trim().split('\n').map((line) => line.split(' ')).map(([kind, ds, ns]) => ({ kind, ds: ds ?? '', at: BigInt(ns ?? '0') }));
  let running = 0;
  let overlap = 0;
  for (const e of [...events].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))) {
    running += e.kind === 'start' ? 1 : -1;
    overlap = Math.max(overlap, running);
  }
  return { dates: events.filter((e) => e.kind === 'start').map((e) => e.ds).sort(), overlap };
}

describe('the action and failing pipelines', () => {
  it('notify: github_issue opens one issue on failure, comments on the next failure, closes it on success', async () => {
    const api = await startGitHubApi();
    try {
      const failing = (r: string) => writeFileSync(join(r, 'pipeline.yml'), readFileSync(join(r, 'pipeline.yml'), 'utf8').replace('touch CANARY_RAN', 'exit ${FAIL:-0}').replace('name: action-e2e', 'name: action-e2e\nnotify: { github_issue: true }'));
      const { repo } = repository(failing);
      const run = (fail: string) => runAction({ repo, event: 'push', payload: {}, inputs: { pipeline: 'pipeline.yml', cache: 'local', 'github-token': 'ghs_test' }, env: { GITHUB_API_URL: api.url, FAIL: fail } });

      expect((await run('5')).code).toBe(3);
      expect(api.issues()).toEqual([expect.objectContaining({ number: 1, state: 'open', title: 'Dagline: pipeline action-e2e is failing' })]);
      expect(api.issues()[0]?.body).toContain('<!-- dagline:failure:action-e2e -->');
      expect(api.issues()[0]?.body).toContain('- `canary`');

      expect((await run('5')).code).toBe(3);
      expect(api.issues()).toHaveLength(1);
      expect(api.comments(1).map((c) => c.body)).toEqual([expect.stringContaining('Failed again')]);

      expect((await run('0')).code).toBe(0);
      expect(api.issues()[0]?.state).toBe('closed');
      expect(api.comments(1).at(-1)?.body).toContain('succeeded again');
    } finally {
      await api.close();
    }
  });
});

describe('the action for fan-out', () => {
  it('command: plan with matrix gives the strategy.matrix JSON and runs nothing; shard K/N runs one shard', async () => {
    const { repo } = repository();
    const inputs = { pipeline: 'pipeline.yml', command: 'plan', matrix: '4', cache: 'local', date: '2024-03-01' };
    const planned = await runAction({ repo, event: 'push', payload: {}, inputs });
    expect(planned.code, planned.stderr).toBe(0);
    // prepare → train is one shard; canary (cache: false) is left to the join.
    expect(JSON.parse(planned.outputs.matrix ?? '')).toEqual({ include: [{ shard: '1/1', tasks: 2 }] });
    expect(existsSync(join(repo, 'ran.log'))).toBe(false);

    const shard = await runAction({ repo, event: 'push', payload: {}, inputs: { pipeline: 'pipeline.yml', command: 'run', shard: '1/1', cache: 'local', date: '2024-03-01' } });
    expect(shard.code, shard.stderr).toBe(0);
    expect(readFileSync(join(repo, 'ran.log'), 'utf8')).toBe('prepare\ntrain\n');
    expect(existsSync(join(repo, 'CANARY_RAN'))).toBe(false);
  });
});

describe('the action on schedule and workflow_dispatch', () => {
  const scheduleEvent = { schedule: '0 2 * * *', repository: { full_name: 'Codertocat/Hello-World' } };

  it('a schedule event runs every date missed since the last success, remembered through the cache', async () => {
    const cache = await startCacheService();
    try {
      const tick = (repo: string, now: string, runId: string) =>
        runAction({ repo, event: 'schedule', payload: scheduleEvent, inputs: { pipeline: 'scheduled.yml' }, env: { ...cache.env, DAGLINE_NOW: now, GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1' } });
      const first = repository();
      const one = await tick(first.repo, '2024-03-04T03:00:00Z', '1');
      expect(one.code, one.stderr + one.stdout).toBe(0);
      expect(datesRun(first.repo).dates).toEqual(['2024-03-01', '2024-03-02', '2024-03-03']);
      expect(datesRun(first.repo).overlap).toBeLessThanOrEqual(2);
      expect(one.summary).toMatch(/\| 2024-03-03 \| ✅ succeeded \| 1 \| 0 \| 0 \|/);

      // Two ticks were dropped: the next run, on a fresh runner, catches up on exactly the missed dates.
      const second = repository();
      const two = await tick(second.repo, '2024-03-07T02:30:00Z', '2');
      expect(two.code, two.stderr + two.stdout).toBe(0);
      expect(datesRun(second.repo).dates).toEqual(['2024-03-04', '2024-03-05', '2024-03-06']);
      // The run history came along with the schedule's state: the fresh runner's holds the dates of both ticks.
      const history = join(second.repo, '.dagline/history/nightly');
      const rows = readdirSync(history).flatMap((f) => readFileSync(join(history, f), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { ds: string }));
      expect(rows.map((r) => r.ds).sort()).toEqual(['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05', '2024-03-06']);
    } finally {
      await cache.close();
    }
  });

  it('with catchup: false, only the latest due date runs', async () => {
    const { repo } = repository((r) => writeFileSync(join(r, 'scheduled.yml'), readFileSync(join(r, 'scheduled.yml'), 'utf8').replace('catchup: true', 'catchup: false')));
    const result = await runAction({ repo, event: 'schedule', payload: scheduleEvent, inputs: { pipeline: 'scheduled.yml', cache: 'local' }, env: { DAGLINE_NOW: '2024-03-04T03:00:00Z' } });
    expect(result.code, result.stderr).toBe(0);
    expect(datesRun(repo).dates).toEqual(['2024-03-03']);
  });

  it('workflow_dispatch with from/to backfills every date, at most max-active-runs at once', async () => {
    const { repo } = repository();
    const payload = JSON.parse(readFileSync(join(EVENTS, 'workflow_dispatch.json'), 'utf8'));
    const result = await runAction({ repo, event: 'workflow_dispatch', payload, inputs: { pipeline: 'scheduled.yml', from: '2024-02-01', to: '2024-02-05', 'max-active-runs': '3', cache: 'local' } });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const { dates, overlap } = datesRun(repo);
    expect(dates).toEqual(['2024-02-01', '2024-02-02', '2024-02-03', '2024-02-04', '2024-02-05']);
    expect(overlap).toBeGreaterThan(1);
    expect(overlap).toBeLessThanOrEqual(3);
    expect(result.summary).toContain('backfill 2024-02-01 to 2024-02-05');
    expect(result.summary.match(/\| 2024-02-0\d \| ✅ succeeded/g)).toHaveLength(5);
    expect(result.outputs.status).toBe('success');
  });
});
