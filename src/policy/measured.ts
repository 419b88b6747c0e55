/**
 * Every number a gate's evidence yields, keyed by its expect path, for recording with the run: so
 * that `tests.total >= baseline` or `findings.warning <= baseline` have samples to compare with,
 * exactly like metrics. Pure: the same resolution the expect language uses, over the fixed paths
 * and whatever paths the gate's own `expect` names (`findings.rule["no-eval"]`, `coverage.file[…]`).
 */
import type { Evidence, Metric } from '../model/evidence.js';
import { resolvePathDetailed, type EvalContext } from './expect-eval.js';
import { parseExpectation } from '../config/expect-parse.js';
import { pathKey, splitPath, STATIC_PATHS } from '../config/expect-paths.js';

export function measuredValues(ev: Evidence, expect: readonly string[], ctx: EvalContext): Metric[] {
  const out = new Map<string, Metric>();
  const add = (path: string) => {
    const split = splitPath(path);
    if (!split.ok) return;
    const name = pathKey(split.segments);
    // metric.* and bench.* come straight from the evidence (below), with their source.
    if (out.has(name) || name.startsWith('metric.') || name.startsWith('bench.')) return;
    const r = resolvePathDetailed(path, ev, ctx);
    if (r.ok && Number.isFinite(r.value)) out.set(name, { name, value: r.value, ...(r.unit ? { unit: r.unit } : {}) });
  };
  for (const p of STATIC_PATHS) add(p);
  for (const text of expect) {
    try {
      add(parseExpectation(text).path);
    } catch {
      // judged (and reported) by the gate's checks; nothing to record
    }
  }
  return [...ev.metrics, ...out.values()];
}
