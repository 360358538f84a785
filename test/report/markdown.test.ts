import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/plan.js';
import { planMarkdown, runMarkdown } from '../../src/report/markdown.js';
import type { RunRecord, TaskRecord } from '../../src/run/record.js';

const T0 = Date.UTC(2024, 2, 1, 2, 0, 0);
const iso = (ms: number) => new Date(T0 + ms).toISOString();

function ran(status: TaskRecord['status'], from: number, to: number): TaskRecord {
  return { status, attempts: [{ attempt: 1, exitCode: status === 'failed' ? 1 : 0, start: iso(from), end: iso(to), durationMs: to - from }], exitCode: status === 'failed' ? 1 : 0, start: iso(from), end: iso(to), durationMs: to - from, outputs: {} };
}

function record(tasks: Record<string, TaskRecord>): RunRecord {
  return { format: 1, runId: 'r', pipeline: 'p', file: 'p.yml', date: '2024-03-01', ds: '2024-03-01', params: {}, status: 'failed', startedAt: iso(0), endedAt: iso(9000), tasks };
}

/** The body of the run's Mermaid gantt block. */
function gantt(markdown: string): string[] {
  const block = /```mermaid\n(gantt\n[\s\S]*?)```/.exec(markdown)?.[1];
  if (block === undefined) throw new Error(`no gantt block in:\n${markdown}`);
  return block.trimEnd().split('\n');
}

describe('runMarkdown: the Gantt chart', () => {
  it('puts the tasks that ran on their real start and end; cached and skipped ones are left out', () => {
    const markdown = runMarkdown(
      record({
        'train[model=a:b]': ran('succeeded', 1000, 4000),
        prep: ran('succeeded', 0, 1000),
        report: ran('failed', 4000, 4000),
        cached: { status: 'cached', attempts: [], exitCode: null, end: iso(0), durationMs: 0, outputs: {} },
        skipped: { status: 'skipped', attempts: [], exitCode: null, end: iso(0), durationMs: 0, outputs: {} },
      }),
      [],
    );
    expect(gantt(markdown)).toEqual([
      'gantt',
      '  dateFormat x',
      '  axisFormat %H:%M:%S',
      '  todayMarker off',
      `  prep :done, t0, ${T0}, ${T0 + 1000}`,
      `  train[model=a_b] :done, t1, ${T0 + 1000}, ${T0 + 4000}`,
      `  report :crit, t2, ${T0 + 4000}, ${T0 + 4001}`,
    ]);
  });

  it('shows at most 100 bars, the longest, and says so', () => {
    const tasks = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`t${i}`, ran('succeeded', i, 2 * i + 1)]));
    const markdown = runMarkdown(record(tasks), []);
    const bars = gantt(markdown).filter((line) => line.includes(':done'));
    expect(bars).toHaveLength(100);
    expect(bars[0]).toMatch(/^ {2}t50 :/);
    expect(markdown).toContain('The chart shows the 100 longest of the 150 tasks that ran.');
  });

  it('has no chart when nothing ran', () => {
    expect(runMarkdown(record({ c: { status: 'cached', attempts: [], exitCode: null, end: iso(0), durationMs: 0, outputs: {} } }), [])).not.toContain('gantt');
  });
});

describe('planMarkdown: estimates', () => {
  const plan: Plan = {
    pipeline: 'p',
    file: 'p.yml',
    ds: '2024-03-01',
    tasks: [
      { id: 'a', layer: 0, needs: [], action: 'cached', reason: 'unchanged', estimateMs: 0 },
      { id: 'b', layer: 1, needs: ['a'], action: 'run', reason: 'command changed', estimateMs: 90_000 },
      { id: 'c', layer: 1, needs: ['a'], action: 'run', reason: 'no cache entry', estimateMs: null },
    ],
    layers: [['a'], ['b', 'c']],
    criticalPath: ['a', 'b'],
    timing: { concurrency: 2, criticalPathMs: 90_000, wallTimeMs: 90_000, unknown: 1 },
  };

  it('has an estimate column, the critical path time and the expected wall time', () => {
    const markdown = planMarkdown(plan);
    expect(markdown).toContain('| task | plan | why | estimate |');
    expect(markdown).toContain('| `a` | 🔵 cached | unchanged |  |');
    expect(markdown).toContain('| `b` | 🟡 will run | command changed | ~1m30s |');
    expect(markdown).toContain('| `c` | 🟡 will run | no cache entry | ? |');
    expect(markdown).toContain('Critical path: `a` → `b` (~1m30s)');
    expect(markdown).toContain('Expected wall time: ~1m30s at -j 2 (1 task without history counted as 0)');
  });

  it('without any duration on record, no column and says the wall time is unknown', () => {
    const unknown = { ...plan, tasks: plan.tasks.map((t) => ({ ...t, estimateMs: t.action === 'run' ? null : 0 })) };
    const markdown = planMarkdown(unknown);
    expect(markdown).toContain('| task | plan | why |\n');
    expect(markdown).toContain('Expected wall time: unknown');
  });
});

describe('runMarkdown: alerts', () => {
  it('lists the run’s alerts, escaped for a table-free Markdown line', () => {
    const markdown = runMarkdown({ ...record({ train: ran('succeeded', 0, 9000) }), alerts: [{ task: 'train', kind: 'sla', message: 'took 9s, over its SLA of 5s | <b>' }] }, []);
    expect(markdown).toContain('**Alerts**\n\n- ⚠️ `train` (sla): took 9s, over its SLA of 5s \\| &lt;b>');
  });

  it('has no alerts block without alerts', () => {
    expect(runMarkdown(record({ train: ran('succeeded', 0, 10) }), [])).not.toContain('**Alerts**');
  });
});
