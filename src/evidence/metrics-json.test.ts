import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricsJsonParser } from './metrics-json.js';

const fx = (name: string): string => join(import.meta.dirname, '../../test/fixtures/evidence/metrics', name);

describe('metrics JSON', () => {
  it('reads numbers and {value, unit}, making units canonical', async () => {
    const { metrics } = await metricsJsonParser.parse(fx('metrics.json'), { displayPath: 'm.json' });
    expect(metrics).toEqual([
      { name: 'metric.retrieval_mrr', value: 0.78, source: 'm.json' },
      { name: 'metric.image_size', value: 182_000_000, unit: 'B', source: 'm.json' },
      { name: 'metric.bundle_size', value: 1.5 * 1024 * 1024, unit: 'B', source: 'm.json' },
      { name: 'metric.cold_start', value: 1200, unit: 'ms', source: 'm.json' },
      { name: 'metric.accuracy', value: 91.5, unit: '%', source: 'm.json' },
      { name: 'metric.tokens', value: 1200, unit: 'tokens', source: 'm.json' },
    ]);
  });

  it.each([
    ['bad-value.json', 'EVIDENCE_MALFORMED', /"broken"/],
    ['null-value.json', 'EVIDENCE_MALFORMED', /"size"/],
    ['dotted-name.json', 'EVIDENCE_MALFORMED', /model\.accuracy/],
    ['empty-metrics.json', 'EVIDENCE_EMPTY', /empty/],
  ])('rejects %s', async (file, code, message) => {
    const err = await metricsJsonParser.parse(fx(file), { displayPath: file }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code, file });
    expect((err as Error).message).toMatch(message);
  });
});
