/**
 * `load:` — HTTP load at a service the gate uses, generated in-process with autocannon, latencies
 * recorded in an HdrHistogram of our own (every response, any status). Closed model
 * (`connections`, `duration`) or open model (`rate: 500/s`, latencies corrected for coordinated
 * omission against the intended send interval). A warm-up phase runs first and is left out.
 *
 * Metrics: metric.load.latency.{p50,p90,p95,p99,max} (ms), metric.load.requests.{rate,total},
 * metric.load.errors.{rate,total} (non-2xx, connection errors, timeouts), metric.load.generator.cpu.
 * The generator checks itself (see load-judge.ts): zero responses fail; a missed rate or a
 * saturated generator is inconclusive and fails unless `inconclusive:` says otherwise.
 */
import type autocannon from 'autocannon';
import type * as Hdr from 'hdr-histogram-js';
import { z } from 'zod';
import { deferred, once } from '../config/deferred.js';
import { duration, url } from '../config/fields.js';
import { interpolateText } from '../config/interpolate.js';
import { parseDuration } from '../config/values.js';
import type { Check } from '../model/types.js';
import type { FieldPath } from '../config/locate.js';
import { defineCheckKind, type CheckContext, type RuleContext } from './kind.js';
import { judgeLoad, type Inconclusive, type LoadMeasured } from './load-judge.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
type Method = (typeof METHODS)[number];
const RATE_RE = /^(\d+(?:\.\d+)?)\s*\/\s*s$/;
const MAX_CONNECTIONS = 10_000;

const requestSchema = deferred(() =>
  z.strictObject({
    url: url.meta({ description: 'Request URL (same origin as the others)' }),
    method: z.enum(METHODS).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional().meta({ description: 'An object or array is sent as JSON' }),
    weight: z.number().int().min(1).max(1000).optional().meta({ description: 'Relative share of the traffic (default 1)' }),
  })
);

/** The load schema itself, for a kind that takes part of it (canary's `load`). */
export const loadObject = once(() =>
  z.strictObject({
    url: url.optional().meta({ description: 'The URL to load (or `requests:` for several weighted ones)' }),
    method: z.enum(METHODS).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
    requests: z.array(requestSchema).min(1).optional().meta({ description: 'Several requests, chosen by weight' }),
    connections: z.number().int().min(1).max(MAX_CONNECTIONS).optional().meta({ description: 'Concurrent connections (closed model; default 10)' }),
    rate: z.string().optional().meta({ description: 'Open model: requests per second across all connections, e.g. 500/s' }),
    duration: duration.optional().meta({ description: 'Measured phase (default 10s)' }),
    warmup: duration.optional().meta({ description: 'Load first for this long, left out of the results (default none)' }),
    timeout: duration.optional().meta({ description: 'A request unanswered this long counts as a timeout (default 10s)' }),
    inconclusive: z.enum(['fail', 'warn', 'pass']).optional().meta({ description: 'When the generator could not do what it was asked (rate below 95% of the target, its own CPU saturated): fail (default), warn, pass' }),
  })
);

export const loadSchema = deferred(loadObject);

export type UserLoad = z.input<typeof loadSchema>;

export interface LoadRequest {
  url: string;
  method: Method;
  headers: Record<string, string>;
  body?: string;
  weight: number;
}

export interface LoadConfig {
  requests: LoadRequest[];
  connections: number;
  rate?: number;
  durationMs: number;
  warmupMs: number;
  timeoutMs: number;
  inconclusive: Inconclusive;
}

export function parseRate(text: string | undefined): number | undefined {
  const m = text === undefined ? null : RATE_RE.exec(text.trim());
  return m ? Number(m[1]) : undefined;
}

/** How hard and how long to load, whatever is loaded: also the canary's `load:` (canary-load.ts). */
export type LoadShape = Omit<LoadConfig, 'requests'>;

export function normalizeShape(u: Pick<UserLoad, 'connections' | 'rate' | 'duration' | 'warmup' | 'timeout' | 'inconclusive'>, defaultDurationMs: number): LoadShape {
  return {
    connections: u.connections ?? 10,
    ...(u.rate !== undefined ? { rate: parseRate(u.rate)! } : {}),
    durationMs: u.duration ? parseDuration(u.duration)! : defaultDurationMs,
    warmupMs: u.warmup ? parseDuration(u.warmup)! : 0,
    timeoutMs: u.timeout ? parseDuration(u.timeout)! : 10_000,
    inconclusive: u.inconclusive ?? 'fail',
  };
}

/** `rate:` must be N/s, more than 0. */
export function checkRate(rate: unknown, at: FieldPath, ctx: RuleContext): void {
  if (rate !== undefined && (typeof rate !== 'string' || !parseRate(rate) || parseRate(rate)! <= 0)) {
    ctx.push('CONFIG_VALUE', `not a rate: ${JSON.stringify(rate)}`, at, 'write requests per second, e.g. 500/s');
  }
}

function toRequest(r: { url?: string; method?: Method; headers?: Record<string, string>; body?: unknown; weight?: number }): LoadRequest {
  const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const body = r.body === undefined ? undefined : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  if (body !== undefined && typeof r.body !== 'string' && !('content-type' in headers)) headers['content-type'] = 'application/json';
  return { url: r.url!, method: r.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}), weight: r.weight ?? 1 };
}

/**
 * The order requests go out in: smooth weighted round-robin (deterministic, so two runs of one
 * gate send the same mix; a weight of 3 against 1 is three in every four, spread out).
 */
export function weightedOrder(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const order: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    order.push(best);
  }
  return order;
}

export interface Phase {
  measured: LoadMeasured;
  startMs: number;
  endMs: number;
}

/** Hears every response of a phase: its status and latency (ms, uncorrected). */
export type OnResponse = (status: number, ms: number) => void;

/**
 * autocannon and hdr-histogram-js load only when a load runs: every command reads this module (the
 * config schema is made of the check kinds), and they cost more to load than `validate` does.
 */
let generator: Promise<{ autocannon: typeof autocannon; hdr: typeof Hdr }> | undefined;
const loadGenerator = () => (generator ??= Promise.all([import('autocannon'), import('hdr-histogram-js')]).then(([a, hdr]) => ({ autocannon: a.default, hdr })));

/** One phase of load: `ms` long, every response recorded (and told to `onResponse`, if given). */
export async function runLoadPhase(cfg: LoadConfig, ms: number, signal: AbortSignal, onResponse?: OnResponse): Promise<Phase> {
  const { autocannon, hdr } = await loadGenerator();
  const origin = new URL(cfg.requests[0]!.url);
  // Every request written out once, in the weighted order: autocannon builds a fixed request's
  // bytes once and reuses them, where a per-request callback would rebuild them every time.
  const requests = weightedOrder(cfg.requests.map((r) => r.weight)).map((i) => {
    const r = cfg.requests[i]!;
    const u = new URL(r.url);
    return { method: r.method, path: `${u.pathname}${u.search}`, headers: { ...r.headers, host: u.host }, ...(r.body !== undefined ? { body: r.body } : {}) };
  });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  // Open model: each connection is meant to send every connections/rate seconds; a response
  // slower than that hid the requests that should have gone out meanwhile (coordinated omission).
  const expectedIntervalUs = cfg.rate ? Math.round((1e6 * Math.min(cfg.connections, cfg.rate)) / cfg.rate) : undefined;
  const startMs = Date.now();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: origin.origin,
        connections: cfg.rate ? Math.min(cfg.connections, Math.max(1, Math.floor(cfg.rate))) : cfg.connections,
        duration: Math.max(1, ms / 1000),
        timeout: Math.max(1, Math.round(cfg.timeoutMs / 1000)),
        ...(cfg.rate ? { overallRate: cfg.rate } : {}),
        requests,
      },
      (err, result) => {
        signal.removeEventListener('abort', stop);
        if (err) return reject(err);
        const wallMs = performance.now() - wall0;
        const cpu = process.cpuUsage(cpu0);
        const us = (p: number) => histogram.getValueAtPercentile(p) / 1000;
        resolve({
          startMs,
          endMs: Date.now(),
          measured: {
            responses: countResponses(result),
            non2xx: result.non2xx,
            errors: result.errors - result.timeouts,
            timeouts: result.timeouts,
            durationMs: wallMs,
            latency: { p50: us(50), p90: us(90), p95: us(95), p99: us(99), max: histogram.maxValue / 1000 },
            cpuFraction: wallMs > 0 ? (cpu.user + cpu.system) / 1000 / wallMs : 0,
          },
        });
      },
    );
    const stop = () => instance.stop();
    signal.addEventListener('abort', stop, { once: true });
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseMs: number) => {
      onResponse?.(status, responseMs);
      const v = Math.max(1, Math.round(responseMs * 1000));
      if (expectedIntervalUs) histogram.recordValueWithExpectedInterval(v, expectedIntervalUs);
      else histogram.recordValue(v);
    });
  });
}

/** Responses of any status: autocannon counts them by class. */
function countResponses(r: autocannon.Result): number {
  return r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'];
}

async function foreignTargets(cfg: LoadConfig, ctx: CheckContext, when: 'before the gate' | 'at probe time'): Promise<Check[]> {
  for (const r of cfg.requests) {
    const found = await ctx.foreignListener(r.url, when);
    if (found) return [found];
  }
  return [];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const loadKind = defineCheckKind<UserLoad, LoadConfig, 'load'>({
  key: 'load',
  schema: loadSchema,
  present: (raw) => raw !== undefined,
  yieldsMetrics: true,
  normalize: (u) => ({
    requests: u.requests ? u.requests.map(toRequest) : [toRequest({ url: u.url, method: u.method, headers: u.headers, body: u.body })],
    ...normalizeShape(u, 10_000),
  }),
  rules(raw, at, ctx) {
    if (!isObj(raw)) return;
    const hasUrl = raw.url !== undefined;
    const hasRequests = raw.requests !== undefined;
    if (hasUrl === hasRequests) ctx.push('CONFIG_VALUE', 'a load check needs exactly one of `url` or `requests`', at, 'give `url: http://127.0.0.1:PORT/path`, or `requests:` with several');
    if (hasRequests && ['method', 'headers', 'body'].some((k) => raw[k] !== undefined)) {
      ctx.push('CONFIG_VALUE', '`method`, `headers` and `body` belong to each of `requests`', at, 'move them into the requests');
    }
    checkRate(raw.rate, [...at, 'rate'], ctx);
    const urls: [unknown, (string | number)[]][] = hasRequests && Array.isArray(raw.requests) ? raw.requests.map((r, i) => [isObj(r) ? r.url : undefined, [...at, 'requests', i, 'url']]) : [[raw.url, [...at, 'url']]];
    let origin: string | undefined;
    for (const [u, path] of urls) {
      if (typeof u !== 'string') continue;
      ctx.checkVars(u, path);
      ctx.checkUrl(u, path);
      const o = URL.canParse(u.replace(/\$\{[^}]*\}/g, '0')) ? new URL(u.replace(/\$\{[^}]*\}/g, '0')).origin : undefined;
      if (origin !== undefined && o !== undefined && o !== origin) ctx.push('CONFIG_VALUE', `every request of a load check goes to one origin (${origin}), not ${o}`, path, 'use one load check per service');
      origin ??= o;
    }
  },
  interpolate: (cfg, vars) => ({
    ...cfg,
    requests: cfg.requests.map((r) => ({
      ...r,
      url: interpolateText(r.url, vars),
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, interpolateText(v, vars)])),
      ...(r.body !== undefined ? { body: interpolateText(r.body, vars) } : {}),
    })),
  }),
  preflight: (cfg, ctx) => foreignTargets(cfg, ctx, 'before the gate'),
  async run(cfg, ctx) {
    const foreign = await foreignTargets(cfg, ctx, 'at probe time');
    if (foreign.length) return { checks: foreign };
    if (cfg.warmupMs > 0) await runLoadPhase(cfg, cfg.warmupMs, ctx.signal);
    if (ctx.signal.aborted) return { checks: [{ check: 'load', expected: 'runs', actual: 'cancelled', ok: false }] };
    const phase = await runLoadPhase(cfg, cfg.durationMs, ctx.signal);
    const judged = judgeLoad({ rate: cfg.rate, connections: cfg.connections, inconclusive: cfg.inconclusive }, phase.measured);
    return {
      ...judged,
      phase: { startMs: phase.startMs, endMs: phase.endMs },
      evidence: [{ name: 'load', data: { target: { requests: cfg.requests.map((r) => `${r.method} ${r.url}`), connections: cfg.connections, rate: cfg.rate ?? null, durationMs: cfg.durationMs, warmupMs: cfg.warmupMs }, measured: phase.measured } }],
    };
  },
});
