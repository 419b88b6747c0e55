import { z } from 'zod';
import { StoreError } from '../../errors.js';
import type { BaselineExport } from '../store.js';

export const BASELINE_FORMAT = 'shipgate-baseline/1';

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a valid timestamp');

const sampleSchema = z.object({
  /** The gate that measured it (absent in files that predate per-gate baselines: then any gate). */
  gate: z.string().min(1).optional(),
  value: z.number().refine(Number.isFinite, 'not a finite number'),
  runId: z.string().min(1),
  version: z.string(),
  commit: z.string().nullable(),
  startedAt: isoTime,
  branch: z.string().nullable(),
});

const exportSchema = z.object({
  format: z.literal(BASELINE_FORMAT),
  project: z.string().min(1),
  branch: z.string().min(1),
  exportedAt: isoTime,
  metrics: z.array(
    z.object({
      name: z.string().min(1),
      unit: z.string().optional(),
      samples: z.array(sampleSchema),
    }),
  ),
});

/** Check a baseline document (usually read from a JSON file). Throws StoreError BASELINE_FORMAT naming the first problems. */
export function parseBaselineExport(data: unknown): BaselineExport {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new StoreError('BASELINE_FORMAT', 'the baseline is not a JSON object', {
      hint: `export one with \`shipgate baseline export\` (format ${BASELINE_FORMAT})`,
    });
  }
  const format = (data as { format?: unknown }).format;
  if (format !== BASELINE_FORMAT) {
    throw new StoreError('BASELINE_FORMAT', `unsupported baseline format ${JSON.stringify(format ?? null)}; expected "${BASELINE_FORMAT}"`, {
      hint: 'use a file written by `shipgate baseline export`',
    });
  }
  const parsed = exportSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new StoreError('BASELINE_FORMAT', `the baseline is malformed: ${problems}`, {
      hint: 'fix the file or export it again with `shipgate baseline export`',
    });
  }
  return parsed.data as BaselineExport;
}
