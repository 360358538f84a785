import type { Task } from '../compile/graph.js';
import { fail, ok, type Result } from '../result.js';

/** GitHub runs at most 256 jobs per matrix. */
export const MAX_SHARDS = 256;

/** What the split reads of a task; tasks come in topological order, as in a compiled `Graph`. */
export type ShardableTask = Pick<Task, 'id' | 'needs' | 'cache'>;

/** The tasks that will run, split into shards that can run as parallel jobs, and what is left for the join job. */
export interface Split {
  /** Shard K (1-based) is `shards[K - 1]`: its task ids, sorted; never empty. */
  shards: string[][];
  /** Tasks that will run but need the work of more than one shard, or cannot be cached: the join job runs them. */
  join: string[];
  /** The shard (1-based) of every task that is in one. */
  shardOf: ReadonlyMap<string, number>;
}

/** `K/N`: shard K of N, as `plan --matrix` names it. */
export interface ShardId {
  index: number;
  count: number;
}

/** One job of the matrix: `{"shard":"1/3","tasks":12}`. */
export interface MatrixEntry {
  shard: string;
  tasks: number;
}

/** The tasks a run would not restore from the cache (will run, or be skipped): predictions from `TaskCache.predictAll()`. */
export function uncachedTasks(predictions: ReadonlyMap<string, { cached: boolean }>): Set<string> {
  return new Set([...predictions].filter(([, p]) => !p.cached).map(([id]) => id));
}

/**
 * Splits the tasks that will run into at most `maxShards` shards: a task in a shard needs no task that will run
 * in another shard or in the join, so shards run in parallel and restore their other needs from the cache. The
 * units are a task that will run with no will-run need (a root) plus everything that descends from that root
 * alone; a task that descends from several roots (a fan-in such as `report` over every `train`) would glue the
 * whole fan-out into one unit, so it goes to the join job instead (or to the shard holding all its needs).
 * Units are never split and are packed longest first. Same input, same split.
 */
export function splitIntoShards(tasks: readonly ShardableTask[], willRun: ReadonlySet<string>, maxShards: number): Split {
  if (!Number.isInteger(maxShards) || maxShards < 1 || maxShards > MAX_SHARDS) throw new Error(`shard count ${maxShards} out of range`);
  const { units, join } = findUnits(tasks, willRun);
  const shards = pack(units, maxShards);
  const shardOf = new Map(shards.flatMap((ids, i) => ids.map((id) => [id, i + 1] as const)));
  for (const task of tasks) {
    if (!join.has(task.id) || !task.cache) continue;
    const owners = new Set(task.needs.filter((id) => willRun.has(id)).map((id) => shardOf.get(id)));
    const [owner] = owners;
    if (owners.size !== 1 || owner === undefined) continue;
    shardOf.set(task.id, owner);
    shards[owner - 1]?.push(task.id);
    join.delete(task.id);
  }
  return { shards: shards.map((ids) => ids.sort(byId)), join: [...join].sort(byId), shardOf };
}

/** A root that will run and the will-run tasks that descend from it alone; its weight decides the packing. */
interface Unit {
  ids: string[];
  /**
   * Tasks plus the longest chain, in tasks. Durations are unknown, so each task counts one. A shard's runner
   * runs its tasks `--concurrency` at a time, so its time lies between the longest chain and the task count
   * (Brent: at most tasks / cores + chain); the count alone would rate a chain of ten like ten independent
   * tasks, which a two-core runner finishes in half the time. The sum stays additive, as packing needs.
   */
  weight: number;
}

function findUnits(tasks: readonly ShardableTask[], willRun: ReadonlySet<string>): { units: Unit[]; join: Set<string> } {
  const unitOf = new Map<string, number>();
  const depth = new Map<string, number>();
  const members: string[][] = [];
  const join = new Set<string>();
  for (const task of tasks) {
    if (!willRun.has(task.id)) continue;
    const needs = task.needs.filter((id) => willRun.has(id));
    const units = new Set(needs.map((id) => unitOf.get(id) ?? (join.has(id) ? -1 : outOfOrder(task.id, id))));
    const [unit = members.length] = units;
    // A `cache: false` task cannot hand its work on through the cache: the join would run it a second time.
    if (!task.cache || units.size > 1 || unit < 0) {
      join.add(task.id);
      continue;
    }
    if (unit === members.length) members.push([]);
    members[unit]?.push(task.id);
    unitOf.set(task.id, unit);
    depth.set(task.id, 1 + Math.max(0, ...needs.map((id) => depth.get(id) ?? 0)));
  }
  const units = members.map((ids) => ({ ids, weight: ids.length + Math.max(...ids.map((id) => depth.get(id) ?? 0)) }));
  return { units, join };
}

function outOfOrder(task: string, need: string): never {
  throw new Error(`tasks are not in topological order: ${task} comes before its need ${need}`);
}

/** Longest processing time first: the heaviest unit goes to the least loaded shard (the first of equals). */
function pack(units: readonly Unit[], maxShards: number): string[][] {
  const count = Math.min(maxShards, units.length);
  const shards = Array.from({ length: count }, () => ({ ids: [] as string[], load: 0 }));
  const ordered = units.map((u) => ({ ...u, first: [...u.ids].sort(byId)[0] ?? '' }));
  ordered.sort((a, b) => b.weight - a.weight || byId(a.first, b.first));
  for (const unit of ordered) {
    const lightest = shards.reduce((best, shard) => (shard.load < best.load ? shard : best));
    lightest.ids.push(...unit.ids);
    lightest.load += unit.weight;
  }
  return shards.map((s) => s.ids);
}

/** Code-point order, so the split does not depend on the machine's locale. */
const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `{"include":[{"shard":"1/3","tasks":12},…]}` for `strategy.matrix`; `{"include":[]}` when no task needs a shard. */
export function shardMatrix(split: Split): { include: MatrixEntry[] } {
  return { include: split.shards.map((ids, i) => ({ shard: `${i + 1}/${split.shards.length}`, tasks: ids.length })) };
}

/** `2/3` → shard 2 of 3. */
export function parseShard(text: string): Result<ShardId, string> {
  const match = /^(\d{1,3})\/(\d{1,3})$/.exec(text);
  const [index, count] = [Number(match?.[1]), Number(match?.[2])];
  if (match === null || index < 1 || count > MAX_SHARDS || index > count) {
    return fail(`--shard takes K/N with 1 ≤ K ≤ N ≤ ${MAX_SHARDS}, as \`plan --matrix\` prints it, not \`${text}\``);
  }
  return ok({ index, count });
}

/** What a run of shard `index` starts: its tasks and everything upstream of them, which it restores from the cache. */
export function shardSelection(tasks: readonly ShardableTask[], split: Split, index: number): Set<string> {
  const needsOf = new Map(tasks.map((t) => [t.id, t.needs]));
  const selected = new Set<string>();
  const pending = [...(split.shards[index - 1] ?? [])];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (selected.has(id)) continue;
    selected.add(id);
    pending.push(...(needsOf.get(id) ?? []));
  }
  return selected;
}
