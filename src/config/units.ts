/**
 * Values with units, as the expect language and drift checks write them. Every known unit belongs
 * to one dimension with one canonical unit — the same canonical units the evidence model uses
 * (time in `ms`, sizes in `B`, percentages in `%`) — so a comparison converts once and never guesses.
 * Sizes follow the standards: `KB`/`MB`/`GB` are decimal (1000), `KiB`/`MiB`/`GiB` binary (1024).
 */

export type Dimension = 'time' | 'size' | 'percent' | 'size-rate' | 'count-rate';

interface UnitDef {
  dim: Dimension;
  /** How many canonical units one of this unit is. */
  factor: number;
}

const UNIT_TABLE: Record<string, UnitDef> = {
  '%': { dim: 'percent', factor: 1 },
  ns: { dim: 'time', factor: 1e-6 },
  us: { dim: 'time', factor: 1e-3 },
  µs: { dim: 'time', factor: 1e-3 },
  ms: { dim: 'time', factor: 1 },
  s: { dim: 'time', factor: 1000 },
  m: { dim: 'time', factor: 60_000 },
  B: { dim: 'size', factor: 1 },
  KB: { dim: 'size', factor: 1e3 },
  kB: { dim: 'size', factor: 1e3 },
  MB: { dim: 'size', factor: 1e6 },
  GB: { dim: 'size', factor: 1e9 },
  KiB: { dim: 'size', factor: 1024 },
  MiB: { dim: 'size', factor: 1024 ** 2 },
  GiB: { dim: 'size', factor: 1024 ** 3 },
};

/**
 * Rates over time (a soak's slope: `1MB/min`, `10/min`) are kept per minute: sizes as `B/min`,
 * counts as `/min`. Each size unit with `/s`, `/min` or `/h`, and a bare `/s`, `/min`, `/h`.
 */
const PER_MINUTE: Record<string, number> = { s: 60, min: 1, h: 1 / 60 };
for (const [per, f] of Object.entries(PER_MINUTE)) {
  UNIT_TABLE[`/${per}`] = { dim: 'count-rate', factor: f };
  for (const [name, def] of Object.entries(UNIT_TABLE)) if (def.dim === 'size') UNIT_TABLE[`${name}/${per}`] = { dim: 'size-rate', factor: def.factor * f };
}

/** The units a hint lists: the plain ones and a rate of each kind (every size takes /s, /min, /h). */
export const SHOWN_UNITS: readonly string[] = [...Object.keys(UNIT_TABLE).filter((u) => !u.includes('/')), 'MB/min', '/min'];

export const CANONICAL_UNIT: Record<Dimension, string> = { time: 'ms', size: 'B', percent: '%', 'size-rate': 'B/min', 'count-rate': '/min' };

/** The units a user may write, for messages and did-you-mean hints. */
export const KNOWN_UNITS: readonly string[] = Object.keys(UNIT_TABLE);

export function isKnownUnit(unit: string): boolean {
  return Object.hasOwn(UNIT_TABLE, unit);
}

/** The dimension of a unit, or undefined for a unit we do not know how to convert (e.g. `req/s`). */
export function dimensionOf(unit: string | undefined): Dimension | undefined {
  if (unit === undefined || !isKnownUnit(unit)) return undefined;
  return UNIT_TABLE[unit]?.dim;
}

/** Convert `value` in `unit` to its dimension's canonical unit; unknown units pass through unchanged. */
export function toCanonical(value: number, unit: string | undefined): { value: number; unit?: string } {
  if (unit === undefined) return { value };
  const def = isKnownUnit(unit) ? UNIT_TABLE[unit] : undefined;
  if (!def) return { value, unit };
  return { value: value * def.factor, unit: CANONICAL_UNIT[def.dim] };
}

/** Convert a canonical value into `unit` (which must share its dimension). */
export function fromCanonical(value: number, unit: string): number {
  const def = isKnownUnit(unit) ? UNIT_TABLE[unit] : undefined;
  return def ? value / def.factor : value;
}

const NUMBER_WITH_UNIT = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S*)$/;

export type ParsedQuantity =
  | { ok: true; value: number; unit?: string }
  | { ok: false; reason: 'number' | 'unit'; unitText?: string };

/**
 * Parse `12.5ms`, `10 MB`, `65%`, `17` into a canonical value. Pure; callers turn failures into
 * their own errors (the expect parser needs a column, a config loader a field path).
 */
export function parseQuantity(text: string): ParsedQuantity {
  const m = NUMBER_WITH_UNIT.exec(text.trim());
  if (!m) return { ok: false, reason: 'number' };
  const value = Number(m[1]);
  if (!Number.isFinite(value)) return { ok: false, reason: 'number' };
  const unitText = m[2] ?? '';
  if (unitText === '') return { ok: true, value };
  if (!isKnownUnit(unitText)) return { ok: false, reason: 'unit', unitText };
  const c = toCanonical(value, unitText);
  return { ok: true, value: c.value, unit: c.unit };
}

/** A short, stable rendering of a number: integers as is, others to 4 significant digits. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) >= 1000) return String(Math.round(n * 10) / 10);
  return String(Number(n.toPrecision(4)));
}

const TIME_STEPS: [string, number][] = [
  ['s', 1000],
  ['ms', 1],
  ['us', 1e-3],
  ['ns', 1e-6],
];
const SIZE_STEPS: [string, number][] = [
  ['GB', 1e9],
  ['MB', 1e6],
  ['KB', 1e3],
  ['B', 1],
];

/**
 * Render a canonical value for people. With `preferUnit` (the unit the user wrote) the value is
 * shown in that unit so `actual` reads side by side with `expected`; otherwise times and sizes
 * are scaled to a readable unit.
 */
export function formatQuantity(value: number, unit: string | undefined, preferUnit?: string): string {
  if (unit === undefined) return formatNumber(value);
  const dim = dimensionOf(unit);
  if (dim === undefined) return `${formatNumber(value)} ${unit}`;
  if (dim === 'percent') return `${formatNumber(value)}%`;
  if (preferUnit !== undefined && dimensionOf(preferUnit) === dim) {
    return `${formatNumber(fromCanonical(value, preferUnit))}${preferUnit}`;
  }
  if (dim === 'count-rate') return `${formatNumber(value)}/min`;
  const steps = dim === 'time' ? TIME_STEPS : SIZE_STEPS;
  const suffix = dim === 'size-rate' ? '/min' : '';
  const abs = Math.abs(value);
  const step = steps.find(([, f]) => abs >= f) ?? steps[steps.length - 1];
  if (!step || value === 0) return `0${CANONICAL_UNIT[dim]}`;
  return `${formatNumber(value / step[1])}${step[0]}${suffix}`;
}
