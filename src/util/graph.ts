/**
 * The gate graph: pure functions over `needs` edges. Iterative, not recursive — a chain of 100,000
 * gates must not overflow the stack — and linear in gates plus edges. Ids are looked up as own keys
 * only, so a gate named `constructor` is an ordinary gate and a need naming `toString` is unknown.
 */

export type NeedsMap = Record<string, { needs: readonly string[] }>;

const has = (gates: NeedsMap, id: string): boolean => Object.hasOwn(gates, id);

/** A cycle as a closed path (`[a, b, a]`), or undefined when the graph is acyclic. Unknown needs are ignored. */
export function findCycle(gates: NeedsMap): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  for (const root of Object.keys(gates)) {
    if (state.has(root)) continue;
    // An explicit stack of (gate, index of the next need to visit) stands in for recursion.
    const path: string[] = [];
    const next: number[] = [];
    const onPath = new Map<string, number>();
    const push = (id: string) => {
      state.set(id, 'visiting');
      onPath.set(id, path.length);
      path.push(id);
      next.push(0);
    };
    push(root);
    while (path.length) {
      const top = path.length - 1;
      const id = path[top]!;
      const needs = gates[id]!.needs;
      if (next[top]! < needs.length) {
        const need = needs[next[top]!++]!;
        if (!has(gates, need)) continue;
        const s = state.get(need);
        if (s === 'visiting') return [...path.slice(onPath.get(need)), need];
        if (s === undefined) push(need);
      } else {
        state.set(id, 'done');
        onPath.delete(id);
        path.pop();
        next.pop();
      }
    }
  }
  return undefined;
}

/** Declaration-stable topological order (needs first). Assumes no cycle. */
export function topoOrder(gates: NeedsMap): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const root of Object.keys(gates)) {
    if (seen.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    seen.add(root);
    while (stack.length) {
      const frame = stack[stack.length - 1]!;
      const needs = gates[frame[0]]!.needs;
      if (frame[1] < needs.length) {
        const need = needs[frame[1]++]!;
        if (!seen.has(need) && has(gates, need)) {
          seen.add(need);
          stack.push([need, 0]);
        }
      } else {
        out.push(frame[0]);
        stack.pop();
      }
    }
  }
  return out;
}

/** The gate and everything it needs, transitively. */
export function closure(gates: NeedsMap, roots: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const stack = [...roots].filter((r) => has(gates, r));
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    for (const need of gates[id]!.needs) if (!out.has(need) && has(gates, need)) stack.push(need);
  }
  return out;
}

/** Everything that needs `id`, transitively. */
export function dependents(gates: NeedsMap, id: string): Set<string> {
  const users = new Map<string, string[]>();
  for (const [gid, g] of Object.entries(gates)) {
    for (const n of g.needs) {
      const list = users.get(n);
      if (list) list.push(gid);
      else users.set(n, [gid]);
    }
  }
  const out = new Set<string>();
  const stack = [id];
  while (stack.length) {
    for (const u of users.get(stack.pop()!) ?? []) {
      if (!out.has(u)) {
        out.add(u);
        stack.push(u);
      }
    }
  }
  return out;
}
