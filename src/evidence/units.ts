/**
 * Normalising measurements so policy can compare them without guessing: units to the canonical ones
 * of the evidence model (time in ms, sizes in B), benchmark names to addressable path segments, and
 * repeated samples of one benchmark to summary statistics.
 */
import { mean, median, min, max, standardDeviation } from 'simple-statistics';
import { BYTES_PER_UNIT } from '../util/size-units.js';
import type { Metric } from './model.js';

const TIME_TO_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

/** SI (kB = 1000) and IEC (KiB = 1024) prefixes; `KB` is read as 1000 like SI, the common tool usage. */
const SIZE_TO_B: Readonly<Record<string, number>> = { ...BYTES_PER_UNIT, byte: 1, bytes: 1 };

/** Factor that turns a value in `unit` into milliseconds, or undefined when `unit` is not a time unit. */
export function timeFactor(unit: string): number | undefined {
  return TIME_TO_MS[unit.trim()];
}

/** Factor that turns a value in `unit` into bytes, or undefined when `unit` is not a size unit. */
export function sizeFactor(unit: string): number | undefined {
  const u = unit.trim();
  // `B` alone is bytes, but a lone lower-case `b` is ambiguous (bits) and stays as given.
  if (u === 'b') return undefined;
  return SIZE_TO_B[u.toLowerCase()];
}

/**
 * Canonical form of a value with a unit: times → `ms`, sizes → `B`, `%` kept, anything else as given.
 * A unitless value stays unitless.
 */
export function normalizeUnit(value: number, unit: string | undefined): { value: number; unit?: string } {
  if (unit === undefined || unit.trim() === '') return { value };
  const t = timeFactor(unit);
  if (t !== undefined) return { value: value * t, unit: 'ms' };
  const s = sizeFactor(unit);
  if (s !== undefined) return { value: value * s, unit: 'B' };
  return { value, unit: unit.trim() };
}

/**
 * Turns a tool's benchmark name into one segment of a dotted metric path. Every run of characters
 * outside `[A-Za-z0-9_/-]` becomes one `_` (dots included, since `.` separates path segments), and
 * leading/trailing `_` are dropped: `test_fib_10` stays, `BM_Two/8` stays, `sleep 0.1` becomes
 * `sleep_0_1`, `test_x[0]` becomes `test_x_0`.
 */
export function benchName(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_/-]+/g, '_').replace(/^_+|_+$/g, '');
  return cleaned === '' ? '_' : cleaned;
}

/** The statistics a benchmark contributes, in canonical units (times already in ms). */
export interface BenchStats {
  mean?: number;
  median?: number;
  min?: number;
  max?: number;
  stddev?: number;
  ops?: number;
}

const TIME_STATS = ['mean', 'median', 'min', 'max', 'stddev'] as const;

/** `bench.<name>.<stat>` metrics for one benchmark; time stats in ms, `ops` in operations per second. */
export function benchMetrics(name: string, stats: BenchStats, source: string): Metric[] {
  const out: Metric[] = [];
  for (const stat of TIME_STATS) {
    const v = stats[stat];
    if (v !== undefined && Number.isFinite(v)) out.push({ name: `bench.${name}.${stat}`, value: v, unit: 'ms', source });
  }
  if (stats.ops !== undefined && Number.isFinite(stats.ops)) {
    out.push({ name: `bench.${name}.ops`, value: stats.ops, unit: 'ops/s', source });
  }
  return out;
}

/**
 * Summary of several measurements of the same benchmark (repetitions, `-count=N`): policy wants one
 * number per stat, and the spread is what repetitions exist to show.
 */
export function summarize(samples: number[]): BenchStats {
  if (samples.length === 0) return {};
  if (samples.length === 1) return { mean: samples[0], median: samples[0], min: samples[0], max: samples[0] };
  return {
    mean: mean(samples),
    median: median(samples),
    min: min(samples),
    max: max(samples),
    stddev: standardDeviation(samples),
  };
}

/** Groups items by a key, keeping first-seen order — tools list a benchmark's repetitions together or not. */
export function groupInOrder<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Keeps names distinct within one report: a second benchmark that sanitises to the same name gets
 * `_2`, a third `_3`, in file order — so both stay addressable instead of one hiding the other.
 */
export function uniqueName(used: Set<string>, name: string): string {
  let candidate = name;
  for (let i = 2; used.has(candidate); i++) candidate = `${name}_${i}`;
  used.add(candidate);
  return candidate;
}

/** Finite number or undefined: benchmark files carry nulls and strings where a stat is missing. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Multiplies a stat when present. */
export function scaled(v: number | undefined, factor: number): number | undefined {
  return v === undefined ? undefined : v * factor;
}
