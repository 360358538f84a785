/**
 * The first dependency cycle in a graph of names, as the path that closes it (`['a', 'b', 'c', 'a']`), or
 * undefined when there is none. Iterative, so deep graphs cannot exhaust the stack.
 */
export function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'active' | 'done'>();
  for (const start of edges.keys()) {
    if (state.has(start)) continue;
    const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
    state.set(start, 'active');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { name: string; next: number };
      const targets = edges.get(frame.name) ?? [];
      const target = targets[frame.next++];
      if (target === undefined) {
        state.set(frame.name, 'done');
        stack.pop();
      } else if (state.get(target) === 'active') {
        const path = stack.map((f) => f.name);
        return [...path.slice(path.indexOf(target)), target];
      } else if (!state.has(target) && edges.has(target)) {
        state.set(target, 'active');
        stack.push({ name: target, next: 0 });
      }
    }
  }
  return undefined;
}
