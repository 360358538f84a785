import { describe, expect, it } from 'vitest';
import { alertRules } from '../../src/compile/alerts.js';
import type { Graph } from '../../src/compile/graph.js';
import type { Alerts } from '../../src/validate/pipeline.generated.js';
import { evaluateAlerts, lastOutputs, type Past } from '../../src/alerts/evaluate.js';
import type { HistoryRow } from '../../src/history/row.js';
import type { RunRecord, TaskRecord } from '../../src/run/record.js';

function graphWith(alerts: Alerts, pipelineAlerts?: Alerts): Graph {
  return { pipeline: 'p', tasks: [{ id: 'extract', alerts: alertRules(pipelineAlerts, alerts) }] } as unknown as Graph;
}

function recordWith(task: Partial<TaskRecord>): RunRecord {
  const full: TaskRecord = { status: 'succeeded', attempts: [], exitCode: 0, end: '2024-03-10T00:00:00Z', durationMs: 60_000, outputs: {}, ...task };
  return { runId: 'now', pipeline: 'p', status: full.status === 'failed' ? 'failed' : 'succeeded', startedAt: '', ds: '2024-03-10', tasks: { extract: full } } as unknown as RunRecord;
}

const row = (i: number, status: HistoryRow['status'], durationMs = 60_000): HistoryRow => ({
  run: `r${i}`, ds: `2024-03-0${i}`, id: 'extract', name: 'extract', status, cached: false, durationMs, attempts: 1, exitCode: status === 'failed' ? 1 : 0, end: `2024-03-0${i}T00:00:00Z`,
});

const past = (rows: HistoryRow[], outputs: Record<string, string> = {}): Past => ({ rows, outputs: new Map([['extract', outputs]]) });
const normal = past([row(1, 'succeeded'), row(2, 'succeeded'), row(3, 'succeeded', 70_000), row(4, 'succeeded', 50_000)], { rows: '1000' });
const kinds = (graph: Graph, record: RunRecord, p: Past) => evaluateAlerts(graph, record, p).map((a) => a.kind);

describe('evaluateAlerts', () => {
  it('slower_than: fires past the factor of the median of successful runs (default 2×), only with 3 past runs', () => {
    expect(kinds(graphWith({}), recordWith({ durationMs: 121_000 }), normal)).toEqual(['slower_than']);
    expect(kinds(graphWith({}), recordWith({ durationMs: 110_000 }), normal)).toEqual([]);
    expect(kinds(graphWith({ slower_than: 1.5 }), recordWith({ durationMs: 95_000 }), normal)).toEqual(['slower_than']);
    expect(kinds(graphWith({}), recordWith({ durationMs: 600_000 }), past([row(1, 'succeeded'), row(2, 'succeeded'), row(3, 'failed', 1)]))).toEqual([]);
    const [alert] = evaluateAlerts(graphWith({}), recordWith({ durationMs: 180_000 }), normal);
    expect(alert?.message).toContain('3.0× its median of 1m');
  });

  it('sla: fires over the absolute limit, from the pipeline-level default too', () => {
    expect(kinds(graphWith({ sla: '1m' }), recordWith({ durationMs: 61_000 }), normal)).toEqual(['sla']);
    expect(kinds(graphWith({}, { sla: '1m' }), recordWith({ durationMs: 61_000 }), normal)).toEqual(['sla']);
    expect(kinds(graphWith({ sla: '10m' }, { sla: '1m' }), recordWith({ durationMs: 61_000 }), normal)).toEqual([]);
  });

  it('failure_rate: fires when failures among the last N runs, this one included, exceed max', () => {
    const flaky = past([row(1, 'succeeded'), row(2, 'failed'), row(3, 'failed'), row(4, 'succeeded')]);
    expect(kinds(graphWith({ failure_rate: { max: 0.5, runs: 4 } }), recordWith({ status: 'failed' }), flaky)).toEqual(['failure_rate']);
    expect(kinds(graphWith({ failure_rate: { max: 0.5, runs: 4 } }), recordWith({}), flaky)).toEqual([]);
    expect(kinds(graphWith({ failure_rate: { max: 0.5, runs: 2 } }), recordWith({ status: 'failed' }), normal)).toEqual([]);
  });

  it('outputs: min, max and drop against the last run', () => {
    const rules: Alerts = { outputs: { rows: { min: 100, max: 5000, drop: 0.5 } } };
    expect(kinds(graphWith(rules), recordWith({ outputs: { rows: '50' } }), normal)).toEqual(['output']);
    expect(kinds(graphWith(rules), recordWith({ outputs: { rows: '6000' } }), normal)).toEqual(['output']);
    const [drop] = evaluateAlerts(graphWith(rules), recordWith({ outputs: { rows: '400' } }), normal);
    expect(drop?.message).toBe('output rows=400 fell by 60% against the last run (1000), more than its drop of 0.5');
    expect(kinds(graphWith(rules), recordWith({ outputs: { rows: '900' } }), normal)).toEqual([]);
    expect(kinds(graphWith(rules), recordWith({ outputs: { rows: 'n/a' } }), normal)).toEqual([]);
  });

  it('stays silent on a normal run, and says nothing of a task the run did not end', () => {
    const all: Alerts = { sla: '10m', failure_rate: { max: 0.5 }, outputs: { rows: { min: 100, drop: 0.5 } } };
    expect(evaluateAlerts(graphWith(all), recordWith({ durationMs: 65_000, outputs: { rows: '980' } }), normal)).toEqual([]);
    expect(evaluateAlerts(graphWith(all), recordWith({ end: undefined, durationMs: 10 ** 9 }), normal)).toEqual([]);
  });

  it('lastOutputs: the newest earlier value of each key', () => {
    const rec = (outputs: Record<string, string>) => ({ tasks: { extract: { outputs } } }) as unknown as RunRecord;
    expect(lastOutputs([rec({ rows: '2' }), rec({ rows: '1', auc: '0.8' })]).get('extract')).toEqual({ rows: '2', auc: '0.8' });
  });
});
