import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SHARDS, parseShard, shardMatrix, shardSelection, splitIntoShards, uncachedTasks, type ShardableTask, type Split } from '../../src/plan/shard.js';

const task = (id: string, needs: string[] = [], cache = true): ShardableTask => ({ id, needs, cache });
const all = (tasks: readonly ShardableTask[]): Set<string> => new Set(tasks.map((t) => t.id));

/** `prepare` (cached) → train[1..6] → report: the fan-out of test/cli/shard.test.ts. */
const trains = ['1', '2', '3', '4', '5', '6'].map((m) => task(`train[model=${m}]`, ['prepare']));
const fanOut = [task('prepare'), ...trains, task('report', trains.map((t) => t.id))];
const fanOutRuns = new Set([...trains.map((t) => t.id), 'report']);

/**
 * Random DAGs in topological order (a task needs only earlier ones) with a random set of cached tasks; what will
 * run is what the cache does not hold plus everything downstream of it, as `TaskCache.predictAll()` says.
 */
const dags = fc
  .array(fc.record({ needs: fc.array(fc.nat(), { maxLength: 3 }), cached: fc.boolean(), cache: fc.nat(9) }), { minLength: 1, maxLength: 40 })
  .map((specs) => {
    const tasks = specs.map((s, i) => task(`t${String(i).padStart(2, '0')}`, i === 0 ? [] : [...new Set(s.needs.map((n) => `t${String(n % i).padStart(2, '0')}`))], s.cache > 0));
    const willRun = new Set<string>();
    tasks.forEach((t, i) => {
      if (!specs[i]?.cached || !t.cache || t.needs.some((n) => willRun.has(n))) willRun.add(t.id);
    });
    return { tasks, willRun };
  });
const dagsAndCounts = fc.tuple(dags, fc.integer({ min: 1, max: 8 }));

/** Weakly connected components of the will-run tasks outside the join, computed the plain way. */
function components(tasks: readonly ShardableTask[], members: ReadonlySet<string>): string[][] {
  const parent = new Map([...members].map((id) => [id, id]));
  const find = (id: string): string => {
    while (parent.get(id) !== id) id = parent.get(id) ?? id;
    return id;
  };
  for (const t of tasks) for (const n of t.needs) if (members.has(t.id) && members.has(n)) parent.set(find(t.id), find(n));
  const groups = new Map<string, string[]>();
  for (const id of members) groups.set(find(id), [...(groups.get(find(id)) ?? []), id]);
  return [...groups.values()];
}

const shardedIds = (split: Split): string[] => split.shards.flat();

describe('splitIntoShards', () => {
  it('puts the independent trains of a fan-out in N shards, longest first, and leaves the fan-in to the join', () => {
    const split = splitIntoShards(fanOut, fanOutRuns, 3);
    expect(split.shards).toEqual([
      ['train[model=1]', 'train[model=4]'],
      ['train[model=2]', 'train[model=5]'],
      ['train[model=3]', 'train[model=6]'],
    ]);
    expect(split.join).toEqual(['report']);
    expect(split.shardOf.get('train[model=5]')).toBe(2);
    expect(split.shardOf.has('report')).toBe(false);
    expect(split.shardOf.has('prepare')).toBe(false);
    expect(shardMatrix(split)).toEqual({ include: [{ shard: '1/3', tasks: 2 }, { shard: '2/3', tasks: 2 }, { shard: '3/3', tasks: 2 }] });
  });

  it('gives a fan-in to the shard that holds everything it needs', () => {
    const split = splitIntoShards(fanOut, fanOutRuns, 1);
    expect(split.shards).toEqual([[...trains.map((t) => t.id), 'report'].sort()]);
    expect(split.join).toEqual([]);
  });

  it('makes fewer shards when there are fewer units than asked for, and an empty matrix when nothing will run', () => {
    expect(splitIntoShards(fanOut, new Set(['train[model=2]', 'train[model=5]']), 3).shards).toEqual([['train[model=2]'], ['train[model=5]']]);
    const none = splitIntoShards(fanOut, new Set(), 3);
    expect(none).toMatchObject({ shards: [], join: [] });
    expect(shardMatrix(none)).toEqual({ include: [] });
  });

  it('keeps a unit larger than the average whole, alone in the first shard, and spreads the rest evenly', () => {
    const chain = Array.from({ length: 10 }, (_, i) => task(`chain${i}`, i === 0 ? [] : [`chain${i - 1}`]));
    const singles = Array.from({ length: 10 }, (_, i) => task(`single${i}`));
    const tasks = [...chain, ...singles];
    const split = splitIntoShards(tasks, all(tasks), 3);
    expect(split.shards[0]).toEqual(chain.map((t) => t.id).sort());
    // The chain weighs 10 tasks + 10 long = 20; a single 1 + 1 = 2, so ten singles balance it in the other two.
    expect(split.shards.slice(1).map((s) => s.length)).toEqual([5, 5]);
  });

  it('weighs a chain above as many independent tasks: a runner runs those side by side', () => {
    const chain = Array.from({ length: 4 }, (_, i) => task(`c${i}`, i === 0 ? [] : [`c${i - 1}`]));
    const star = [task('s0'), ...Array.from({ length: 3 }, (_, i) => task(`s${i + 1}`, ['s0']))];
    const split = splitIntoShards([...star, ...chain], all([...star, ...chain]), 2);
    expect(split.shards[0]).toEqual(['c0', 'c1', 'c2', 'c3']);
  });

  it('leaves cache: false tasks and what needs them to the join: the join would run them again anyway', () => {
    const tasks = [task('fetch', [], false), task('use', ['fetch']), task('alone')];
    expect(splitIntoShards(tasks, all(tasks), 4)).toMatchObject({ shards: [['alone']], join: ['fetch', 'use'] });
  });

  it('refuses a shard count outside 1…256 as a bug, and tasks out of topological order', () => {
    expect(() => splitIntoShards(fanOut, fanOutRuns, 0)).toThrow();
    expect(() => splitIntoShards(fanOut, fanOutRuns, MAX_SHARDS + 1)).toThrow();
    expect(() => splitIntoShards([task('b', ['a']), task('a')], new Set(['a', 'b']), 2)).toThrow(/topological/);
  });

  it('on random DAGs: every task that will run is in exactly one shard or the join, and shards need nothing from each other', () => {
    fc.assert(
      fc.property(dagsAndCounts, ([{ tasks, willRun }, n]) => {
        const split = splitIntoShards(tasks, willRun, n);
        expect([...shardedIds(split), ...split.join].sort()).toEqual([...willRun].sort());
        for (const t of tasks) {
          const shard = split.shardOf.get(t.id);
          if (shard === undefined) continue;
          for (const need of t.needs) if (willRun.has(need)) expect(split.shardOf.get(need)).toBe(shard);
        }
        // Transitively too: what a shard's run starts beside its own tasks is cached, never another shard's work.
        split.shards.forEach((own, i) => {
          const started = shardSelection(tasks, split, i + 1);
          for (const id of started) expect(own.includes(id) || !willRun.has(id)).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('on random DAGs: at most N shards, none empty, as many as there are units up to N; units stay whole', () => {
    fc.assert(
      fc.property(dagsAndCounts, ([{ tasks, willRun }, n]) => {
        const split = splitIntoShards(tasks, willRun, n);
        const units = components(tasks, new Set([...willRun].filter((id) => !split.join.includes(id))));
        expect(split.shards.length).toBe(Math.min(n, units.length));
        for (const shard of split.shards) expect(shard.length).toBeGreaterThan(0);
        for (const unit of units) expect(new Set(unit.map((id) => split.shardOf.get(id))).size).toBe(1);
        for (const [id, shard] of split.shardOf) expect(split.shards[shard - 1]).toContain(id);
      }),
      { numRuns: 300 },
    );
  });

  it('on random DAGs: the same input gives the same split, whatever the order of each task’s needs', () => {
    fc.assert(
      fc.property(dagsAndCounts, ([{ tasks, willRun }, n]) => {
        const reordered = tasks.map((t) => ({ ...t, needs: [...t.needs].reverse() }));
        const split = splitIntoShards(tasks, willRun, n);
        expect(splitIntoShards(tasks, willRun, n)).toEqual(split);
        expect(splitIntoShards(reordered, new Set([...willRun].reverse()), n)).toEqual(split);
      }),
      { numRuns: 200 },
    );
  });
});

describe('shardSelection', () => {
  it('starts the shard’s tasks and their cached needs, nothing of other shards or the join', () => {
    const split = splitIntoShards(fanOut, fanOutRuns, 3);
    expect([...shardSelection(fanOut, split, 2)].sort()).toEqual(['prepare', 'train[model=2]', 'train[model=5]']);
    expect(shardSelection(fanOut, split, 4)).toEqual(new Set());
  });
});

describe('uncachedTasks', () => {
  it('is what the cache will not restore', () => {
    const predictions = new Map([
      ['prepare', { cached: true }],
      ['train', { cached: false }],
    ]);
    expect(uncachedTasks(predictions)).toEqual(new Set(['train']));
  });
});

describe('parseShard', () => {
  it('reads K/N', () => {
    expect(parseShard('2/3')).toEqual({ ok: true, value: { index: 2, count: 3 } });
    expect(parseShard('256/256')).toEqual({ ok: true, value: { index: 256, count: 256 } });
  });

  it.each(['0/3', '4/3', 'x', '1/0', '1/257', '1/3/5', ' 1/3', '-1/3', '1.5/3', ''])('refuses %j', (text) => {
    expect(parseShard(text)).toMatchObject({ ok: false, error: expect.stringContaining('K/N') });
  });
});
