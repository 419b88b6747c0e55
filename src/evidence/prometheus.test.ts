import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSampleLine, prometheusParser } from './prometheus.js';

const fx = (name: string): string => join(import.meta.dirname, '../../test/fixtures/evidence/metrics', name);

describe('prometheus text', () => {
  it('names labelled series canonically and converts _seconds families to ms', async () => {
    const { metrics } = await prometheusParser.parse(fx('scrape.prom'), { displayPath: 'scrape.prom' });
    const byName = new Map(metrics!.map((m) => [m.name, m]));
    expect(byName.get('metric.http_requests_total{code="200",method="post"}')?.value).toBe(1027);
    expect(byName.get('metric.http_requests_total{code="400",method="post"}')?.value).toBe(3);
    expect(byName.get('metric.request_duration_seconds_bucket{le="+Inf"}')).toEqual({
      name: 'metric.request_duration_seconds_bucket{le="+Inf"}',
      value: 144320,
      source: 'scrape.prom',
    });
    expect(byName.get('metric.request_duration_seconds_sum')).toMatchObject({ value: 53423500, unit: 'ms' });
    expect(byName.get('metric.request_duration_seconds_count')?.unit).toBeUndefined();
    expect(byName.get('metric.rpc_duration_seconds{quantile="0.99"}')).toMatchObject({ value: 76, unit: 'ms' });
    expect(byName.get('metric.image_bytes')).toMatchObject({ value: 190000000, unit: 'B' });
    expect(byName.get('metric.model_accuracy')?.value).toBe(0.912);
    expect(byName.get('metric.msdos_file_access_time_seconds{error="Cannot find file:\\n\\"FILE.TXT\\"",path="C:\\\\DIR\\\\FILE.TXT"}')?.value).toBe(1.458255915e12);
    // NaN and +Inf samples cannot be compared and are left out
    expect(byName.has('metric.queue_ratio')).toBe(false);
    expect(byName.has('metric.cache_free')).toBe(false);
  });

  it('reads OpenMetrics with UNIT, exemplars and # EOF', async () => {
    const { metrics } = await prometheusParser.parse(fx('openmetrics.txt'), { displayPath: 'om.txt' });
    expect(metrics!.map((m) => [m.name, m.value, m.unit])).toEqual([
      ['metric.build_info{version="1.2.3"}', 1, undefined],
      ['metric.latency_seconds', 250, 'ms'],
      ['metric.jobs_total', 17, undefined],
    ]);
  });

  it.each([
    ['after-eof.prom', 4],
    ['duplicate.prom', 2],
    ['bad-label.prom', 2],
  ])('rejects %s at line %i', async (file, line) => {
    await expect(prometheusParser.parse(fx(file), { displayPath: file })).rejects.toMatchObject({ code: 'EVIDENCE_MALFORMED', location: { line } });
  });

  it('parses sample lines', () => {
    expect(parseSampleLine('a_b:c{x="1",y="a\\"b",} -1.5e3 1700000000')).toEqual({ name: 'a_b:c', labels: [['x', '1'], ['y', 'a"b']], value: -1500 });
    expect(() => parseSampleLine('a{x="1"')).toThrow();
    expect(() => parseSampleLine('a 12abc')).toThrow();
  });

  it('sniffs exposition text and nothing else', () => {
    expect(prometheusParser.sniff('# HELP up Up.\n# TYPE up gauge\nup 1\n')).toBe(true);
    expect(prometheusParser.sniff('up{job="x"} 1\nother 2\n')).toBe(true);
    expect(prometheusParser.sniff('PASS\nok  \tpkg\t0.1s\n')).toBe(false);
    expect(prometheusParser.sniff('TN:\nSF:a.js\n')).toBe(false);
  });
});
