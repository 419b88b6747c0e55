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

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The instant a rule's `until` ends. A bare date means "through that day" (UTC), so
 * `until: 2026-03-01` still exempts on March 1st and blocks from March 2nd. Returns undefined for
 * text that is not a date — config validation reports it; the matcher treats it as expired.
 */
export function untilInstant(until: string): Date | undefined {
  const m = DATE_ONLY.exec(until.trim());
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1));
    // Date.UTC rolls 2026-02-30 into March; a rolled date is a typo, not a date.
    const check = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (check.getUTCMonth() !== Number(m[2]) - 1 || check.getUTCDate() !== Number(m[3])) return undefined;
    return d;
  }
  // Only full ISO timestamps: Date.parse accepts many loose forms we do not want to guess at.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(until.trim())) return undefined;
  const t = Date.parse(until);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** A message for a bad `until`, or undefined when it is a usable date. */
export function validateUntil(until: string): string | undefined {
  return untilInstant(until)
    ? undefined
    : `"${until}" is not a date; write YYYY-MM-DD (quarantined through that day, UTC) or a full ISO timestamp with zone`;
}
