/**
 * The check kinds, listed once. The config stage builds each gate's schema, normalisation and rules
 * from this list, and the gate runner runs the kinds of a gate in this order after its command
 * (so a kind can look back on the phase of an earlier one: `prometheus` and `canary` on `load`'s window).
 * The order is also the order of the keys in the editor JSON Schema.
 */
import { artifactsKind } from './artifacts.js';
import { canaryKind } from './canary.js';
import { faultsKind } from './faults.js';
import type { AnyCheckKind, CheckKind, CheckKindShape } from './kind.js';
import { loadKind } from './load.js';
import { probesKind } from './probes.js';
import { prometheusKind } from './prometheus.js';
import { slosKind } from './slos.js';
import { soakKind } from './soak.js';

export const CHECK_KINDS = [probesKind, artifactsKind, loadKind, soakKind, prometheusKind, slosKind, faultsKind, canaryKind] as const satisfies readonly AnyCheckKind[];

export type CheckKinds = typeof CHECK_KINDS;
export type CheckShape = CheckKindShape<CheckKinds>;

export const CHECK_KEYS: readonly string[] = CHECK_KINDS.map((k) => k.key);

/** A gate's normalised check configuration: each present kind under its key. */
export type CheckConfigs = {
  [K in CheckKinds[number] as K['key']]?: K extends CheckKind<unknown, infer N, string> ? N : never;
};

/** The same list for code that treats every kind alike (each kind checks its own value's type). */
export const KINDS: readonly AnyCheckKind[] = CHECK_KINDS;
