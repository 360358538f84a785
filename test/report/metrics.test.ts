import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/compile/graph.js';
import { escapeLabel, numeric, runMetrics } from '../../src/report/metrics.js';
import type { RunRecord } from '../../src/run/record.js';

describe('runMetrics', () => {
  it('escapes label values so a parser reads them back as they were', () => {
    const id = 'train[path=C:\\data "v2"\nnext]';
    const graph = { pipeline: 'p', tasks: [{ id, metrics: ['auc'] }] } as unknown as Graph;
    const record = {
      status: 'succeeded', startedAt: '2024-03-01T00:00:00Z', endedAt: '2024-03-01T00:01:00Z',
      tasks: { [id]: { status: 'succeeded', attempts: [{}], end: '2024-03-01T00:01:00Z', durationMs: 1500, outputs: { auc: '0.91' } } },
    } as unknown as RunRecord;
    const families = parsePrometheusTextFormat(runMetrics(graph, record).text);
    expect(families.find((f) => f.name === 'dagline_output')?.metrics).toEqual([{ value: '0.91', labels: { pipeline: 'p', task: id, key: 'auc' } }]);
    expect(families.find((f) => f.name === 'dagline_task_duration_seconds')?.metrics[0]?.value).toBe('1.5');
    expect(families.find((f) => f.name === 'dagline_run_duration_seconds')?.metrics[0]?.value).toBe('60');
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  it('numeric: decimals and exponents, nothing else', () => {
    expect(['12', ' -3.5 ', '1e3', '.5'].map(numeric)).toEqual([12, -3.5, 1000, 0.5]);
    expect(['', 'NaN', '0x10', '12 rows'].map(numeric)).toEqual([undefined, undefined, undefined, undefined]);
  });
});
