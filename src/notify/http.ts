/**
 * One HTTP request with a bounded number of attempts and a bounded time: three attempts at most,
 * each with its own timeout, backoff between them (or the server's Retry-After when it fits), and
 * a deadline shared by every notification of the run, so no receiver can hold shipgate's exit for
 * longer than the deadline. Only failures a retry can fix are retried: no answer, a timeout, 408,
 * 425, 429 and 5xx. Errors are worded without the URL's path or query (webhook URLs carry tokens).
 */
import { blockedPortText } from '../util/fetch-blocked.js';
import { sleep } from '../util/sleep.js';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  body: string;
  /** Retry-After in ms, when the server sent one in seconds. */
  retryAfterMs?: number;
}

export interface AttemptOptions {
  /** Absolute time (ms since epoch, Date.now()) after which nothing more is tried. */
  deadline: number;
  attempts?: number;
  /** Each attempt's own timeout (capped by the deadline). */
  attemptTimeoutMs?: number;
  /** Delays before the 2nd, 3rd… attempt. */
  backoffMs?: number[];
}

export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly attempts = 1,
  ) {
    super(message);
  }
}

const RETRYABLE = new Set([408, 425, 429]);
const MAX_BODY = 64 * 1024;

/** `https://hooks.slack.com` — what may be said about a URL: its origin, never its path or query. */
export function origin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(not a URL)';
  }
}

function describeCause(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'no answer in time';
  const code = err?.cause?.code;
  if (code) return code;
  return 'no answer';
}

async function once(req: HttpRequest, timeoutMs: number): Promise<HttpResponse> {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
  });
  // Read at most 64 KiB of the answer, within the same timeout.
  let body = '';
  if (res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      body += decoder.decode(value, { stream: true });
      if (body.length > MAX_BODY) {
        await reader.cancel().catch(() => undefined);
        break;
      }
    }
  }
  const after = res.headers.get('retry-after');
  const retryAfterMs = after && /^\d{1,5}$/.test(after.trim()) ? Number(after.trim()) * 1000 : undefined;
  return { status: res.status, body: body.slice(0, MAX_BODY), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/**
 * Send `req`; resolve with the answer when it is 2xx (or a status in `accept`), throw HttpFailure
 * otherwise. Never runs past `opts.deadline`.
 */
export async function send(req: HttpRequest, opts: AttemptOptions, accept: (status: number) => boolean = (s) => s >= 200 && s < 300): Promise<HttpResponse> {
  const attempts = opts.attempts ?? 3;
  const backoff = opts.backoffMs ?? [250, 1000];
  let last: HttpFailure = new HttpFailure('not sent: no time was left', undefined, 0);
  for (let i = 0; i < attempts; i++) {
    let serverWait: number | undefined;
    const left = opts.deadline - Date.now();
    if (left <= 0) break;
    try {
      const res = await once(req, Math.min(opts.attemptTimeoutMs ?? 5000, left));
      if (accept(res.status)) return res;
      last = new HttpFailure(`HTTP ${res.status}${res.body.trim() ? ` (${res.body.trim().split('\n')[0]!.slice(0, 200)})` : ''}`, res.status, i + 1);
      serverWait = res.retryAfterMs;
      if (!(RETRYABLE.has(res.status) || res.status >= 500)) throw last;
    } catch (e) {
      if (e instanceof HttpFailure) throw e;
      last = new HttpFailure(blockedPortText(e, req.url) ?? describeCause(e), undefined, i + 1);
    }
    if (i + 1 < attempts) {
      const wait = serverWait ?? backoff[Math.min(i, backoff.length - 1)] ?? 0;
      if (Date.now() + wait >= opts.deadline) break;
      await sleep(wait);
    }
  }
  throw last;
}
