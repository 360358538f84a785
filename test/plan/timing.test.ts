import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planGraph } from '../../src/plan/plan.js';
import { simulateWallTime } from '../../src/plan/timing.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';
import { compiled } from '../helpers/pipeline.js';

const node = (id: string, needs: string[] = []) => ({ id, needs });

/** a → b, c → d, with b 20 s and c 30 s. */
const diamond = [node('a'), node('b', ['a']), node('c', ['a']), node('d', ['b', 'c'])];
const seconds: Record<string, number> = { a: 10_000, b: 20_000, c: 30_000, d: 5000 };
const cost = (id: string) => seconds[id] ?? 0;

describe('simulateWallTime', () => {
  it('a diamond: the sum at -j1, the longest branch at -j2', () => {
    expect(simulateWallTime(diamond, cost, 1)).toBe(65_000);
    expect(simulateWallTime(diamond, cost, 2)).toBe(45_000);
    expect(simulateWallTime(diamond, cost, 8)).toBe(45_000);
  });

  it('starts the longest remaining chain first, as the executor does', () => {
    // In graph order p and q would start first and r → s would take 30 s at -j2; r first gives 20 s.
    const tasks = [node('p'), node('q'), node('r'), node('s', ['r'])];
    expect(simulateWallTime(tasks, () => 10_000, 2)).toBe(20_000);
    const started: string[] = [];
    simulateWallTime(tasks, (id) => (started.push(id), 10_000), 1);
    expect(started).toEqual(['r', 'p', 'q', 's']); // then equal chains go in graph order
  });

  it('cached and skipped tasks cost nothing and hold no slot', () => {
    expect(simulateWallTime(diamond, (id) => (id === 'c' ? 0 : cost(id)), 1)).toBe(35_000);
  });

  it('lies between the critical path and the sum of all costs', () => {
    const dags = fc.array(fc.record({ needs: fc.array(fc.nat(), { maxLength: 3 }), cost: fc.nat(100) }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(dags, fc.integer({ min: 1, max: 6 }), (specs, j) => {
        const tasks = specs.map((s, i) => node(`t${i}`, i === 0 ? [] : [...new Set(s.needs.map((n) => `t${n % i}`))]));
        const costOf = (id: string) => specs[Number(id.slice(1))]?.cost ?? 0;
        const finish = new Map<string, number>();
        for (const t of tasks) finish.set(t.id, Math.max(0, ...t.needs.map((n) => finish.get(n) ?? 0)) + costOf(t.id));
        const wall = simulateWallTime(tasks, costOf, j);
        expect(wall).toBeGreaterThanOrEqual(Math.max(...finish.values()));
        expect(wall).toBeLessThanOrEqual(specs.reduce((sum, s) => sum + s.cost, 0));
        if (j === 1) expect(wall).toBe(specs.reduce((sum, s) => sum + s.cost, 0));
      }),
    );
  });
});

describe('planGraph with durations', () => {
  const graph = compiled(readFileSync(join(REPO, 'test/fixtures/history/diamond.yml'), 'utf8'));
  const medians = new Map(Object.entries(seconds));

  it('estimates each task, the critical path by time and the wall time at the concurrency', () => {
    const plan = planGraph(graph, undefined, { medians, concurrency: 2 });
    expect(plan.tasks.map((t) => t.estimateMs)).toEqual([10_000, 20_000, 30_000, 5000, null]);
    expect(plan.criticalPath).toEqual(['a', 'c', 'd']);
    expect(plan.timing).toEqual({ concurrency: 2, criticalPathMs: 45_000, wallTimeMs: 45_000, unknown: 1 });
    expect(planGraph(graph, undefined, { medians, concurrency: 1 }).timing?.wallTimeMs).toBe(65_000);
  });

  it('a cached task costs 0, whatever its history', () => {
    const verdicts = new Map([['c', { cached: true, reason: 'unchanged' }]]);
    const plan = planGraph(graph, verdicts, { medians, concurrency: 1 });
    expect(plan.tasks.find((t) => t.id === 'c')?.estimateMs).toBe(0);
    expect(plan.criticalPath).toEqual(['a', 'b', 'd']);
    expect(plan.timing).toMatchObject({ criticalPathMs: 35_000, wallTimeMs: 35_000 });
  });

  it('without history the critical path is the longest by tasks, as before', () => {
    expect(planGraph(graph, undefined, { medians: new Map(), concurrency: 2 }).criticalPath).toEqual(planGraph(graph).criticalPath);
    expect(planGraph(graph).timing).toBeUndefined();
  });
});
