import type { Graph, Task } from '../compile/graph.js';
import { simulateWallTime } from './timing.js';

/** `cached`: its outputs will be restored from the cache and it will not run. */
export type Action = 'run' | 'cached' | 'skip';

/** What the cache says about a task (src/cache/task-cache.ts computes it; planning itself reads no files). */
export interface CacheVerdict {
  cached: boolean;
  reason: string;
}

export interface PlannedTask {
  id: string;
  /** 0 for tasks that need nothing; otherwise one more than the deepest task it needs. */
  layer: number;
  action: Action;
  reason: string;
  needs: string[];
  /**
   * Planned with history: the time this task is expected to take in this run, in ms (0 when it will not run);
   * null when it will run but has no successful run on record to go by.
   */
  estimateMs?: number | null;
}

/** What a run of one compiled graph would do, and why. */
export interface Plan {
  pipeline: string;
  file: string;
  ds: string;
  tasks: PlannedTask[];
  layers: string[][];
  /**
   * The chain of tasks that must run one after another and takes longest: by expected time when planned with
   * history, among equal times (and without history) the longest by the number of tasks that will run.
   */
  criticalPath: string[];
  /** Planned with history: what the run is expected to take. */
  timing?: PlanTiming;
}

/** What `plan` knows of durations: per task id, the median of its recent successful runs (src/history). */
export interface Durations {
  medians: ReadonlyMap<string, number>;
  /** Tasks at once in the run being planned. */
  concurrency: number;
}

export interface PlanTiming {
  concurrency: number;
  /** The expected time of the critical path. */
  criticalPathMs: number;
  /** The expected time of the whole run at `concurrency`, the executor's order simulated; tasks without history count 0. */
  wallTimeMs: number;
  /** Tasks that will run and have no duration on record. */
  unknown: number;
}

/**
 * Without `verdicts` (no cache consulted) every task that can run is shown as running; with `durations` each
 * task has an estimate and the plan a timing.
 */
export function planGraph(graph: Graph, verdicts?: ReadonlyMap<string, CacheVerdict>, durations?: Durations): Plan {
  const layerOf = layers(graph.tasks);
  const decisions = new Map(graph.tasks.map((task) => [task.id, decide(task, verdicts?.get(task.id))]));
  const runs = (id: string): boolean => decisions.get(id)?.action === 'run';
  const estimate = (id: string): number | null => (runs(id) ? (durations?.medians.get(id) ?? null) : 0);
  const tasks = graph.tasks.map((task) => ({
    id: task.id,
    layer: layerOf.get(task.id) ?? 0,
    needs: task.needs,
    ...(decisions.get(task.id) as { action: Action; reason: string }),
    ...(durations === undefined ? {} : { estimateMs: estimate(task.id) }),
  }));
  const byLayer: string[][] = [];
  for (const t of tasks) (byLayer[t.layer] ??= []).push(t.id);
  const cost = (id: string): number => estimate(id) ?? 0;
  // Time first; the 1 per task that runs breaks ties by length, and alone (no history) is the old count of tasks.
  const path = criticalPath(graph.tasks, (t) => (runs(t.id) ? cost(t.id) * 1000 + 1 : 0));
  const plan: Plan = { pipeline: graph.pipeline, file: graph.file, ds: graph.run.ds, tasks, layers: byLayer, criticalPath: path };
  if (durations === undefined) return plan;
  const timing: PlanTiming = {
    concurrency: durations.concurrency,
    criticalPathMs: path.reduce((sum, id) => sum + cost(id), 0),
    wallTimeMs: simulateWallTime(graph.tasks, cost, durations.concurrency),
    unknown: tasks.filter((t) => t.estimateMs === null).length,
  };
  return { ...plan, timing };
}

function decide(task: Task, verdict: CacheVerdict | undefined): { action: Action; reason: string } {
  if (task.if === 'false') return { action: 'skip', reason: 'condition is false' };
  if (verdict !== undefined) return { action: verdict.cached ? 'cached' : 'run', reason: verdict.reason };
  if (!task.cache) return { action: 'run', reason: 'cache: false' };
  return { action: 'run', reason: 'no cache entry' };
}

/** Tasks arrive in topological order, so one pass settles every layer. */
function layers(tasks: readonly Task[]): Map<string, number> {
  const layer = new Map<string, number>();
  for (const task of tasks) layer.set(task.id, Math.max(-1, ...task.needs.map((id) => layer.get(id) ?? 0)) + 1);
  return layer;
}

/** The heaviest path through the DAG, by the given weight of each task. */
export function criticalPath(tasks: readonly Task[], weight: (task: Task) => number): string[] {
  const best = new Map<string, { total: number; previous: string | undefined }>();
  for (const task of tasks) {
    let previous: string | undefined;
    let total = 0;
    for (const id of task.needs) {
      const candidate = best.get(id)?.total ?? 0;
      if (previous === undefined || candidate > total) [previous, total] = [id, candidate];
    }
    best.set(task.id, { total: total + weight(task), previous });
  }
  let end: string | undefined;
  for (const [id, { total }] of best) if (end === undefined || total > (best.get(end)?.total ?? 0)) end = id;
  const path: string[] = [];
  for (let id = end; id !== undefined; id = best.get(id)?.previous) path.push(id);
  return path.reverse();
}
