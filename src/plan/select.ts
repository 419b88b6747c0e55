/**
 * Which gates run in this run, and why the others do not. Pure: config + flags in, plan out.
 */
import type { Config, GateConfig } from '../config/types.js';
import { suggest } from '../config/issues.js';
import { UsageError } from '../errors.js';
import { closure, topoOrder } from './graph.js';

export interface SelectOptions {
  ci: boolean;
  with?: string[];
  skip?: string[];
  only?: string[];
}

export interface PlannedGate {
  id: string;
  gate: GateConfig;
  action: 'run' | 'skip';
  /** Why it is skipped (`local only`, `optional; enable with --with x`, …). */
  reason?: string;
  /** Skipped only because it is optional and was not enabled. */
  optionalSkip?: boolean;
  /** Needs left out by selection: this gate runs without them. */
  ranWithout: string[];
  /** Depth in the graph among running gates (0 = no running needs), for display. */
  phase: number;
}

export interface Plan {
  gates: PlannedGate[];
  ci: boolean;
  /** How many running gates use each service: it stops after the last. */
  serviceUsers: Record<string, number>;
}

function checkIds(config: Config, ids: string[] | undefined, flag: string): void {
  const known = Object.keys(config.gates);
  for (const id of ids ?? []) {
    if (!Object.hasOwn(config.gates, id)) {
      const near = suggest(id, known);
      throw new UsageError(`${flag} ${id}: no gate named "${id}"`, near ? `did you mean "${near}"?` : `gates: ${known.join(', ')}`);
    }
  }
}

function skipReason(g: GateConfig, opts: SelectOptions, inOnly: boolean | undefined, forced: boolean, skipped: boolean): string | undefined {
  if (skipped) return 'skipped with --skip';
  if (inOnly === false) return 'not selected by --only';
  if (forced) return undefined;
  if (g.optional) return `optional; enable with --with ${g.id}`;
  if (g.when === 'ci' && !opts.ci) return 'CI only';
  if (g.when === 'local' && opts.ci) return 'local only';
  return undefined;
}

export function selectGates(config: Config, opts: SelectOptions): Plan {
  checkIds(config, opts.with, '--with');
  checkIds(config, opts.skip, '--skip');
  checkIds(config, opts.only, '--only');

  const only = opts.only?.length ? closure(config.gates, opts.only) : undefined;
  const forced = new Set([...(opts.with ?? []), ...(opts.only ?? [])]);
  const skipped = new Set(opts.skip ?? []);
  const order = topoOrder(config.gates);
  const planned = new Map<string, PlannedGate>();

  for (const id of order) {
    const gate = config.gates[id]!;
    const reason = skipReason(gate, opts, only ? only.has(id) : undefined, forced.has(id), skipped.has(id));
    const ranWithout = gate.needs.filter((n) => planned.get(n)?.action === 'skip');
    const phase = gate.needs.reduce((max, n) => Math.max(max, planned.get(n)?.action === 'run' ? planned.get(n)!.phase : -1), -1) + 1;
    const optionalSkip = !!reason && gate.optional && !forced.has(id) && !skipped.has(id);
    planned.set(id, {
      id,
      gate,
      action: reason ? 'skip' : 'run',
      reason,
      ...(optionalSkip ? { optionalSkip } : {}),
      ranWithout: reason ? [] : ranWithout,
      phase: reason ? 0 : phase,
    });
  }

  const gates = order.map((id) => planned.get(id)!);
  const serviceUsers: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const p of gates) {
    if (p.action !== 'run') continue;
    for (const s of p.gate.services) serviceUsers[s] = (serviceUsers[s] ?? 0) + 1;
  }
  return { gates, ci: opts.ci, serviceUsers };
}
