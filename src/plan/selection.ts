import type { Graph } from '../compile/graph.js';
import { fail, ok, type Result } from '../result.js';

/** The task ids a pattern names: a task name (every instance) or one exact id. */
function matching(graph: Graph, pattern: string): string[] {
  return graph.tasks.filter((t) => t.id === pattern || t.name === pattern).map((t) => t.id);
}

/**
 * Which tasks a run starts: `--only` names exactly those; `--from` names those and everything downstream.
 * Undefined when neither is given (everything runs).
 */
export function selectTasks(graph: Graph, only: readonly string[], from: readonly string[]): Result<Set<string> | undefined, string> {
  if (only.length === 0 && from.length === 0) return ok(undefined);
  const selected = new Set<string>();
  for (const pattern of [...only, ...from]) {
    const ids = matching(graph, pattern);
    if (ids.length === 0) return fail(`no task \`${pattern}\` in pipeline \`${graph.pipeline}\``);
    ids.forEach((id) => selected.add(id));
  }
  if (from.length > 0) {
    const starts = new Set(from.flatMap((p) => matching(graph, p)));
    const downstream = new Set(starts);
    for (const task of graph.tasks) if (task.needs.some((id) => downstream.has(id))) downstream.add(task.id);
    downstream.forEach((id) => selected.add(id));
  }
  return ok(selected);
}
