import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUCKETS, createMetrics, escapeLabel } from '../../src/api/metrics.mjs';

/** The value of one sample line, or undefined when there is no such line. */
function sample(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('request metrics', () => {
  test('counts answers by route, method and code', () => {
    const m = createMetrics();
    m.observe({ route: '/api/items', method: 'GET', status: 200, seconds: 0.002 });
    m.observe({ route: '/api/items', method: 'GET', status: 200, seconds: 0.003 });
    m.observe({ route: '/api/items', method: 'GET', status: 500, seconds: 0.001 });
    const text = m.render();
    assert.equal(sample(text, 'demo_http_requests_total{route="/api/items",method="GET",code="200"}'), 2);
    assert.equal(sample(text, 'demo_http_requests_total{route="/api/items",method="GET",code="500"}'), 1);
    assert.match(text, /^# TYPE demo_http_requests_total counter$/m);
    assert.ok(text.endsWith('\n'), 'the text format ends with a newline');
  });

  test('keeps a cumulative histogram: every bucket holds what the smaller ones hold, +Inf the count', () => {
    const m = createMetrics();
    for (const seconds of [0.001, 0.02, 0.02, 0.3, 7]) m.observe({ route: '/api/items', method: 'GET', status: 200, seconds });
    const text = m.render();
    const buckets = BUCKETS.map((le) => sample(text, `demo_http_request_duration_seconds_bucket{route="/api/items",le="${le}"}`));
    assert.deepEqual(buckets, [1, 1, 3, 3, 3, 3, 4, 4, 4]);
    assert.equal(sample(text, 'demo_http_request_duration_seconds_bucket{route="/api/items",le="+Inf"}'), 5);
    assert.equal(sample(text, 'demo_http_request_duration_seconds_count{route="/api/items"}'), 5);
    assert.ok(Math.abs(sample(text, 'demo_http_request_duration_seconds_sum{route="/api/items"}') - 7.341) < 1e-9);
  });

  test('HOSTILE: a label value cannot close its label or start a line; an odd method is "other"', () => {
    assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
    const m = createMetrics();
    m.observe({ route: 'x"} 1\nfake_total 99', method: 'BREW', status: 418, seconds: 0 });
    const lines = m.render().split('\n');
    assert.equal(lines.some((l) => l.startsWith('fake_total')), false);
    assert.ok(lines.includes('demo_http_requests_total{route="x\\"} 1\\nfake_total 99",method="other",code="418"} 1'));
  });

  test('an API that answered nothing yet still exposes both families, with no samples', () => {
    const text = createMetrics().render();
    assert.match(text, /# TYPE demo_http_request_duration_seconds histogram/);
    assert.equal(text.split('\n').filter((l) => l && !l.startsWith('#')).length, 0);
  });
});
