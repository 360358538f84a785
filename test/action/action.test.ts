import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('a failing task fails the step and names the task in failed-tasks', async () => {
    const { repo } = repository((r) => writeFileSync(join(r, 'pipeline.yml'), readFileSync(join(r, 'pipeline.yml'), 'utf8').replace('touch CANARY_RAN', 'exit 4')));
    const result = await runAction({ repo, event: 'push', payload: {}, inputs: { pipeline: 'pipeline.yml', cache: 'local' } });
    expect(result.code).toBe(3);
    expect(result.outputs.status).toBe('failure');
    expect(JSON.parse(result.outputs['failed-tasks'] ?? '[]')).toEqual(['canary']);
    expect(result.summary).toMatch(/\| `canary` \| ❌ failed \|/);
  });
});
