/**
 * Durations and sizes as users write them. Strict grammars on purpose: `10 minutes` or `10M` are
 * ambiguous, so they are errors with a hint rather than guesses.
 */
import { BYTES_PER_UNIT } from '../util/size-units.js';

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** `30s`, `5m`, `1h30m`, `250ms` → milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!DURATION_RE.test(s)) return undefined;
  let total = 0;
  for (const [, n, unit] of s.matchAll(DURATION_PART_RE)) total += Number(n) * DURATION_UNITS_MS[unit!]!;
  return Math.round(total);
}

export const DURATION_HINT = 'write a number with a unit: 250ms, 30s, 5m, 1h30m';

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)$/i;

/** `10MB`, `512KiB`, `1.5GB`, `100B` → bytes; a bare number is bytes. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.round(text) : undefined;
  const m = SIZE_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * BYTES_PER_UNIT[m[2]!.toLowerCase()]!);
}

export const SIZE_HINT = 'write a number with a unit: 512B, 10KB, 10MB, 512KiB, 1GiB (KB = 1000 bytes, KiB = 1024)';
