import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { procStat } from '../../src/run/process-tree.js';
import { graphFor, run, tempRepo } from '../helpers/execution.js';

describe('scheduling', () => {
  it('starts a task only after all it needs succeeded, never more than --concurrency at once (random DAGs)', async () => {
    const dag = fc.integer({ min: 1, max: 200 }).chain((n) =>
      fc.tuple(fc.constant(n), fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }), fc.integer({ min: 1, max: 4 })),
    );
    await fc.assert(
      fc.asyncProperty(dag, async ([n, picks, concurrency]) => {
        const root = tempRepo();
        const tasks = Array.from({ length: n }, (_, i) => {
          const needs = i === 0 ? [] : [...new Set((picks[i] ?? []).map((p) => `t${p % i}`))];
          return `  t${i}:\n    run: echo start t${i} >> ../../log && echo end t${i} >> ../../log\n    working-directory: .\n${needs.length ? `    needs: [${needs.join(', ')}]\n` : ''}`;
        });
        const text = `version: 1\ntasks:\n${tasks.join('')}`.replaceAll('../../log', `${root}/log`);
        const graph = graphFor(root, text);
        const { status } = await run(root, graph, { concurrency });
        expect(status).toBe('succeeded');
        const lines = readFileSync(join(root, 'log'), 'utf8').trim().split('\n');
        const ended = new Set<string>();
        let active = 0;
        for (const line of lines) {
          const [event, id = ''] = line.split(' ');
          if (event === 'start') {
            active++;
            expect(active).toBeLessThanOrEqual(concurrency);
            for (const need of graph.tasks.find((t) => t.id === id)?.needs ?? []) expect(ended.has(need), `${id} started before ${need} ended`).toBe(true);
          } else {
            active--;
            ended.add(id);
          }
        }
        expect(ended.size).toBe(n);
      }),
      { numRuns: 6 },
    );
  }, 120_000);

  it('marks everything downstream of a failure upstream_failed and stops starting new work', async () => {
    const root = tempRepo();
    const graph = graphFor(root, 'version: 1\ntasks:\n  a: { run: exit 3 }\n  b: { needs: [a], run: "true" }\n  c: { needs: [b], run: "true" }\n  slow: { run: sleep 0.3 }\n  later: { needs: [slow], run: "true" }\n');
    const { status, recorder } = await run(root, graph);
    expect(status).toBe('failed');
    expect(recorder.statuses()).toEqual({ a: 'failed', b: 'upstream_failed', c: 'upstream_failed', slow: 'succeeded', later: 'cancelled' });
  });

  it('with keep-going, independent branches finish', async () => {
    const root = tempRepo();
    const graph = graphFor(root, 'version: 1\ntasks:\n  a: { run: exit 3 }\n  b: { needs: [a], run: "true" }\n  slow: { run: sleep 0.2 }\n  later: { needs: [slow], run: "true" }\n');
    const { recorder } = await run(root, graph, { keepGoing: true });
    expect(recorder.statuses()).toEqual({ a: 'failed', b: 'upstream_failed', slow: 'succeeded', later: 'succeeded' });
  });
});

describe('retries', () => {
  it('retries a transient failure with exponential delays, and tells the task its attempt', async () => {
    const root = tempRepo();
    const script = `n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; date +%s%3N >> times; echo "$DAGLINE_ATTEMPT \${{ run.attempt }}" >> attempts; [ $n -ge 3 ]`;
    const graph = graphFor(root, `version: 1\ntasks:\n  flaky:\n    run: '${script}'\n    retries: { attempts: 3, delay: 150ms, backoff: exponential }\n`);
    const { status, recorder } = await run(root, graph);
    expect(status).toBe('succeeded');
    expect(readFileSync(join(root, 'attempts'), 'utf8')).toBe('1 1\n2 2\n3 3\n');
    const [t1 = 0, t2 = 0, t3 = 0] = readFileSync(join(root, 'times'), 'utf8').trim().split('\n').map(Number);
    expect(t2 - t1).toBeGreaterThanOrEqual(150);
    expect(t3 - t2).toBeGreaterThanOrEqual(300);
    expect(recorder.events.filter((e) => e.type === 'task-retry').map((e) => e.type === 'task-retry' && e.delayMs)).toEqual([150, 300]);
    expect(recorder.ends().flaky?.attempts).toBe(3);
  });

  it('does not retry a persistent failure (an exit code not listed in on:)', async () => {
    const root = tempRepo();
    const graph = graphFor(root, 'version: 1\ntasks:\n  bad:\n    run: echo x >> tries; exit 2\n    retries: { attempts: 3, delay: 10ms, on: [75] }\n');
    const { recorder } = await run(root, graph);
    expect(readFileSync(join(root, 'tries'), 'utf8')).toBe('x\n');
    expect(recorder.ends().bad).toMatchObject({ status: 'failed', attempts: 1, exitCode: 2 });
  });
});

describe('timeouts', () => {
  it('ends the whole process tree of a task that timed out', async () => {
    const root = tempRepo();
    const graph = graphFor(root, 'version: 1\ntasks:\n  hang:\n    run: sleep 30 & echo $! > pid; wait\n    timeout: 300ms\n');
    const { recorder } = await run(root, graph);
    expect(recorder.ends().hang).toMatchObject({ status: 'failed' });
    expect(recorder.ends().hang?.reason).toMatch(/timed out/);
    const pid = Number(readFileSync(join(root, 'pid'), 'utf8'));
    expect(procStat(pid)?.state ?? 'gone').toMatch(/gone|Z/); // a zombie is dead, waiting for init to reap it
  });
});

describe('outputs and conditions', () => {
  const PIPELINE = `version: 1
params: { min_auc: 0.75 }
tasks:
  evaluate:
    matrix: { model: [a, b] }
    run: |
      echo "auc=0.\${{ matrix.model == 'a' && '7' || '8' }}" >> "$DAGLINE_OUTPUT"
  select:
    needs: [evaluate]
    run: |
      echo \${{ toJSON(needs.evaluate.outputs.auc) }} > seen.json
      echo "best_auc=\${{ params.best }}" >> "$DAGLINE_OUTPUT"
      printf 'notes<<EOF\\nline one\\nline two\\nEOF\\n' >> "$DAGLINE_OUTPUT"
  deploy:
    needs: [select]
    if: \${{ needs.select.outputs.best_auc >= params.min_auc }}
    run: echo "$DAGLINE_NEEDS_SELECT_NOTES" > deployed.txt; echo \${{ needs.select.outputs.best_auc }} >> deployed.txt
`;

  it('passes outputs downstream, as expressions and as env, and runs deploy when the gate is open', async () => {
    const root = tempRepo();
    const graph = graphFor(root, PIPELINE.replace('params: { min_auc: 0.75 }', 'params: { min_auc: 0.75, best: 0.8 }'));
    const { status, recorder } = await run(root, graph);
    expect(status).toBe('succeeded');
    expect(JSON.parse(readFileSync(join(root, 'seen.json'), 'utf8'))).toEqual(['0.7', '0.8']);
    expect(recorder.ends().select?.outputs).toEqual({ best_auc: '0.8', notes: 'line one\nline two' });
    expect(readFileSync(join(root, 'deployed.txt'), 'utf8')).toBe('line one\nline two\n0.8\n');
  });

  it('skips deploy when the quality gate is false', async () => {
    const root = tempRepo();
    const graph = graphFor(root, PIPELINE.replace('params: { min_auc: 0.75 }', 'params: { min_auc: 0.75, best: 0.6 }'));
    const { status, recorder } = await run(root, graph);
    expect(status).toBe('succeeded');
    expect(recorder.ends().deploy).toMatchObject({ status: 'skipped', reason: 'condition is false' });
    expect(existsSync(join(root, 'deployed.txt'))).toBe(false);
  });

  it('fails a task whose output file is malformed', async () => {
    const root = tempRepo();
    const graph = graphFor(root, 'version: 1\ntasks:\n  a: { run: echo "not a pair" >> "$DAGLINE_OUTPUT" }\n');
    const { recorder } = await run(root, graph);
    expect(recorder.ends().a).toMatchObject({ status: 'failed' });
    expect(recorder.ends().a?.reason).toContain('line 1 of $DAGLINE_OUTPUT');
  });

  it('runs failure() and always() tasks after a failure', async () => {
    const root = tempRepo();
    const graph = graphFor(root, 'version: 1\ntasks:\n  a: { run: exit 1 }\n  alert: { needs: [a], if: failure(), run: touch alerted }\n  ok: { needs: [a], if: success(), run: touch nope }\n');
    const { recorder } = await run(root, graph);
    expect(recorder.statuses()).toEqual({ a: 'failed', alert: 'succeeded', ok: 'upstream_failed' });
    expect(existsSync(join(root, 'alerted'))).toBe(true);
  });
});

describe('hostile values', () => {
  it('reach the task as one literal argument, from params, matrix and upstream outputs', async () => {
    const root = tempRepo();
    writeFileSync(join(root, 'args.sh'), 'for a in "$@"; do printf "%s\\0" "$a"; done >> args.bin\n');
    const nasty = ["x; touch pwned", '$(touch pwned)', '`touch pwned`', `it's "quoted"`, 'two\nlines'];
    const graph = graphFor(
      root,
      `version: 1
params: { p: ${JSON.stringify(nasty[0])} }
tasks:
  up:
    run: printf 'v<<END\\n%s\\nEND\\n' ${"'"}$(touch pwned)${"'"} >> "$DAGLINE_OUTPUT"
  t:
    needs: [up]
    matrix: { v: ${JSON.stringify(nasty.slice(1))} }
    run: sh args.sh \${{ params.p }} \${{ matrix.v }} \${{ needs.up.outputs.v }}
`,
    );
    const { status } = await run(root, graph);
    expect(status).toBe('succeeded');
    expect(existsSync(join(root, 'pwned'))).toBe(false);
    const args = readFileSync(join(root, 'args.bin'), 'utf8').split('\0').slice(0, -1);
    for (const value of nasty.slice(1)) expect(args).toContain(value);
    expect(args.filter((a) => a === nasty[0])).toHaveLength(4);
    expect(args.filter((a) => a === '$(touch pwned)')).toHaveLength(5);
  });
});
