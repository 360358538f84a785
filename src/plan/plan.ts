import type { Graph, Task } from '../compile/graph.js';

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
}

/** What a run of one compiled graph would do, and why. */
export interface Plan {
  pipeline: string;
  file: string;
  ds: string;
  tasks: PlannedTask[];
  layers: string[][];
  /** The longest chain of tasks that must run one after another. */
  criticalPath: string[];
}

/** Without `verdicts` (no cache consulted) every task that can run is shown as running. */
export function planGraph(graph: Graph, verdicts?: ReadonlyMap<string, CacheVerdict>): Plan {
  const layerOf = layers(graph.tasks);
  const decisions = new Map(graph.tasks.map((task) => [task.id, decide(task, verdicts?.get(task.id))]));
  const tasks = graph.tasks.map((task) => ({
    id: task.id,
    layer: layerOf.get(task.id) ?? 0,
    needs: task.needs,
    ...(decisions.get(task.id) as { action: Action; reason: string }),
  }));
  const byLayer: string[][] = [];
  for (const t of tasks) (byLayer[t.layer] ??= []).push(t.id);
  return {
    pipeline: graph.pipeline,
    file: graph.file,
    ds: graph.run.ds,
    tasks,
    layers: byLayer,
    criticalPath: criticalPath(graph.tasks, (t) => (decisions.get(t.id)?.action === 'run' ? 1 : 0)),
  };
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
