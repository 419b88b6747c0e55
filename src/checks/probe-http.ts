/**
 * HTTP probes: one request, one Check per expectation, so a report can say exactly which part of
 * the answer was wrong. Redirects are not followed — a 302 is what the server said.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ProbeConfig } from '../config/types.js';
import type { Check } from '../model/types.js';
import { formatDuration } from '../util/duration-format.js';
import { blockedPortText } from '../util/fetch-blocked.js';
import { formatBytes } from '../util/size-format.js';
import { sleep } from '../util/sleep.js';
import { toRegExp } from '../util/regex.js';

/** Without a latency bound, a request that has not answered in this long is a failure. */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Bodies beyond this are cut: probes check smoke endpoints, not downloads. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;
const SHOWN = 60;
/** How much of a failing response's body a diagnostic shows. */
const BODY_EXCERPT = 200;
/** Steady state without a `retry` deadline: how long to keep asking, beyond what the streak itself needs. */
const STEADY_SLACK_MS = 30_000;
const DEFAULT_INTERVAL_MS = 500;

export interface ProbeResponse {
  status: number;
  headers: Headers;
  body: string;
  bodyBytes: number;
  truncated: boolean;
  latencyMs: number;
}


function quote(s: string): string {
  const shown = s.length > SHOWN ? `${s.slice(0, SHOWN - 1)}…` : s;
  return JSON.stringify(shown);
}

function short(value: unknown): string {
  const s = value === undefined ? 'undefined' : JSON.stringify(value);
  return s.length > SHOWN * 2 ? `${s.slice(0, SHOWN * 2 - 1)}…` : s;
}

/**
 * The request timeout. With a latency bound, waiting much longer than it only delays a check that
 * has already failed; twice the bound (at least 1 s) still lets us report how slow it really was.
 */
export function requestTimeoutMs(p: ProbeConfig): number {
  return p.maxLatencyMs !== undefined ? Math.max(1000, 2 * p.maxLatencyMs) : DEFAULT_REQUEST_TIMEOUT_MS;
}


/** `data.items[0].id` → ['data', 'items', 0, 'id']; also accepts `a["b.c"]`. */
export function parseJsonPath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\[(?:"([^"]*)"|'([^']*)')\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(m[3] ?? m[4] ?? '');
  }
  return parts;
}

/** The value at `path`, or the reason it is not there. */
export function lookupJson(doc: unknown, path: string): { found: true; value: unknown } | { found: false; reason: string } {
  let cur: unknown = doc;
  const walked: string[] = [];
  for (const part of parseJsonPath(path)) {
    const at = walked.length ? walked.join('') : 'the top level';
    if (typeof part === 'number') {
      if (!Array.isArray(cur)) return { found: false, reason: `missing: ${at} is not an array` };
      if (part >= cur.length) return { found: false, reason: `missing: ${at} has ${cur.length} items, no [${part}]` };
      cur = cur[part];
      walked.push(`[${part}]`);
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, part)) {
        return { found: false, reason: `missing: no "${part}" at ${at}` };
      }
      cur = (cur as Record<string, unknown>)[part];
      walked.push(walked.length ? `.${part}` : part);
    }
  }
  return { found: true, value: cur };
}

function describeError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no response within ${formatDuration(timeoutMs)}`;
  if (err.name === 'AbortError') return 'cancelled';
  const cause = err.cause;
  if (cause?.code === 'ECONNREFUSED') return `connection refused (${cause.message ?? cause.code})`;
  if (cause?.message) return cause.message;
  return err.message || String(e);
}

async function readBody(res: Response): Promise<{ body: string; bytes: number; truncated: boolean }> {
  if (!res.body) return { body: '', bytes: 0, truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > MAX_BODY_BYTES) {
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return { body: Buffer.concat(chunks).toString('utf8'), bytes, truncated };
}

async function request(p: ProbeConfig, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResponse> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const t0 = performance.now();
  const res = await fetch(p.url, {
    method: p.method,
    headers: p.headers,
    body: p.body,
    redirect: 'manual',
    signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
  });
  const { body, bytes, truncated } = await readBody(res);
  // Latency is until the whole body arrived: what a user of the endpoint waits for.
  return { status: res.status, headers: res.headers, body, bodyBytes: bytes, truncated, latencyMs: performance.now() - t0 };
}

function statusExpectation(p: ProbeConfig): { text: string; ok: (s: number) => boolean } {
  const list = p.status;
  if (!list || list.length === 0) return { text: '2xx', ok: (s) => s >= 200 && s < 300 };
  return { text: list.length === 1 ? String(list[0]) : `one of ${list.join(', ')}`, ok: (s) => list.includes(s) };
}

/** The checks one response gives. Pure, so it can be tested without a server. */
export function judgeResponse(p: ProbeConfig, res: ProbeResponse): Check[] {
  const name = `${p.method} ${p.url}`;
  const checks: Check[] = [];
  const size = `body of ${formatBytes(res.bodyBytes)}${res.truncated ? ' (read first 5 MB)' : ''}`;

  const st = statusExpectation(p);
  const location = res.headers.get('location');
  checks.push({
    check: `${name} status`,
    expected: st.text,
    actual: location && res.status >= 300 && res.status < 400 ? `${res.status} (redirect to ${location})` : String(res.status),
    operator: p.status && p.status.length > 1 ? 'in' : '==',
    ok: st.ok(res.status),
  });

  for (const needle of p.bodyContains) {
    const ok = res.body.includes(needle);
    checks.push({
      check: `${name} body contains ${quote(needle)}`,
      expected: `contains ${quote(needle)}`,
      actual: ok ? `found in ${size}` : `${size} without ${quote(needle)}`,
      operator: 'contains',
      ok,
    });
  }

  for (const src of p.bodyMatches) {
    let ok = false;
    let actual: string;
    try {
      ok = toRegExp(src).test(res.body);
      actual = ok ? `matched in ${size}` : `${size} not matching`;
    } catch (e) {
      actual = `invalid regular expression: ${(e as Error).message}`;
    }
    checks.push({ check: `${name} body matches ${src}`, expected: `matches ${src}`, actual, operator: 'matches', ok });
  }

  const jsonPaths = Object.entries(p.json);
  if (jsonPaths.length > 0) {
    let doc: unknown;
    let parseError: string | undefined;
    try {
      doc = JSON.parse(res.body);
    } catch (e) {
      parseError = `${size} is not JSON (${(e as Error).message})`;
    }
    for (const [path, expected] of jsonPaths) {
      const base = { check: `${name} json ${path}`, expected: short(expected), operator: '==' };
      if (parseError !== undefined) {
        checks.push({ ...base, actual: parseError, ok: false });
        continue;
      }
      const got = lookupJson(doc, path);
      if (!got.found) checks.push({ ...base, actual: got.reason, ok: false });
      else checks.push({ ...base, actual: short(got.value), ok: isDeepStrictEqual(got.value, expected) });
    }
  }

  for (const [rawName, expected] of Object.entries(p.header)) {
    const header = rawName.trim().toLowerCase();
    const isRegex = /^\/.*\/[dgimsuvy]*$/s.test(expected);
    let value: string | null = null;
    let ok = false;
    let actual: string;
    try {
      value = res.headers.get(header);
      actual = value === null ? 'absent' : value;
    } catch {
      actual = `invalid header name ${JSON.stringify(rawName)}`;
    }
    if (value !== null) {
      try {
        ok = isRegex ? toRegExp(expected).test(value) : value === expected;
      } catch (e) {
        actual = `invalid regular expression: ${(e as Error).message}`;
      }
    }
    checks.push({
      check: `${name} header ${header}`,
      expected: isRegex ? `matches ${expected}` : expected,
      actual,
      operator: isRegex ? 'matches' : '==',
      ok,
    });
  }

  if (p.maxLatencyMs !== undefined) {
    checks.push({
      check: `${name} latency`,
      expected: `<= ${formatDuration(p.maxLatencyMs)}`,
      actual: formatDuration(res.latencyMs),
      operator: '<=',
      ok: res.latencyMs <= p.maxLatencyMs,
    });
  }
  // What the server actually said is the fastest way to see why: the first failing check shows it.
  const firstBad = checks.findIndex((c) => !c.ok);
  if (firstBad !== -1) {
    const c = checks[firstBad]!;
    checks[firstBad] = { ...c, message: `${c.message ? `${c.message}; ` : ''}body: ${bodyExcerpt(res.body)}` };
  }
  return checks;
}

/** The start of a response body, one line, for a diagnostic. */
export function bodyExcerpt(body: string, max = BODY_EXCERPT): string {
  if (body.length === 0) return '(empty)';
  const one = body.replace(/\s+/g, ' ').trim();
  return JSON.stringify(one.length > max ? `${one.slice(0, max - 1)}…` : one);
}

async function attempt(p: ProbeConfig, timeoutMs: number, signal?: AbortSignal): Promise<Check[]> {
  let res: ProbeResponse;
  try {
    res = await request(p, timeoutMs, signal);
  } catch (e) {
    return [{ check: `${p.method} ${p.url}`, expected: 'a response', actual: blockedPortText(e, p.url) ?? describeError(e, timeoutMs), ok: false }];
  }
  return judgeResponse(p, res);
}

/**
 * Run a probe. With `retry`, the whole probe repeats until every check passes or the deadline is
 * reached; the last attempt's checks are returned, with the attempt count in their message.
 * With `consecutive: N` and/or `min-duration: D` one passing answer is not enough: the probe
 * passes only after N passing answers in a row spanning at least D — a failure resets the streak —
 * so an endpoint that fails two calls in three never passes `consecutive: 5`.
 */
export async function runProbe(probe: ProbeConfig, opts: { signal?: AbortSignal } = {}): Promise<Check[]> {
  const perRequest = requestTimeoutMs(probe);
  const steady = probe.consecutive > 1 || probe.minDurationMs !== undefined;
  if (!probe.retry && !steady) return attempt(probe, perRequest, opts.signal);

  const interval = probe.retry?.intervalMs ?? DEFAULT_INTERVAL_MS;
  const started = Date.now();
  const deadline =
    started + (probe.retry?.deadlineMs ?? (probe.minDurationMs ?? 0) + probe.consecutive * (interval + perRequest) + STEADY_SLACK_MS);
  let attempts = 0;
  let checks: Check[] = [];
  let streak = 0;
  let streakStart = 0;
  let best = 0;
  let failures = 0;
  let lastFailure: Check | undefined;
  const reached = () => streak >= probe.consecutive && (probe.minDurationMs === undefined || Date.now() - streakStart >= probe.minDurationMs);
  for (;;) {
    if (opts.signal?.aborted) {
      if (attempts === 0) checks = [{ check: `${probe.method} ${probe.url}`, expected: 'a response', actual: 'cancelled', ok: false }];
      break;
    }
    attempts += 1;
    const remaining = Math.max(100, deadline - Date.now());
    checks = await attempt(probe, Math.min(perRequest, remaining), opts.signal);
    if (checks.every((c) => c.ok)) {
      if (streak === 0) streakStart = Date.now();
      streak += 1;
      best = Math.max(best, streak);
      if (!steady || reached()) break;
    } else {
      streak = 0;
      failures += 1;
      lastFailure = checks.find((c) => !c.ok);
    }
    if (Date.now() + interval >= deadline) break;
    await sleep(interval, opts.signal);
  }
  const passed = checks.every((c) => c.ok) && (!steady || reached());
  const note = `${passed ? 'passed' : 'still failing'} after ${attempts} attempt${attempts === 1 ? '' : 's'} over ${formatDuration(Date.now() - started)}`;
  const out: Check[] = checks.map((c) => ({ ...c, message: c.message ? `${c.message}; ${note}` : note }));
  if (steady) {
    const want = [probe.consecutive > 1 ? `${probe.consecutive} passing answers in a row` : '', probe.minDurationMs !== undefined ? `passing for at least ${formatDuration(probe.minDurationMs)}` : '']
      .filter(Boolean)
      .join(', ');
    out.push({
      check: `${probe.method} ${probe.url} steady state`,
      expected: want,
      actual: passed
        ? `${streak} in a row over ${formatDuration(Date.now() - streakStart)}`
        : `at most ${best} in a row; ${failures} of ${attempts} answers failed`,
      ok: passed,
      ...(passed || !lastFailure ? {} : { message: `last failure: ${lastFailure.check}: expected ${lastFailure.expected}, got ${lastFailure.actual}` }),
    });
  }
  return out;
}

/** One line saying what the probe checks, for plans and reports. */
export function describeProbe(p: ProbeConfig): string {
  const parts: string[] = [`status ${statusExpectation(p).text}`];
  for (const s of p.bodyContains) parts.push(`body contains ${quote(s)}`);
  for (const s of p.bodyMatches) parts.push(`body matches ${s}`);
  for (const [path, v] of Object.entries(p.json)) parts.push(`json ${path} == ${short(v)}`);
  for (const [h, v] of Object.entries(p.header)) parts.push(`header ${h.toLowerCase()} ${/^\/.*\/[a-z]*$/s.test(v) ? 'matches' : '=='} ${v}`);
  if (p.maxLatencyMs !== undefined) parts.push(`latency <= ${formatDuration(p.maxLatencyMs)}`);
  const retry = p.retry ? ` (retrying for up to ${formatDuration(p.retry.deadlineMs)})` : '';
  return `${p.method} ${p.url}: ${parts.join(', ')}${retry}`;
}
