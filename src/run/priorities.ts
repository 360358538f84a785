import type { Task } from '../compile/graph.js';

/**
 * How many tasks, at most, still have to run one after another once a task is done, counting itself. Starting
 * the task with the longest remaining chain first keeps the critical path from starving.
 */
export function remainingPathLengths(tasks: readonly Task[]): Map<string, number> {
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
    const id = (tasks[i] as Task).id;
    const after = (dependents.get(id) ?? []).reduce((m, d) => Math.max(m, length.get(d) ?? 0), 0);
    length.set(id, after + 1);
  }
  return length;
}
