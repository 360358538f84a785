import type { PathSegment } from '../parse/document.js';
import { fail, ok, type Result } from '../result.js';
import type { PipelineDocument } from '../validate/pipeline.generated.js';
import type { Instance } from './compile.js';
import type { Task } from './graph.js';
import { sameValue } from './matrix.js';
import { MinHeap } from './min-heap.js';
import { toText } from '../expression/evaluate.js';

export interface NeedsProblem {
  code: 'DAG040' | 'DAG041' | 'DAG075';
  message: string;
  path: PathSegment[];
}

export const neededNames = (needs: string | string[] | undefined): string[] =>
  needs === undefined ? [] : typeof needs === 'string' ? [needs] : needs;

/**
 * Turns task-level `needs` into instance-level edges (same values on shared matrix axes, or every instance
 * when no axis is shared) and returns the tasks in a stable topological order.
 */
export function resolveNeeds(instances: Instance[], spec: PipelineDocument): Result<Task[], NeedsProblem[]> {
  const byName = Map.groupBy(instances, (i) => i.task.name);
  const axes = new Map([...byName].map(([name, list]) => [name, new Set(list.flatMap((i) => i.combo?.idKeys ?? []))]));
  const problems: NeedsProblem[] = [];
  for (const [name, own] of byName) {
    neededNames(spec.tasks[name]?.needs).forEach((needed, index) => {
      const path = ['tasks', name, 'needs', index];
      const candidates = byName.get(needed);
      if (candidates === undefined) {
        problems.push({ code: 'DAG040', message: `\`${name}\` needs \`${needed}\`, which is not a task of this pipeline`, path });
        return;
      }
      const shared = [...(axes.get(name) ?? [])].filter((axis) => axes.get(needed)?.has(axis));
      const lookup = matcher(candidates, shared);
      for (const instance of own) {
        const matching = lookup(instance);
        if (matching.length === 0) {
          const message = `\`${instance.task.id}\` needs \`${needed}\`, but no instance of it has the same ${shared.join(', ')}`;
          problems.push({ code: 'DAG075', message, path });
        }
        instance.task.needs.push(...matching.map((m) => m.task.id));
      }
    });
  }
  if (problems.length > 0) return fail(problems);
  return topologicalOrder(instances.map((i) => i.task));
}

/**
 * Finds the candidates that agree with an instance on every shared axis. Indexed by the shared values so that
 * 10,000 instances needing 10,000 others cost a lookup each, not a scan each.
 */
function matcher(candidates: Instance[], shared: string[]): (instance: Instance) => Instance[] {
  if (shared.length === 0) return () => candidates;
  const key = (i: Instance) => (shared.every((a) => i.combo?.values[a] !== undefined) ? sharedKey(i, shared) : undefined);
  const wildcards = candidates.filter((c) => key(c) === undefined);
  const index = Map.groupBy(
    candidates.filter((c) => key(c) !== undefined),
    (c) => key(c) as string,
  );
  return (instance) => {
    const k = key(instance);
    if (k === undefined) return candidates.filter((c) => shared.every((axis) => agrees(instance, c, axis)));
    return [...(index.get(k) ?? []), ...wildcards];
  };
}

function agrees(a: Instance, b: Instance, axis: string): boolean {
  const x = a.combo?.values[axis];
  const y = b.combo?.values[axis];
  return x === undefined || y === undefined || sameValue(x, y);
}

const sharedKey = (i: Instance, axes: string[]) => JSON.stringify(axes.map((a) => toText(i.combo?.values[a] ?? null)));

/** Kahn's algorithm, always taking the earliest-declared ready task, so the order is deterministic. */
export function topologicalOrder(tasks: Task[]): Result<Task[], NeedsProblem[]> {
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  const waiting = tasks.map((t) => new Set(t.needs).size);
  const dependents = tasks.map((): number[] => []);
  tasks.forEach((t, i) => new Set(t.needs).forEach((id) => dependents[index.get(id) ?? -1]?.push(i)));
  const ready = new MinHeap();
  waiting.forEach((n, i) => n === 0 && ready.push(i));
  const ordered: Task[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    ordered.push(tasks[i] as Task);
    for (const d of dependents[i] ?? []) if (--(waiting[d] as number) === 0) ready.push(d);
  }
  if (ordered.length === tasks.length) return ok(ordered);
  const stuck = tasks.filter((_, i) => (waiting[i] ?? 0) > 0).map((t) => t.id);
  return fail([{ code: 'DAG041', message: `these tasks depend on each other in a cycle: ${stuck.slice(0, 10).join(', ')}`, path: ['tasks'] }]);
}
