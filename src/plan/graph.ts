/** The gate graph: pure functions over `needs` edges. */

export type NeedsMap = Record<string, { needs: readonly string[] }>;

/** A cycle as a closed path (`[a, b, a]`), or undefined when the graph is acyclic. Unknown needs are ignored. */
export function findCycle(gates: NeedsMap): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const s = state.get(id);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const need of gates[id]?.needs ?? []) {
      if (!(need in gates)) continue;
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of Object.keys(gates)) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Declaration-stable topological order (needs first). Assumes no cycle. */
export function topoOrder(gates: NeedsMap): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id) || !(id in gates)) return;
    seen.add(id);
    for (const need of gates[id]!.needs) visit(need);
    out.push(id);
  };
  for (const id of Object.keys(gates)) visit(id);
  return out;
}

/** The gate and everything it needs, transitively. */
export function closure(gates: NeedsMap, roots: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const visit = (id: string) => {
    if (out.has(id) || !(id in gates)) return;
    out.add(id);
    for (const need of gates[id]!.needs) visit(need);
  };
  for (const r of roots) visit(r);
  return out;
}

/** Everything that needs `id`, transitively. */
export function dependents(gates: NeedsMap, id: string): Set<string> {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [gid, g] of Object.entries(gates)) {
      if (out.has(gid)) continue;
      if (g.needs.some((n) => n === id || out.has(n))) {
        out.add(gid);
        grew = true;
      }
    }
  }
  return out;
}
