/**
 * Is the canary worse than the baseline? Pure statistics over two samples (lower is better:
 * latencies, error ratios), and the verdict a canary gate gives on them.
 *
 * - Mann-Whitney U: ranks of the pooled samples (ties share their average rank); the one-sided
 *   p-value is the chance of a U this large if both samples came from one distribution. Exact
 *   (the distribution of U over every arrangement) for small samples without ties; otherwise the
 *   normal approximation with the tie-corrected variance and a continuity correction.
 * - Hodges–Lehmann: the median of every pairwise difference canary − baseline, an estimate of how
 *   far the canary is shifted that one outlier cannot move.
 * - The effect as a ratio: (baseline median + shift) / baseline median, judged against `max-increase`.
 */
import { erf, median as ssMedian } from 'simple-statistics';

/** Exact p-values up to this many values in all: C(50, 25) ≈ 1.3e14 arrangements stay exact in a double. */
export const EXACT_MAX_TOTAL = 50;
/** Hodges–Lehmann over at most this many values per side (a million pairs): see `hodgesLehmann`. */
export const HL_MAX_PER_SIDE = 1000;

export function median(xs: readonly number[]): number {
  return xs.length ? ssMedian(xs as number[]) : NaN;
}

export interface MannWhitney {
  nBaseline: number;
  nCanary: number;
  /** U of the canary: pairs (baseline b, canary c) with c > b, a tie counting one half. */
  u: number;
  /** The one-sided p-value for "the canary is greater"; 1 when either sample is empty or nothing differs. */
  pValue: number;
  method: 'exact' | 'normal' | 'none';
  /** Normal approximation: the z score (continuity-corrected). */
  z?: number;
  ties: boolean;
}

/** Ranks 1..N of the pooled values, ties sharing the average of their ranks; and the sizes of the tie groups. */
function rank(values: readonly number[]): { ranks: Float64Array; tieGroups: number[] } {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(values.length);
  const tieGroups: number[] = [];
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = avg;
    if (j > i) tieGroups.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieGroups };
}

/**
 * P(U >= u) over all C(n1+n2, n1) equally likely arrangements. The counts of U are the
 * coefficients of the Gaussian binomial [n1+n2 choose n1]_q = ∏ (1 − q^(n2+i)) / (1 − q^i), built
 * one factor at a time so every intermediate is itself a Gaussian binomial (integers, exact while
 * below 2^53, which EXACT_MAX_TOTAL guarantees).
 */
export function exactUpperTail(n1: number, n2: number, u: number): number {
  const max = n1 * n2;
  let c = new Float64Array(max + 1);
  c[0] = 1;
  for (let i = 1; i <= n1; i++) {
    const next = Float64Array.from(c);
    // × (1 − q^(n2+i))
    for (let k = max; k >= n2 + i; k--) next[k]! -= next[k - n2 - i]!;
    // ÷ (1 − q^i): a running sum with stride i
    for (let k = i; k <= max; k++) next[k]! += next[k - i]!;
    c = next;
  }
  let total = 0;
  let tail = 0;
  for (let k = 0; k <= max; k++) {
    total += c[k]!;
    if (k >= u) tail += c[k]!;
  }
  return tail / total;
}

/** Upper tail of the standard normal, 1 − Φ(z). */
function normalUpper(z: number): number {
  return 0.5 * (1 - erf(z / Math.SQRT2));
}

export function mannWhitney(baseline: readonly number[], canary: readonly number[]): MannWhitney {
  const n1 = baseline.length;
  const n2 = canary.length;
  if (n1 === 0 || n2 === 0) return { nBaseline: n1, nCanary: n2, u: 0, pValue: 1, method: 'none', ties: false };
  const { ranks, tieGroups } = rank([...baseline, ...canary]);
  let rCanary = 0;
  for (let i = n1; i < n1 + n2; i++) rCanary += ranks[i]!;
  const u = rCanary - (n2 * (n2 + 1)) / 2;
  const ties = tieGroups.length > 0;
  const n = n1 + n2;
  if (!ties && n <= EXACT_MAX_TOTAL) {
    // U takes integer values without ties.
    return { nBaseline: n1, nCanary: n2, u, pValue: exactUpperTail(n1, n2, Math.round(u)), method: 'exact', ties };
  }
  const mean = (n1 * n2) / 2;
  const tieTerm = tieGroups.reduce((s, t) => s + (t ** 3 - t), 0) / (n * (n - 1));
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm);
  // Every value equal: nothing tells the samples apart.
  if (variance <= 0) return { nBaseline: n1, nCanary: n2, u, pValue: 1, method: 'normal', z: 0, ties };
  // Continuity correction for the upper tail (as scipy's `use_continuity`): U is discrete, so
  // P(U >= u) is read at u − 1/2 on the continuous normal.
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { nBaseline: n1, nCanary: n2, u, pValue: Math.min(1, normalUpper(z)), method: 'normal', z, ties };
}

/**
 * `size` values of the sorted sample at evenly spaced ranks (first and last kept): a deterministic
 * subsample with the sample's shape, so two judgements of one sample agree.
 */
function spread(sorted: readonly number[], size: number): number[] {
  if (sorted.length <= size) return [...sorted];
  const out: number[] = [];
  for (let i = 0; i < size; i++) out.push(sorted[Math.round((i * (sorted.length - 1)) / (size - 1))]!);
  return out;
}

/**
 * Hodges–Lehmann shift: the median of c − b over every pair. The pairs grow as n1 × n2; beyond
 * HL_MAX_PER_SIDE values a side is replaced by that many of its order statistics spread evenly
 * (see `spread`), which keeps the work at a million pairs and moves the estimate by less than the
 * spacing between neighbouring quantiles.
 */
export function hodgesLehmann(baseline: readonly number[], canary: readonly number[]): { shift: number; subsampled: boolean } {
  if (!baseline.length || !canary.length) return { shift: NaN, subsampled: false };
  const b = spread([...baseline].sort((x, y) => x - y), HL_MAX_PER_SIDE);
  const c = spread([...canary].sort((x, y) => x - y), HL_MAX_PER_SIDE);
  const diffs = new Float64Array(b.length * c.length);
  let k = 0;
  for (const cv of c) for (const bv of b) diffs[k++] = cv - bv;
  diffs.sort();
  const mid = diffs.length >> 1;
  const shift = diffs.length % 2 ? diffs[mid]! : (diffs[mid - 1]! + diffs[mid]!) / 2;
  return { shift, subsampled: b.length < baseline.length || c.length < canary.length };
}

export type CanaryVerdict = 'pass' | 'marginal' | 'fail';

export interface Counts {
  /** Requests (or samples) tried. */
  attempted: number;
  /** Non-2xx answers, connection errors, timeouts. */
  failed: number;
}

export interface CanaryLimits {
  /** The largest accepted ratio (canary effect over the baseline median), ≥ 1. */
  maxIncrease: number;
  alpha: number;
  /** Per side: fewer values than this is too few to judge. */
  minSamples: number;
  /** Absolute limit on the canary's error rate (0..1): `<` or `<=`. */
  errorRate?: { op: '<' | '<='; value: number };
}

export interface CanaryInput {
  baseline: readonly number[];
  canary: readonly number[];
  /** Error counts per side (HTTP sampling); absent when the source has no errors (Prometheus). */
  errors?: { baseline: Counts; canary: Counts };
}

export interface CanarySummary {
  nBaseline: number;
  nCanary: number;
  medianBaseline: number;
  medianCanary: number;
  u: number;
  pValue: number;
  method: MannWhitney['method'];
  /** Hodges–Lehmann shift, canary − baseline. */
  shift: number;
  /** (baseline median + shift) / baseline median; undefined when the baseline median is 0 or less. */
  ratio?: number;
  subsampled: boolean;
  errorRateBaseline?: number;
  errorRateCanary?: number;
}

export interface CanaryJudgement {
  /** The whole verdict: the comparison's, or fail when the error limit is broken. */
  verdict: CanaryVerdict;
  /** One sentence per reason, the first being the one that decided. */
  reasons: string[];
  /** The statistical comparison alone (fail when there were too few samples) and why. */
  comparison: CanaryVerdict;
  comparisonReason: string;
  /** Why the error limit failed, when it did. */
  errorReason?: string;
  summary: CanarySummary;
  /** Marginal: which of the two ways. */
  marginal?: 'significant-within-limit' | 'beyond-limit-not-significant';
  /** True when the error limit failed (whatever the comparison said). */
  errorLimitBroken: boolean;
  /** True when a side had fewer than min-samples values: nothing was compared. */
  tooFew: boolean;
}

const ratioText = (v: number): string => `${Number(v.toPrecision(3))}×`;
const fmt = (v: number): string => (!Number.isFinite(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
export const formatP = (p: number): string => (p < 1e-6 ? '< 1e-6' : p < 0.001 ? `= ${p.toExponential(1)}` : `= ${p.toFixed(3)}`);
const pct = (x: number): string => `${Number((x * 100).toFixed(2))}%`;

export function judgeCanary(input: CanaryInput, limits: CanaryLimits, unit = ''): CanaryJudgement {
  const mw = mannWhitney(input.baseline, input.canary);
  const hl = hodgesLehmann(input.baseline, input.canary);
  const mb = median(input.baseline);
  const mc = median(input.canary);
  const ratio = mb > 0 && Number.isFinite(hl.shift) ? (mb + hl.shift) / mb : undefined;
  const rate = (c: Counts) => (c.attempted ? c.failed / c.attempted : 0);
  const summary: CanarySummary = {
    nBaseline: mw.nBaseline,
    nCanary: mw.nCanary,
    medianBaseline: mb,
    medianCanary: mc,
    u: mw.u,
    pValue: mw.pValue,
    method: mw.method,
    shift: hl.shift,
    ...(ratio !== undefined ? { ratio } : {}),
    subsampled: hl.subsampled,
    ...(input.errors ? { errorRateBaseline: rate(input.errors.baseline), errorRateCanary: rate(input.errors.canary) } : {}),
  };
  const reasons: string[] = [];

  let errorLimitBroken = false;
  let errorReason: string | undefined;
  if (limits.errorRate && input.errors) {
    const c = input.errors.canary;
    const r = rate(c);
    const within = c.attempted > 0 && (limits.errorRate.op === '<' ? r < limits.errorRate.value : r <= limits.errorRate.value);
    if (!within) {
      errorLimitBroken = true;
      errorReason = c.attempted === 0 ? 'the canary was never asked: its error rate is unknown' : `the canary's error rate is ${pct(r)} (${c.failed} of ${c.attempted} failed), limit ${limits.errorRate.op} ${pct(limits.errorRate.value)}`;
      reasons.push(errorReason);
    }
  }

  const tooFew = mw.nBaseline < limits.minSamples || mw.nCanary < limits.minSamples;
  if (tooFew) {
    const why = `too few samples to compare: baseline ${mw.nBaseline}, canary ${mw.nCanary}, at least ${limits.minSamples} each needed; no data is never a pass`;
    reasons.push(why);
    return { verdict: 'fail', reasons, comparison: 'fail', comparisonReason: why, ...(errorReason ? { errorReason } : {}), summary, errorLimitBroken, tooFew };
  }

  const u = unit ? ` ${unit}` : '';
  const effect =
    ratio !== undefined
      ? `median ${fmt(mc)}${u} against ${fmt(mb)}${u}, shift ${hl.shift >= 0 ? '+' : ''}${fmt(hl.shift)}${u} (Hodges–Lehmann): ${ratioText(ratio)} the baseline, limit ${ratioText(limits.maxIncrease)}`
      : `median ${fmt(mc)}${u} against ${fmt(mb)}${u}, shift ${hl.shift >= 0 ? '+' : ''}${fmt(hl.shift)}${u} (Hodges–Lehmann): no ratio over a baseline median of ${fmt(mb)}, so any increase counts as beyond the limit`;
  const beyond = ratio !== undefined ? ratio > limits.maxIncrease : hl.shift > 0;
  const significant = mw.pValue < limits.alpha;
  const test = `p ${formatP(mw.pValue)} (Mann-Whitney U = ${fmt(mw.u)}, ${mw.method}, n = ${mw.nBaseline} + ${mw.nCanary}), alpha ${limits.alpha}`;

  let comparison: CanaryVerdict;
  let why: string;
  let marginal: CanaryJudgement['marginal'];
  if (significant && beyond) {
    comparison = 'fail';
    why = `the canary is worse beyond the limit: ${effect}; significant, ${test}`;
  } else if (significant) {
    comparison = 'marginal';
    marginal = 'significant-within-limit';
    why = `the canary is significantly worse, but within the limit: ${effect}; ${test}`;
  } else if (beyond) {
    comparison = 'marginal';
    marginal = 'beyond-limit-not-significant';
    why = `the effect is beyond the limit, but not significant (it may be noise; more samples would tell): ${effect}; ${test}`;
  } else {
    comparison = 'pass';
    why = `no worse beyond what chance explains: ${effect}; ${test}`;
  }
  reasons.push(why);
  return {
    verdict: errorLimitBroken ? 'fail' : comparison,
    reasons,
    comparison,
    comparisonReason: why,
    ...(errorReason ? { errorReason } : {}),
    summary,
    ...(marginal ? { marginal } : {}),
    errorLimitBroken,
    tooFew,
  };
}
