/**
 * The two Prometheus HTTP API calls a gate makes: an instant query (`/api/v1/query`) and a range
 * query (`/api/v1/query_range`). Returns the answer as it came (status and body) or why none came;
 * judging is `prometheus-judge.ts`'s.
 */
import { blockedPortText } from '../util/fetch-blocked.js';
import type { PromAnswer } from './prometheus-judge.js';

/** Prometheus refuses a range query of more than 11,000 points per series. */
export const MAX_POINTS = 11_000;
/** Aim for this many points: enough for a slope or a percentile, few enough to read quickly. */
const TARGET_POINTS = 250;
/** Bodies beyond this are cut (a single-number query is a few hundred bytes). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * A step for the window: `wanted` when given (raised if it would exceed Prometheus' limit), else
 * about TARGET_POINTS points, at least one second apart.
 */
export function chooseStepMs(windowMs: number, wantedMs?: number): number {
  const floor = Math.ceil(windowMs / (MAX_POINTS - 1));
  if (wantedMs !== undefined) return Math.max(wantedMs, floor, 1);
  return Math.max(1000, Math.ceil(windowMs / TARGET_POINTS / 1000) * 1000, floor);
}

export interface QueryRequest {
  baseUrl: string;
  query: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  /** Evaluation time (instant) or window end (range), epoch ms. */
  endMs: number;
  /** Range queries: window start and step. */
  range?: { startMs: number; stepMs: number };
}

function endpoint(req: QueryRequest): { url: string; params: URLSearchParams } {
  const base = req.baseUrl.replace(/\/+$/, '');
  const params = new URLSearchParams({ query: req.query, timeout: `${Math.max(1, Math.floor(req.timeoutMs / 1000))}s` });
  const sec = (ms: number) => (ms / 1000).toFixed(3);
  if (req.range) {
    params.set('start', sec(req.range.startMs));
    params.set('end', sec(req.endMs));
    // Seconds as a plain float: Prometheus reads `0.5` but refuses `0.5s` (a duration needs whole units).
    params.set('step', String(req.range.stepMs / 1000));
    return { url: `${base}/api/v1/query_range`, params };
  }
  params.set('time', sec(req.endMs));
  return { url: `${base}/api/v1/query`, params };
}

export async function queryPrometheus(req: QueryRequest): Promise<PromAnswer & { url: string }> {
  const { url, params } = endpoint(req);
  try {
    // POST with a form body: long PromQL never hits a URL length limit.
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...req.headers },
      body: params.toString(),
      redirect: 'manual',
      signal: AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]),
    });
    const buf = Buffer.from(await res.arrayBuffer());
    const body = buf.subarray(0, MAX_BODY_BYTES).toString('utf8');
    return { url, status: res.status, body };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === 'TimeoutError'
        ? `no answer within ${req.timeoutMs / 1000} s`
        : err.name === 'AbortError'
          ? 'cancelled'
          : (blockedPortText(e, url) ?? err.cause?.message ?? err.message);
    return { url, error: why };
  }
}

/** A raw answer as kept in the run folder: cut at `max` characters, saying so. */
export function keptBody(body: string | undefined, max: number): string | null {
  if (body === undefined) return null;
  return body.length > max ? `${body.slice(0, max)}… (cut)` : body;
}
