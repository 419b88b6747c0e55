/**
 * The building blocks of the configuration schema: durations, sizes, percentages, URLs. Shared by
 * `schema.ts` and by the check kinds (`checks/`), whose own keys are written with the same words.
 */
import { z } from 'zod';
import { DURATION_HINT, SIZE_HINT, parseDuration, parseSize } from './values.js';

export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Timers in Node hold at most 2^31-1 ms (about 24.8 days); longer ones would fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;
/** Longer spans that are never timers (an approval's validity, a quarantine's reach): up to ten years. */
export const MAX_SPAN_MS = 10 * 366 * 86_400_000;

export const duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, {
    message: `not a duration; ${DURATION_HINT}`,
    params: { code: 'CONFIG_DURATION' },
  })
  .refine((s) => {
    const ms = parseDuration(s);
    return ms === undefined || (ms > 0 && ms <= MAX_DURATION_MS);
  }, { message: 'a duration must be more than 0 and at most 24d', params: { code: 'CONFIG_DURATION' } })
  .meta({ description: 'A duration: 250ms, 30s, 5m, 1h30m', examples: ['30s', '10m'] });

/** A duration that is never a timer, so it may be longer than 24 days. */
export const span = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, { message: `not a duration; ${DURATION_HINT}`, params: { code: 'CONFIG_DURATION' } })
  .refine((s) => {
    const ms = parseDuration(s);
    return ms === undefined || (ms > 0 && ms <= MAX_SPAN_MS);
  }, { message: 'a span must be more than 0 and at most 10 years', params: { code: 'CONFIG_DURATION' } })
  .meta({ description: 'A span of time: 12h, 30d, 90d', examples: ['30d'] });

export const size = z
  .union([z.string(), z.number().nonnegative()])
  .refine((s) => parseSize(s) !== undefined, { message: `not a size; ${SIZE_HINT}`, params: { code: 'CONFIG_SIZE' } })
  .meta({ description: 'A size: 512B, 10KB, 10MB, 512KiB (KB = 1000 bytes, KiB = 1024)', examples: ['10MB'] });

export const percent = z
  .union([z.string().regex(/^\d+(\.\d+)?%$/, 'write a percentage like 10%'), z.number().nonnegative()])
  .meta({ description: 'A percentage, e.g. 10%' });

export const severity = z.enum(['block', 'warn', 'info']).meta({
  description: 'block: a failure blocks the release (P0); warn: reported, does not block (P1); info: informs only (P2)',
});

export const envMap = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .meta({ description: 'Environment variables for the process' });

export const url = z.string().min(1);
