import { describe, expect, it } from 'vitest';
import { brief, compiled, problems } from '../helpers/pipeline.js';

const messages = (text: string) => problems(text).map((d) => `${brief(d)} ${d.message}`);

describe('needs', () => {
  it('suggests the task that was probably meant', () => {
    expect(messages('version: 1\ntasks:\n  train: { run: x }\n  report: { needs: [trian], run: y }\n')).toEqual([
      'DAG040 4:21 task `report` needs `trian`, which does not exist; did you mean `train`?',
    ]);
  });

  it('refuses a task that needs itself', () => {
    expect(messages('version: 1\ntasks:\n  a: { needs: a, run: x }\n').map((m) => m.slice(0, 13))).toEqual(['DAG042 3:15 t']);
  });

  it('prints the cycle path', () => {
    const text = 'version: 1\ntasks:\n  a: { needs: [c], run: x }\n  b: { needs: [a], run: x }\n  c: { needs: [b], run: x }\n';
    expect(messages(text)).toEqual(['DAG041 3:16 dependency cycle: a → c → b → a']);
  });
});

describe('schedule', () => {
  it('refuses a bad cron, an unknown timezone and an impossible start date', () => {
    const text = 'version: 1\nschedule:\n  cron: "0 25 * * *"\n  timezone: Mars/Olympus\n  start: 2024-02-30\ntasks:\n  a: { run: x }\n';
    expect(problems(text).map(brief)).toEqual(['DAG045 3:9', 'DAG046 4:13', 'DAG019 5:10']);
  });
});

describe('expressions', () => {
  it('points at the exact column of a syntax error inside ${{ }}', () => {
    const [d] = problems('version: 1\ntasks:\n  a:\n    run: echo ${{ params.x == }} done\n');
    expect(d?.code).toBe('DAG047');
    expect(d?.location?.start).toMatchObject({ line: 4, col: 30 });
  });

  it('knows which names can exist where', () => {
    const text = `version: 1
params: { models: [a] }
tasks:
  a: { run: echo \${{ matrix.model }} }
  b:
    matrix: { model: \${{ params.models }} }
    run: echo \${{ matrix.modle }} \${{ params.model }}
  c:
    run: echo \${{ needs.a.outputs.x }}
  d:
    needs: [a]
    outputs: ["\${{ needs.a.outputs.path }}"]
    run: echo \${{ run.dss }} \${{ secrets.x }}
`;
    expect(messages(text)).toEqual([
      'DAG048 4:22 `run` of task `a` reads `matrix`, but there is no matrix here',
      'DAG048 7:19 the matrix has no axis `modle`; did you mean `model`?',
      'DAG048 7:39 there is no param `model`; did you mean `models`?',
      'DAG049 9:19 reads the outputs of `a`, which this task does not need',
      'DAG048 12:20 upstream outputs are only known when the task starts, not in `outputs` of task `d`',
      'DAG048 13:19 there is no run macro `dss`; did you mean `ds`?',
      'DAG048 13:34 there is no `secrets` context: use `$x` in the command instead, and declare `x` under `secrets:`',
    ]);
  });

  it('checks functions: unknown, wrong arity, status functions outside if', () => {
    const text = 'version: 1\ntasks:\n  a: { run: "echo ${{ jion(1) }} ${{ format() }} ${{ success() }}" }\n  b: { needs: [a], if: failure(), run: x }\n';
    expect(problems(text).map((d) => d.code)).toEqual(['DAG051', 'DAG051', 'DAG054']);
  });

  it('accepts if: with or without ${{ }}', () => {
    expect(() => problems('version: 1\nparams: { on: true }\ntasks:\n  a: { if: params.on, run: x }\n  b: { if: "${{ params.on }}", run: x }\n')).toThrow(
      'expected diagnostics',
    );
  });
});

describe('secrets', () => {
  it('refuses a secret given a literal value in any env of the pipeline, and points at its key', () => {
    const text = `version: 1
secrets: [TOKEN, KEY]
env: { TOKEN: abc123 }
defaults:
  env: { KEY: 42 }
tasks:
  a:
    run: x
    env: { TOKEN: "literal", OTHER: plain }
`;
    expect(problems(text).map((d) => `${brief(d)} ${d.message.split(' ')[0]}`)).toEqual(['DAG055 3:8 `TOKEN`', 'DAG055 5:10 `KEY`', 'DAG055 9:12 `TOKEN`']);
    expect(problems(text)[0]?.hint).toContain('env: { TOKEN: ${{ secrets.TOKEN }} }');
  });

  it('accepts secrets that the pipeline only reads, or sets from an expression', () => {
    const graph = compiled('version: 1\nsecrets: [TOKEN, KEY]\nparams: { key: k }\ntasks:\n  a:\n    run: echo "$TOKEN"\n    env: { KEY: "${{ params.key }}" }\n');
    expect(graph.secrets).toEqual(['TOKEN', 'KEY']);
  });

  it('refuses a secret listed twice, and a name that is not an environment variable name', () => {
    expect(messages('version: 1\nsecrets: [A_KEY, A_KEY]\ntasks:\n  a: { run: x }\n')).toEqual(['DAG016 2:10 `secrets` lists `A_KEY` twice (items 1 and 2)']);
    expect(messages('version: 1\nsecrets: [A-KEY]\ntasks:\n  a: { run: x }\n')).toEqual(['DAG014 2:11 invalid environment variable name `A-KEY` for `secrets[0]`']);
  });
});

describe('paths', () => {
  it('refuses outputs that leave the repository', () => {
    const text = 'version: 1\ntasks:\n  a:\n    run: x\n    outputs: [../../etc/passwd, /tmp/x, ok.txt]\n';
    expect(problems(text).map(brief)).toEqual(['DAG050 5:15', 'DAG050 5:33']);
  });
});

describe('matrix exclude', () => {
  it('names an exclude key that is not an axis', () => {
    const text = 'version: 1\ntasks:\n  a:\n    matrix: { model: [a], exclude: [{ modle: a }] }\n    run: x\n';
    expect(messages(text)).toEqual(['DAG052 4:39 `exclude` names `modle`, which is not an axis of this matrix; did you mean `model`?']);
  });
});
