/**
 * What a load run measured, judged. Pure: counts and a latency histogram's percentiles in,
 * checks and metrics out.
 *
 * A load result proves something only when the load really happened: zero completed requests is
 * no data (fail); a generator that could not send what it was asked (achieved rate below 95 % of
 * the target) or that saturated its own CPU measured itself, not the service — the result is
 * inconclusive, which fails unless the gate says `inconclusive: warn` or `pass`.
 */
import type { Metric } from '../model/evidence.js';
import type { Check } from '../model/types.js';

export type Inconclusive = 'fail' | 'warn' | 'pass';

export interface LoadMeasured {
  /** Responses received (any status). */
  responses: number;
  non2xx: number;
  /** Connection errors (refused, reset) and timeouts. */
  errors: number;
  timeouts: number;
  /** Measured phase length (warm-up excluded), ms. */
  durationMs: number;
  /** Latency percentiles over every response of the measured phase, ms. */
  latency: { p50: number; p90: number; p95: number; p99: number; max: number };
  /** The generator's own CPU time over the wall time of the measured phase (1 = one core busy). */
  cpuFraction: number;
}

export interface LoadTarget {
  /** Open model: requests per second asked for. */
  rate?: number;
  connections: number;
  inconclusive: Inconclusive;
}

/** Above this share of one core the generator measured itself. */
export const CPU_SATURATED = 0.9;
/** Below this share of the target rate, the load asked for did not happen. */
export const MIN_ACHIEVED = 0.95;

export function judgeLoad(target: LoadTarget, m: LoadMeasured): { checks: Check[]; metrics: Metric[] } {
  const checks: Check[] = [];
  const attempted = m.responses + m.errors + m.timeouts;
  const rps = m.durationMs > 0 ? (m.responses * 1000) / m.durationMs : 0;

  if (m.responses === 0) {
    checks.push({
      check: 'load requests completed',
      expected: '> 0',
      actual: attempted === 0 ? '0 requests sent' : `0 of ${attempted} requests completed (${m.errors} errors, ${m.timeouts} timeouts)`,
      ok: false,
      message: 'no response was measured: is the service up at the URL, and does it answer within the timeout? No data is never a pass',
    });
    return { checks, metrics: [] };
  }

  const inconclusive = (check: string, expected: string, actual: string, message: string) => {
    checks.push({
      check,
      expected,
      actual,
      ok: target.inconclusive === 'pass',
      ...(target.inconclusive === 'fail' ? {} : { severity: 'warn' as const }),
      message: `${message}; the result is inconclusive (inconclusive: ${target.inconclusive})`,
    });
  };
  if (target.rate !== undefined) {
    const achieved = rps / target.rate;
    if (achieved < MIN_ACHIEVED) {
      inconclusive(
        'load achieved rate',
        `>= ${Math.round(MIN_ACHIEVED * 100)}% of ${target.rate}/s`,
        `${rps.toFixed(1)}/s (${(achieved * 100).toFixed(1)}%)`,
        'the generator could not send the rate asked for (the service held it back, or too few connections)',
      );
    } else {
      checks.push({ check: 'load achieved rate', expected: `>= ${Math.round(MIN_ACHIEVED * 100)}% of ${target.rate}/s`, actual: `${rps.toFixed(1)}/s`, ok: true });
    }
  }
  if (m.cpuFraction > CPU_SATURATED) {
    inconclusive('load generator CPU', `<= ${Math.round(CPU_SATURATED * 100)}% of one core`, `${Math.round(m.cpuFraction * 100)}%`, 'the load generator saturated its own CPU, so latencies include its own queueing');
  }

  const failed = m.non2xx + m.errors + m.timeouts;
  const metrics: Metric[] = [
    { name: 'metric.load.latency.p50', value: m.latency.p50, unit: 'ms' },
    { name: 'metric.load.latency.p90', value: m.latency.p90, unit: 'ms' },
    { name: 'metric.load.latency.p95', value: m.latency.p95, unit: 'ms' },
    { name: 'metric.load.latency.p99', value: m.latency.p99, unit: 'ms' },
    { name: 'metric.load.latency.max', value: m.latency.max, unit: 'ms' },
    { name: 'metric.load.requests.rate', value: rps },
    { name: 'metric.load.requests.total', value: m.responses },
    { name: 'metric.load.errors.rate', value: attempted ? failed / attempted : 0 },
    { name: 'metric.load.errors.total', value: failed },
    { name: 'metric.load.generator.cpu', value: m.cpuFraction },
  ];
  checks.push({
    check: 'load requests completed',
    expected: '> 0',
    actual: `${m.responses} in ${(m.durationMs / 1000).toFixed(1)} s (${failed} failed: ${m.non2xx} non-2xx, ${m.errors} errors, ${m.timeouts} timeouts)`,
    ok: true,
  });
  return { checks, metrics };
}
