import type { Task } from '../compile/graph.js';
import { MinHeap } from '../compile/min-heap.js';
import { startOrder } from '../run/priorities.js';

type Node = Pick<Task, 'id' | 'needs'>;

/**
 * How long a run takes when every task costs `costOf(id)` and at most `concurrency` run at once, starting
 * ready tasks in the executor's order (src/run/priorities.ts): a list-scheduling simulation of the run.
 * Tasks that cost 0 (cached, skipped) finish the moment they start. `tasks` in topological order.
 */
export function simulateWallTime(tasks: readonly Node[], costOf: (id: string) => number, concurrency: number): number {
  const order = startOrder(tasks);
  const rank = new Map(order.map((t, i) => [t.id, i]));
  const waiting = new Map(tasks.map((t) => [t.id, t.needs.length]));
  const dependents = Map.groupBy(tasks.flatMap((t) => t.needs.map((need) => ({ need, id: t.id }))), (e) => e.need);
  const ready = new MinHeap();
  for (const t of tasks) if (t.needs.length === 0) ready.push(rank.get(t.id) ?? 0);
  const running: { id: string; end: number }[] = [];
  let now = 0;
  for (;;) {
    while (running.length < concurrency && ready.size > 0) {
      const task = order[ready.pop() as number] as Node;
      running.push({ id: task.id, end: now + costOf(task.id) });
    }
    if (running.length === 0) return now;
    now = running.reduce((min, r) => Math.min(min, r.end), Infinity);
    // Everything that ends now, before any slot is filled again: as the executor sees simultaneous ends.
    for (const done of running.filter((r) => r.end === now)) {
      for (const { id } of dependents.get(done.id) ?? []) {
        const left = (waiting.get(id) ?? 1) - 1;
        waiting.set(id, left);
        if (left === 0) ready.push(rank.get(id) ?? 0);
      }
    }
    running.splice(0, running.length, ...running.filter((r) => r.end !== now));
  }
}
