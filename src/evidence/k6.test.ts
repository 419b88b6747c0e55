import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Metric } from './model.js';
import { k6SummaryParser } from './k6.js';
import { metricsJsonParser } from './metrics-json.js';

const fx = (name: string): string => join(import.meta.dirname, '../../test/fixtures/evidence/k6', name);
const find = (ms: Metric[] | undefined, name: string): Metric | undefined => ms?.find((m) => m.name === name);

describe('k6 --summary-export', () => {
  it('names stats, keeps tag sets, and units trends in ms', async () => {
    const part = await k6SummaryParser.parse(fx('summary-export.json'), { displayPath: 'k6.json' });
    expect(find(part.metrics, 'metric.http_req_duration.p95')).toEqual({ name: 'metric.http_req_duration.p95', value: 240.5, unit: 'ms', source: 'k6.json' });
    expect(find(part.metrics, 'metric.http_req_duration.p99_9')?.value).toBe(880.1);
    expect(find(part.metrics, 'metric.http_req_duration{expected_response:true}.med')?.value).toBe(69.9);
    expect(find(part.metrics, 'metric.checks.rate')).toMatchObject({ value: 0.97 });
    expect(find(part.metrics, 'metric.checks.rate')?.unit).toBeUndefined();
    expect(find(part.metrics, 'metric.checks.fails')?.value).toBe(30);
    expect(find(part.metrics, 'metric.http_reqs.rate')).toMatchObject({ value: 33.3, unit: '/s' });
    expect(find(part.metrics, 'metric.data_received.count')).toMatchObject({ value: 2048000, unit: 'B' });
    expect(find(part.metrics, 'metric.vus.value')?.value).toBe(10);
  });

  it('reads a true threshold boolean as failed', async () => {
    const { thresholds } = await k6SummaryParser.parse(fx('summary-export.json'), { displayPath: 'k6.json' });
    expect(thresholds).toEqual([
      { metric: 'http_req_duration', expression: 'p(95)<200', ok: false, source: 'k6.json' },
      { metric: 'http_req_duration', expression: 'avg<100', ok: true, source: 'k6.json' },
      { metric: 'http_req_failed', expression: 'rate<0.01', ok: false, source: 'k6.json' },
    ]);
  });
});

describe('k6 handleSummary JSON', () => {
  it('reads typed metrics, their units and {ok} thresholds', async () => {
    const part = await k6SummaryParser.parse(fx('handle-summary.json'), { displayPath: 'summary.json' });
    expect(find(part.metrics, 'metric.http_req_duration.p95')).toMatchObject({ value: 95.5, unit: 'ms' });
    expect(find(part.metrics, 'metric.custom_latency.avg')).toMatchObject({ value: 3.5, unit: 'ms' });
    expect(find(part.metrics, 'metric.checks.rate')?.value).toBe(1);
    expect(find(part.metrics, 'metric.data_sent.count')).toMatchObject({ value: 4096, unit: 'B' });
    expect(find(part.metrics, 'metric.queue_depth.max')?.value).toBe(12);
    expect(part.thresholds?.map((t) => [t.expression, t.ok])).toEqual([
      ['p(95)<200', true],
      ['max<100', false],
    ]);
  });

  it('sniffs k6 files and leaves plain metrics files alone', () => {
    expect(k6SummaryParser.sniff('{\n "root_group": {')).toBe(true);
    expect(k6SummaryParser.sniff('{"metrics": {"http_req_duration": {"avg": 1, "p(95)": 2}}}')).toBe(true);
    const plain = '{"metrics": {"retrieval_mrr": 0.78, "image_size": {"value": 182, "unit": "MB"}}}';
    expect(k6SummaryParser.sniff(plain)).toBe(false);
    expect(metricsJsonParser.sniff(plain)).toBe(true);
  });
});
