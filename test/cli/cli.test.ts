import { describe, expect, it } from 'vitest';
import { dagline, repository } from '../helpers/cli.js';

const GOOD = `version: 1
params: { models: [a, b] }
tasks:
  prep:
    run: echo prep
  train:
    needs: [prep]
    matrix: { model: \${{ params.models }} }
    run: echo \${{ matrix.model }}
  report:
    needs: [train]
    run: echo done
`;

const BAD = `version: 1
tasks:
  train:
    run: echo hi
    retires: 3
  report:
    needs: [trian]
    run: echo done
`;

describe('dagline validate', () => {
  it('exits 0 and says what it checked', () => {
    const repo = repository({ 'pipelines/good.yml': GOOD });
    const result = dagline(['validate', 'pipelines'], { cwd: repo });
    expect(result).toMatchObject({ status: 0, stdout: '1 pipeline valid (4 tasks)\n' });
  });

  it('prints file:line:col, the code, a code frame and a suggestion, and exits 1', () => {
    const repo = repository({ 'bad.yml': BAD });
    const result = dagline(['validate', 'bad.yml'], { cwd: repo });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('bad.yml:5:5: error DAG010: unknown key `retires` in task `train`; did you mean `retries`?');
    expect(result.stderr).toContain('> 5 |     retires: 3');
    expect(result.stderr).toMatch(/\n\s+\|\s{5}\^{7}\n/);
    expect(result.stderr).not.toMatch(/\bat .+\.js:\d+/); // no stack trace
  });

  it('reports every schema problem of every file before stopping', () => {
    const repo = repository({ 'p/a.yml': BAD, 'p/b.yml': 'version: 2\ntasks: {}\n' });
    const result = dagline(['validate', 'p', '--format', 'json'], { cwd: repo });
    expect(result.status).toBe(1);
    const { diagnostics } = JSON.parse(result.stdout) as { diagnostics: { code: string; location: { file: string; start: { line: number } } }[] };
    expect(diagnostics.map((d) => `${d.location.file}:${d.location.start.line} ${d.code}`)).toEqual([
      'p/a.yml:5 DAG010',
      'p/b.yml:1 DAG018',
      'p/b.yml:2 DAG016',
    ]);
  });

  it('writes GitHub annotations inside Actions', () => {
    const repo = repository({ 'bad.yml': BAD });
    const result = dagline(['validate', 'bad.yml'], { cwd: repo, env: { GITHUB_ACTIONS: 'true' } });
    expect(result.stdout).toContain('::error file=bad.yml,line=5,col=5,endLine=5,endColumn=12,title=DAG010::unknown key `retires`');
  });

  it('uses colour only when asked and never with NO_COLOR', () => {
    const repo = repository({ 'bad.yml': BAD });
    expect(dagline(['validate', 'bad.yml'], { cwd: repo }).stderr).not.toContain('\u001b[');
    expect(dagline(['validate', 'bad.yml'], { cwd: repo, env: { FORCE_COLOR: '1' } }).stderr).toContain('\u001b[');
    expect(dagline(['validate', 'bad.yml'], { cwd: repo, env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stderr).not.toContain('\u001b[');
  });
});

describe('dagline graph', () => {
  const repo = repository({ 'p.yml': GOOD });

  it('prints JSON with ids and needs', () => {
    const result = dagline(['graph', 'p.yml', '--format', 'json', '--date', '2024-03-01'], { cwd: repo });
    expect(result.status).toBe(0);
    const graph = JSON.parse(result.stdout) as { tasks: { id: string; needs: string[] }[] };
    expect(graph.tasks.map((t) => [t.id, t.needs])).toEqual([
      ['prep', []],
      ['train[model=a]', ['prep']],
      ['train[model=b]', ['prep']],
      ['report', ['train[model=a]', 'train[model=b]']],
    ]);
  });

  it('prints Mermaid and DOT', () => {
    expect(dagline(['graph', 'p.yml'], { cwd: repo }).stdout).toBe(
      'flowchart LR\n  t0["prep"]\n  t1["train[model=a]"]\n  t2["train[model=b]"]\n  t3["report"]\n  t0 --> t1\n  t0 --> t2\n  t1 --> t3\n  t2 --> t3\n',
    );
    expect(dagline(['graph', 'p.yml', '--format', 'dot'], { cwd: repo }).stdout).toContain('"train[model=a]" -> "report";');
  });

  it('applies --param', () => {
    const result = dagline(['graph', 'p.yml', '--format', 'json', '-p', 'models=[x]'], { cwd: repo });
    expect((JSON.parse(result.stdout) as { tasks: { id: string }[] }).tasks.map((t) => t.id)).toEqual(['prep', 'train[model=x]', 'report']);
  });
});

describe('dagline plan', () => {
  it('lists tasks by layer with a reason, and the critical path', () => {
    const repo = repository({ 'p.yml': GOOD });
    const result = dagline(['plan', 'p.yml', '--date', '2024-03-01'], { cwd: repo });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('p (p.yml) for 2024-03-01: 4 of 4 tasks will run');
    expect(result.stdout).toMatch(/layer 0\n\s+prep\s+will run\s+no cache entry/);
    expect(result.stdout).toMatch(/layer 1\n\s+train\[model=a\]\s+will run\s+upstream prep will run/);
    expect(result.stdout).toContain('critical path: prep → train[model=a] → report');
  });

  it('gives JSON with layers', () => {
    const repo = repository({ 'p.yml': GOOD });
    const { plans } = JSON.parse(dagline(['plan', 'p.yml', '--format', 'json'], { cwd: repo }).stdout) as { plans: { layers: string[][] }[] };
    expect(plans[0]?.layers).toEqual([['prep'], ['train[model=a]', 'train[model=b]'], ['report']]);
  });
});

describe('usage errors exit 2 with one line and no stack trace', () => {
  const repo = repository({ 'p.yml': GOOD });
  it.each([
    [['frobnicate'], 'DAG090', 'unknown command `frobnicate`'],
    [['validate', '--nope'], 'DAG090', "Unknown option '--nope'"],
    [['validate', 'missing.yml'], 'DAG091', 'no such file or folder: missing.yml'],
    [['plan', 'p.yml', '--date', '2024-02-30'], 'DAG093', '--date'],
    [['plan', 'p.yml', '-p', 'nope=1'], 'DAG092', 'no pipeline declares a param `nope`'],
    [['graph', 'p.yml', '--format', 'svg'], 'DAG090', '--format must be one of mermaid, dot, json'],
  ])('%j', (args, code, text) => {
    const result = dagline(args, { cwd: repo });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`error ${code}`);
    expect(result.stderr).toContain(text);
  });

  it('shows help for every command', () => {
    for (const command of ['validate', 'graph', 'plan']) {
      const result = dagline([command, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`Usage: dagline ${command}`);
    }
    expect(dagline([]).stdout).toContain('Commands:');
  });
});
