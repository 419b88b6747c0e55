/**
 * Error-budget arithmetic, pure. An SLO allows a share of bad events (`1 − objective`: 0.1 % for
 * 99.9 %); the budget is that share over the SLO's window. What is left of it is
 * `1 − bad / allowed`, and a burn rate is how fast a window spends it: `bad / allowed` (1× spends
 * the budget exactly over the window; 14.4× spends a 30-day budget in about two days).
 *
 * The multi-window burn checks follow the SRE workbook's alerting pairs: a long window proves the
 * burn is sustained, a short one that it is still going on; a pair fails only when both burn
 * faster than its factor.
 */
export interface BurnPair {
  longMs: number;
  shortMs: number;
  /** Fails when both windows burn faster than this. */
  factor: number;
}

/** The workbook's three pairs: 2 % of a 30-day budget in 1 h, 5 % in 6 h, 10 % in 3 d. */
export const DEFAULT_BURN_PAIRS: readonly BurnPair[] = [
  { longMs: 3_600_000, shortMs: 300_000, factor: 14.4 },
  { longMs: 6 * 3_600_000, shortMs: 30 * 60_000, factor: 6 },
  { longMs: 3 * 86_400_000, shortMs: 6 * 3_600_000, factor: 1 },
];

/** The share of events an objective allows to be bad (objective as a ratio, 0 < objective < 1). */
export function allowedBad(objective: number): number {
  if (!(objective > 0 && objective < 1)) throw new RangeError(`objective must be between 0 and 1 (exclusive), got ${objective}`);
  return 1 - objective;
}

/** How fast a window spends the budget: 1 = exactly on budget. */
export function burnRate(badFraction: number, objective: number): number {
  return badFraction / allowedBad(objective);
}

/** What is left of the budget, as a ratio: 1 = untouched, 0 = spent, below 0 = overspent. */
export function budgetRemaining(badFraction: number, objective: number): number {
  return 1 - badFraction / allowedBad(objective);
}

export interface PairVerdict {
  pair: BurnPair;
  long: number;
  short: number;
  /** Both windows burn faster than the factor. */
  burning: boolean;
}

export function judgeBurnPair(pair: BurnPair, longRate: number, shortRate: number): PairVerdict {
  return { pair, long: longRate, short: shortRate, burning: longRate > pair.factor && shortRate > pair.factor };
}

/** The windows a set of pairs needs, besides the SLO's own, each once, longest first. */
export function burnWindows(pairs: readonly BurnPair[]): number[] {
  return [...new Set(pairs.flatMap((p) => [p.longMs, p.shortMs]))].sort((a, b) => b - a);
}

/** A window as PromQL writes a range: whole days, hours, minutes or seconds (`30d`, `90m`). */
export function promDuration(msValue: number): string {
  const s = Math.max(1, Math.round(msValue / 1000));
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) if (s % size === 0) return `${s / size}${unit}`;
  return `${s}s`;
}
