import { describe, expect, it } from 'vitest';
import { renderParts } from '../../src/compile/graph.js';
import { compiled, problems } from '../helpers/pipeline.js';

const TRAINING = `
version: 1
name: churn
schedule: { cron: "0 2 * * *" }
params:
  models: [xgboost, random_forest]
  regions: [eu, us]
defaults:
  timeout: 2h
  retries: { attempts: 3, delay: 30s, backoff: exponential }
tasks:
  extract:
    run: echo \${{ run.ds }} > data/\${{ run.ds_nodash }}.csv
    outputs: [data/\${{ run.ds_nodash }}.csv]
  train:
    needs: [extract]
    matrix: { model: \${{ params.models }}, region: \${{ params.regions }} }
    run: train --model \${{ matrix.model }} --region \${{ matrix.region }}
    retries: 0
  evaluate:
    needs: train
    matrix: { model: \${{ params.models }} }
    run: evaluate \${{ matrix.model }}
  select:
    needs: [evaluate]
    run: select
  deploy:
    needs: [select]
    if: \${{ needs.select.outputs.auc >= 0.7 }}
    run: deploy \${{ needs.select.outputs.best }}
    cache: false
`;

describe('compile', () => {
  const graph = compiled(TRAINING);
  const task = (id: string) => {
    const found = graph.tasks.find((t) => t.id === id);
    if (!found) throw new Error(`no task ${id}`);
    return found;
  };

  it('expands matrices into stable ids, axes sorted by name', () => {
    expect(graph.tasks.map((t) => t.id)).toEqual([
      'extract',
      'train[model=xgboost,region=eu]',
      'train[model=xgboost,region=us]',
      'train[model=random_forest,region=eu]',
      'train[model=random_forest,region=us]',
      'evaluate[model=xgboost]',
      'evaluate[model=random_forest]',
      'select',
      'deploy',
    ]);
  });

  it('links matrix instances on shared axes and fans in otherwise', () => {
    expect(task('evaluate[model=xgboost]').needs).toEqual(['train[model=xgboost,region=eu]', 'train[model=xgboost,region=us]']);
    expect(task('select').needs).toEqual(['evaluate[model=xgboost]', 'evaluate[model=random_forest]']);
    expect(task('train[model=xgboost,region=eu]').needs).toEqual(['extract']);
  });

  it('substitutes run macros for the logical date', () => {
    const command = task('extract').command;
    expect(command.kind === 'run' && renderParts(command.script)).toBe('echo 2024-03-01 > data/20240301.csv');
    expect(task('extract').outputs).toEqual(['data/20240301.csv']);
    expect(graph.run.ts).toBe('2024-03-01T02:00:00Z');
  });

  it('keeps run-time expressions as expressions, apart from literal text', () => {
    const command = task('deploy').command;
    expect(command.kind === 'run' && command.script).toEqual(['deploy ', { expr: 'needs.select.outputs.best' }]);
    expect(task('deploy').if).toBe('needs.select.outputs.auc >= 0.7');
  });

  it('merges defaults key by key under task settings', () => {
    expect(task('extract').timeoutMs).toBe(7_200_000);
    expect(task('extract').retries).toMatchObject({ attempts: 3, delayMs: 30_000, backoff: 'exponential' });
    expect(task('train[model=xgboost,region=eu]').retries.attempts).toBe(0);
    expect(task('deploy').cache).toBe(false);
  });

  it('applies --param overrides', () => {
    const small = compiled(TRAINING, { params: { models: ['lr'], regions: ['eu'] } });
    expect(small.tasks.filter((t) => t.name === 'train').map((t) => t.id)).toEqual(['train[model=lr,region=eu]']);
  });

  it('is deterministic: the same input gives byte-identical output', () => {
    expect(JSON.stringify(compiled(TRAINING))).toBe(JSON.stringify(compiled(TRAINING)));
  });
});

describe('substitution into run:', () => {
  it('shell-quotes values so each stays one argument', () => {
    const graph = compiled(`
version: 1
params: { name: "x; rm -rf /" }
tasks:
  a:
    matrix: { v: ["$(id)", "it's"] }
    run: echo \${{ params.name }} \${{ matrix.v }}
`);
    const scripts = graph.tasks.map((t) => (t.command.kind === 'run' ? renderParts(t.command.script) : ''));
    expect(scripts).toEqual([`echo 'x; rm -rf /' '$(id)'`, `echo 'x; rm -rf /' 'it'\\''s'`]);
  });

  it('never re-reads a substituted value as an expression', () => {
    const graph = compiled('version: 1\nparams: { p: "${{ needs.x.outputs.y }}" }\ntasks:\n  a:\n    run: echo ${{ params.p }}\n');
    const command = graph.tasks[0]?.command;
    expect(command?.kind === 'run' && command.script).toEqual([`echo '\${{ needs.x.outputs.y }}'`]);
  });

  it('passes args without a shell and without quoting', () => {
    const graph = compiled('version: 1\nparams: { p: "a b" }\ntasks:\n  a:\n    args: [echo, "${{ params.p }}"]\n');
    const command = graph.tasks[0]?.command;
    expect(command?.kind === 'args' && command.args.map(renderParts)).toEqual(['echo', 'a b']);
  });
});

describe('matrix', () => {
  it('applies exclude and include as GitHub does', () => {
    const graph = compiled(`
version: 1
tasks:
  t:
    matrix:
      os: [linux, mac]
      node: [20, 22]
      exclude: [{ os: mac, node: 20 }]
      include:
        - { os: linux, experimental: true }
        - { os: windows, node: 22 }
    run: echo \${{ matrix.os }} \${{ matrix.node }}
`);
    expect(graph.tasks.map((t) => t.id)).toEqual(['t[node=20,os=linux]', 't[node=22,os=linux]', 't[node=22,os=mac]', 't[node=22,os=windows]']);
    expect(graph.tasks[0]?.matrix).toEqual({ os: 'linux', node: 20, experimental: true });
    expect(graph.tasks[2]?.matrix).toEqual({ os: 'mac', node: 22 });
  });

  it('reads axis values from a JSON or YAML file next to the pipeline', () => {
    const files: Record<string, string> = { '/repo/pipelines/models.json': '["a","b","c"]', '/repo/pipelines/sizes.yaml': '- 1\n- 2\n' };
    const graph = compiled('version: 1\ntasks:\n  t:\n    matrix: { m: { from: models.json }, s: { from: sizes.yaml } }\n    run: x\n', {
      readFile: (path) => files[path],
    });
    expect(graph.tasks).toHaveLength(6);
    expect(graph.tasks[5]?.id).toBe('t[m=c,s=2]');
  });

  it('reports an empty axis, a missing file and a non-list where they are written', () => {
    const text = 'version: 1\nparams: { none: [], one: 1 }\ntasks:\n  t:\n    matrix:\n      a: ${{ params.none }}\n      b: { from: missing.json }\n      c: ${{ params.one }}\n    run: x\n';
    expect(problems(text).map((d) => `${d.code} ${d.location?.start.line}`)).toEqual(['DAG044 6', 'DAG070 7', 'DAG071 8']);
  });

  it('refuses a matrix that would expand past the task limit, before expanding it', () => {
    const text = 'version: 1\nparams:\n  xs: [' + Array.from({ length: 300 }, (_, i) => i).join(',') + ']\ntasks:\n  t:\n    matrix: { a: ${{ params.xs }}, b: ${{ params.xs }} }\n    run: x\n';
    expect(problems(text).map((d) => d.code)).toEqual(['DAG073']);
  });

  it('reports duplicate ids after expansion', () => {
    const text = 'version: 1\ntasks:\n  t:\n    matrix: { a: [1, 1] }\n    run: x\n';
    expect(problems(text).map((d) => d.code)).toEqual(['DAG043']);
  });
});
