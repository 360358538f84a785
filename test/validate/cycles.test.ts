import { describe, expect, it } from 'vitest';
import { findCycle } from '../../src/validate/cycles.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('findCycle', () => {
  it('returns the path that closes the cycle', () => {
    expect(findCycle(graph({ a: ['b'], b: ['c'], c: ['a'], d: [] }))).toEqual(['a', 'b', 'c', 'a']);
  });
  it('finds a cycle that does not include the first node', () => {
    expect(findCycle(graph({ start: ['x'], x: ['y'], y: ['x'] }))).toEqual(['x', 'y', 'x']);
  });
  it('returns undefined for a DAG, diamonds included', () => {
    expect(findCycle(graph({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }))).toBeUndefined();
  });
  it('handles a 100,000-long chain without exhausting the stack', () => {
    const edges = new Map(Array.from({ length: 100_000 }, (_, i) => [`t${i}`, i === 0 ? [] : [`t${i - 1}`]]));
    expect(findCycle(edges)).toBeUndefined();
    edges.set('t0', ['t99999']);
    expect(findCycle(edges)?.length).toBe(100_001);
  });
});
