/**
 * Baselines and drift: is this run's metric worse than what recent READY runs measured? The store
 * hands us samples (READY runs on the baseline branch, newest first); everything here is arithmetic
 * and wording, so every drift check can explain itself.
 */
import { median, medianAbsoluteDeviation } from 'simple-statistics';
import type { BaselineConfig } from '../config/types.js';
import type { Check } from '../model/types.js';
import type { BaselineSample } from '../model/history.js';
import { matchTestPattern } from '../evidence/testid.js';
import { formatNumber, formatQuantity } from '../config/units.js';

/** Baseline settings with the branch resolved (the configured one, or the repository's default branch). */
export interface BaselinePolicy extends Omit<BaselineConfig, 'branch'> {
  branch: string;
}

export function resolveBaseline(cfg: BaselineConfig, defaultBranch: string): BaselinePolicy {
  return { ...cfg, branch: cfg.branch ?? defaultBranch };
}

export type { BaselineSample };

export type Direction = 'lower' | 'higher';

export interface DriftResult {
  check: Check;
  baseline?: number;
  changePct?: number;
  samples: number;
  verdict: 'ok' | 'warn' | 'fail' | 'no-baseline' | 'noise';
  direction: Direction;
  /** True when the direction was guessed from the metric's name rather than configured. */
  inferred: boolean;
}

export interface BaselineValue {
  value: number;
  /** Robust standard deviation: median absolute deviation × 1.4826 (0 with fewer than 2 samples). */
  spread: number;
  n: number;
  /** Dates (YYYY-MM-DD) of the oldest and newest sample used. */
  from: string;
  to: string;
  branch: string;
}

/** The noise guard needs this many samples before a spread means anything. */
export const NOISE_MIN_SAMPLES = 5;
/** Scales the MAD to a standard deviation for normally distributed data. */
const MAD_TO_SD = 1.4826;

/**
 * The baseline of one metric: the median of the newest `cfg.runs` samples. The spread is the
 * scaled median absolute deviation, not min..max: the median exists so one odd run cannot move the
 * baseline, and min..max would let that same odd run widen the noise guard until it hides real
 * regressions.
 */
export function baselineValue(samples: readonly BaselineSample[], cfg: BaselinePolicy): BaselineValue | undefined {
  const used = samples.filter((s) => Number.isFinite(s.value)).slice(0, Math.max(1, cfg.runs));
  if (used.length === 0) return undefined;
  const values = used.map((s) => s.value);
  const dates = used.map((s) => s.startedAt).sort();
  return {
    value: median(values),
    spread: values.length >= 2 ? medianAbsoluteDeviation(values) * MAD_TO_SD : 0,
    n: used.length,
    from: (dates[0] ?? '').slice(0, 10),
    to: (dates[dates.length - 1] ?? '').slice(0, 10),
    branch: cfg.branch,
  };
}

// Checked from the metric's last segment backwards, so a benchmark's statistic (`mean`, `ops`)
// decides before words in its name (`throughput_test.mean` is a time: lower is better).
const LOWER_FIRST = /^(fail|failed|failure|failures|error|errors|err)$/;
const HIGHER = /^(coverage|lines|branches|functions|statements|mrr|score|accuracy|precision|recall|f1|auc|pass|passes|passed|ops|hz|rps|qps|throughput|checks|hits)$/;
const LOWER = /^(duration|time|latency|size|mean|median|med|avg|min|max|p\d+|bytes|memory|mem|rss|heap|stddev|cpu|wait|waiting|blocked|connecting|sending|receiving|elapsed|ms)$/;

/** Guess whether lower or higher is better from a metric's name; undefined when the name says nothing. */
export function inferDirection(name: string): Direction | undefined {
  const segments = name.split('.').reverse();
  for (const seg of segments) {
    const words = seg.toLowerCase().replace(/\{.*\}$/, '').split(/[^a-z0-9]+/).filter(Boolean);
    if (words.some((w) => LOWER_FIRST.test(w))) return 'lower';
    if (words.some((w) => HIGHER.test(w)) || seg.toLowerCase().includes('pass-rate')) return 'higher';
    if (words.some((w) => LOWER.test(w))) return 'lower';
  }
  return undefined;
}

export interface MetricPolicy {
  direction: Direction;
  /** How the direction was chosen: `configured`, `inferred` from the name, or `assumed` (name said nothing). */
  directionFrom: 'configured' | 'inferred' | 'assumed';
  warnPct: number;
  failPct: number;
}

/** Per-metric settings: an exact key in `baseline.metrics` wins, then the longest matching pattern. */
export function metricPolicy(name: string, cfg: BaselinePolicy | BaselineConfig): MetricPolicy {
  const short = name.startsWith('metric.') ? name.slice('metric.'.length) : name;
  const keys = Object.keys(cfg.metrics);
  const exact = keys.find((k) => k === name || k === short);
  const key =
    exact ??
    keys
      .filter((k) => /[*?]/.test(k) && (matchTestPattern(k, name) || matchTestPattern(k, short)))
      .sort((a, b) => b.length - a.length)[0];
  const own = key === undefined ? undefined : cfg.metrics[key];
  const inferred = inferDirection(name);
  const direction = own?.direction ?? inferred ?? 'lower';
  return {
    direction,
    directionFrom: own?.direction ? 'configured' : inferred ? 'inferred' : 'assumed',
    warnPct: own?.warnPct ?? cfg.warnPct,
    failPct: own?.failPct ?? cfg.failPct,
  };
}

function signedPct(p: number): string {
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
}

export function describeBaseline(b: BaselineValue): string {
  const dates = b.from === b.to ? b.from : `${b.from}..${b.to}`;
  return `median of ${b.n} READY run${b.n === 1 ? '' : 's'} on ${b.branch}, ${dates}`;
}

export function noBaselineMessage(n: number, cfg: BaselinePolicy, missing?: string): string {
  const why = missing ?? `no baseline yet: ${n} of ${cfg.minRuns} READY runs on ${cfg.branch}`;
  return cfg.require ? `${why}; baseline.require is set, so this blocks` : why;
}

/**
 * A baseline check that has no baseline: passes with a warning (a first release is never blocked
 * for lack of history), unless `baseline.require` says a baseline is part of the policy.
 */
export function noBaselineCheck(base: Omit<Check, 'ok' | 'severity' | 'message'>, cfg: BaselinePolicy, n: number, missing?: string): Check {
  const message = noBaselineMessage(n, cfg, missing);
  return cfg.require ? { ...base, ok: false, message } : { ...base, ok: true, severity: 'warn', message };
}

/** Changes this close to a threshold are rounding, not a crossing (10% computed as 10.000000000000002%). */
const THRESHOLD_EPSILON = 1e-9;

/**
 * Judge one metric against its baseline. Outcomes: `no-baseline` (too few runs: passes with a
 * warning), `ok`, `noise` (worse by more than `warn` but inside twice the baseline's spread, with
 * ≥ 5 samples: passes), `warn` (failing check with severity warn), `fail` (failing check).
 */
export function judgeDrift(
  metric: { name: string; value: number; unit?: string },
  samples: readonly BaselineSample[],
  cfg: BaselinePolicy,
  missing?: string,
): DriftResult {
  const policy = metricPolicy(metric.name, cfg);
  const fmt = (v: number): string => formatQuantity(v, metric.unit);
  const dirText = `${policy.direction} is better${policy.directionFrom === 'configured' ? '' : policy.directionFrom === 'inferred' ? ' (inferred from the name)' : ' (assumed: the name does not say)'}`;
  const checkName = `${metric.name} within baseline`;
  const b = baselineValue(samples, cfg);
  const n = b?.n ?? 0;
  if (!b || n < cfg.minRuns) {
    return {
      check: noBaselineCheck(
        { check: checkName, operator: 'within', expected: `a baseline of ${cfg.minRuns} READY runs on ${cfg.branch}`, actual: `${fmt(metric.value)}; ${n} of ${cfg.minRuns} runs` },
        cfg,
        n,
        n === 0 ? missing : undefined,
      ),
      samples: n,
      verdict: 'no-baseline',
      direction: policy.direction,
      inferred: policy.directionFrom !== 'configured',
    };
  }

  const change = metric.value - b.value;
  // A zero baseline has no relative change; any worsening is treated as beyond every threshold.
  const changePct = b.value !== 0 ? (change / Math.abs(b.value)) * 100 : change === 0 ? 0 : undefined;
  const worse = policy.direction === 'lower' ? change > 0 : change < 0;
  const regression = !worse ? 0 : changePct === undefined ? Number.POSITIVE_INFINITY : Math.abs(changePct);
  const noiseBand = 2 * b.spread;
  const guarded = b.n >= NOISE_MIN_SAMPLES && Math.abs(change) <= noiseBand;

  let verdict: DriftResult['verdict'];
  let why: string;
  const changeText = changePct === undefined ? `${change > 0 ? '+' : ''}${fmt(change)} from a zero baseline` : signedPct(changePct);
  // "Warn at +10 %" means more than 10 %: a change of exactly the threshold is still within it.
  if (regression <= policy.warnPct + THRESHOLD_EPSILON) {
    verdict = 'ok';
    why = worse ? `${changeText} <= warn ${formatNumber(policy.warnPct)}%` : `${changeText} (not worse)`;
  } else if (guarded) {
    verdict = 'noise';
    why = `${changeText} is inside the baseline's noise (±${fmt(noiseBand)} = 2 × spread over ${b.n} runs)`;
  } else if (regression > policy.failPct + THRESHOLD_EPSILON) {
    verdict = 'fail';
    why = `${changeText} > fail ${formatNumber(policy.failPct)}%`;
  } else {
    verdict = 'warn';
    why = `${changeText} > warn ${formatNumber(policy.warnPct)}%`;
  }
  const message = `${metric.name} ${fmt(metric.value)} vs baseline ${fmt(b.value)} (${describeBaseline(b)}; ${dirText}): ${why} → ${verdict.toUpperCase()}`;
  const check: Check = {
    check: checkName,
    operator: 'within',
    expected: `at most ${formatNumber(policy.warnPct)}% (warn) / ${formatNumber(policy.failPct)}% (fail) ${policy.direction === 'lower' ? 'above' : 'below'} ${fmt(b.value)}`,
    actual: `${fmt(metric.value)} (${changeText})`,
    ok: verdict === 'ok' || verdict === 'noise',
    message,
  };
  if (verdict === 'warn') check.severity = 'warn';
  return { check, baseline: b.value, changePct, samples: b.n, verdict, direction: policy.direction, inferred: policy.directionFrom !== 'configured' };
}
