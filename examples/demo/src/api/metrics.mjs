// Request metrics in the Prometheus text format (version 0.0.4), for GET /metrics: a counter of
// answers by route, method and status code, and a latency histogram by route. Pure apart from the
// counts it holds, so the exposition format is unit tested.

/** Upper bounds of the latency buckets, in seconds (+Inf is added). */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * A label value as the text format needs it: backslash, double quote and newline escaped, so a
 * value can never close its label or start a line of its own.
 * @param {string} value
 */
export function escapeLabel(value) {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** @param {Record<string, string>} labels */
function labelText(labels) {
  return `{${Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/**
 * Route labels are route patterns (`/api/items/:id`), never raw paths, and methods outside the
 * usual set are `other`: what a client sends must not mint a new series per request.
 */
export function createMetrics() {
  /** @type {Map<string, { labels: Record<string, string>, value: number }>} */
  const requests = new Map();
  /** @type {Map<string, { route: string, counts: number[], sum: number, count: number }>} */
  const durations = new Map();

  return {
    /**
     * @param {{ route: string, method: string, status: number, seconds: number }} answer
     */
    observe({ route, method, status, seconds }) {
      const labels = { route, method: METHODS.has(method) ? method : 'other', code: String(status) };
      const key = JSON.stringify(labels);
      const entry = requests.get(key) ?? { labels, value: 0 };
      entry.value += 1;
      requests.set(key, entry);

      const d = durations.get(route) ?? { route, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      BUCKETS.forEach((le, i) => {
        if (seconds <= le) d.counts[i] += 1;
      });
      d.sum += seconds;
      d.count += 1;
      durations.set(route, d);
    },

    /** @returns {string} */
    render() {
      const lines = [
        '# HELP demo_http_requests_total Requests answered, by route pattern, method and status code.',
        '# TYPE demo_http_requests_total counter',
      ];
      for (const { labels, value } of requests.values()) lines.push(`demo_http_requests_total${labelText(labels)} ${value}`);
      lines.push(
        '# HELP demo_http_request_duration_seconds Time to answer, by route pattern.',
        '# TYPE demo_http_request_duration_seconds histogram',
      );
      for (const d of durations.values()) {
        BUCKETS.forEach((le, i) => lines.push(`demo_http_request_duration_seconds_bucket${labelText({ route: d.route, le: String(le) })} ${d.counts[i]}`));
        lines.push(`demo_http_request_duration_seconds_bucket${labelText({ route: d.route, le: '+Inf' })} ${d.count}`);
        lines.push(`demo_http_request_duration_seconds_sum${labelText({ route: d.route })} ${d.sum}`);
        lines.push(`demo_http_request_duration_seconds_count${labelText({ route: d.route })} ${d.count}`);
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
