import type { Graph } from '../compile/graph.js';
import { fail, ok, type Result } from '../result.js';
import { explainDifference, fingerprintTask, type Fingerprint, type FingerprintError } from './fingerprint.js';

/** How one task of a changed pipeline compares with the same pipeline before the change (its fingerprint). */
export interface BaseChange {
  change: 'changed' | 'unchanged' | 'added';
  /** What differs: "command changed", "input data/raw.csv changed", "upstream features changed", … */
  reasons: string[];
}

export interface BaseComparison {
  /** The base branch's name, or its commit. */
  base: string;
  tasks: ReadonlyMap<string, BaseChange>;
  /** Tasks of the base that the change removes. */
  removed: string[];
}

/**
 * Compares every task's fingerprint in `head` with the same task's in `base` (the pipeline compiled from the
 * base branch's files, same date and params): which tasks a change invalidates and which keep their cache
 * entries. Hashes files and reads nothing else; runs nothing.
 */
export async function compareWithBase(head: Graph, base: Graph | undefined, baseName: string): Promise<Result<BaseComparison, FingerprintError>> {
  const after = await fingerprintAll(head);
  if (!after.ok) return after;
  const before = base === undefined ? ok(new Map<string, Fingerprint>()) : await fingerprintAll(base);
  if (!before.ok) return before;
  const tasks = new Map<string, BaseChange>();
  for (const [id, now] of after.value) {
    const was = before.value.get(id);
    if (was === undefined) tasks.set(id, { change: 'added', reasons: [] });
    else if (was.digest === now.digest) tasks.set(id, { change: 'unchanged', reasons: [] });
    else tasks.set(id, { change: 'changed', reasons: explainDifference(was.parts, now.parts) });
  }
  const removed = [...before.value.keys()].filter((id) => !after.value.has(id));
  return ok({ base: baseName, tasks, removed });
}

/** Every task's own fingerprint, in graph (topological) order so that each task's needs come first. */
async function fingerprintAll(graph: Graph): Promise<Result<Map<string, Fingerprint>, FingerprintError>> {
  const fingerprints = new Map<string, Fingerprint>();
  for (const task of graph.tasks) {
    const fingerprint = await fingerprintTask(task, graph, fingerprints);
    if (!fingerprint.ok) return fail(fingerprint.error);
    fingerprints.set(task.id, fingerprint.value);
  }
  return ok(fingerprints);
}
