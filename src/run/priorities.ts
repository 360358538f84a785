import type { Task } from '../compile/graph.js';

type Node = Pick<Task, 'id' | 'needs'>;

/**
 * How many tasks, at most, still have to run one after another once a task is done, counting itself. Starting
 * the task with the longest remaining chain first keeps the critical path from starving.
 */
export function remainingPathLengths(tasks: readonly Node[]): Map<string, number> {
  const dependents = new Map<string, string[]>();
  for (const task of tasks) {
    for (const need of task.needs) {
      const list = dependents.get(need);
      if (list) list.push(task.id);
      else dependents.set(need, [task.id]);
    }
  }
  const length = new Map<string, number>();
  for (let i = tasks.length - 1; i >= 0; i--) {
    const id = (tasks[i] as Node).id;
    const after = (dependents.get(id) ?? []).reduce((m, d) => Math.max(m, length.get(d) ?? 0), 0);
    length.set(id, after + 1);
  }
  return length;
}

/** The order in which ready tasks start: the longest remaining chain first, then graph order. */
export function startOrder<T extends Node>(tasks: readonly T[]): T[] {
  const lengths = remainingPathLengths(tasks);
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  return [...tasks].sort((a, b) => (lengths.get(b.id) ?? 0) - (lengths.get(a.id) ?? 0) || (index.get(a.id) ?? 0) - (index.get(b.id) ?? 0));
}
