/**
 * Sampling two HTTP endpoints for a canary comparison: one request at a time, alternating between
 * the baseline and the canary in ABBA order (baseline first in even pairs, canary first in odd
 * ones), each side over its own keep-alive connection. Whatever slows this machine down while
 * sampling (another process, a GC pause in shipgate) falls on both sides alike, and neither side
 * always goes first — so a difference between the samples is a difference between the services.
 *
 * A request counts as a sample only when it is answered 2xx; any other status, a connection error
 * or a timeout counts as an error of its side, never as a latency.
 */
import type * as Http from 'node:http';
import type * as Https from 'node:https';

/** node:http and node:https load when a canary samples, not with the config schema every command reads. */
type HttpModule = typeof Http;
type HttpsModule = typeof Https;
const httpModules = (): Promise<[HttpModule, HttpsModule]> => Promise.all([import('node:http'), import('node:https')]);

export interface HttpTarget {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** What is measured per request: the whole answer (last byte) or its headers (first byte). */
export type HttpSignal = 'latency' | 'ttfb';

export interface SideSamples {
  /** ms, one per 2xx answer after the warm-up, in the order they came. */
  values: number[];
  attempted: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** The first connection error seen, to say what happened. */
  firstError?: string;
}

export interface SampleRequest {
  baseline: HttpTarget;
  canary: HttpTarget;
  signal: HttpSignal;
  /** Requests per side to record. */
  requests: number;
  /** Requests per side sent first and left out. */
  warmup: number;
  /** Stop after this long, whatever was recorded. */
  durationMs: number;
  timeoutMs: number;
  abort: AbortSignal;
}

export interface Sampled {
  baseline: SideSamples;
  canary: SideSamples;
  /** `load`: two load runs of a fixed length (canary-load.ts), not a count of requests. */
  stoppedBy: 'requests' | 'duration' | 'cancelled' | 'load';
  elapsedMs: number;
}

/** Bodies are read to the end (so `latency` is the whole answer) and thrown away. */
type Outcome = { kind: 'ok'; status: number; ms: number } | { kind: 'timeout' } | { kind: 'error'; message: string };

function once(mod: Pick<HttpModule | HttpsModule, 'request'>, target: HttpTarget, agent: Http.Agent, signal: HttpSignal, timeoutMs: number, abort: AbortSignal): Promise<Outcome> {
  if (abort.aborted) return Promise.resolve({ kind: 'error', message: 'cancelled' });
  return new Promise((resolve) => {
    const u = new URL(target.url);
    const t0 = performance.now();
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort.removeEventListener('abort', onAbort);
      resolve(o);
    };
    const req = mod.request(u, { method: target.method, headers: target.headers, agent }, (res) => {
      const ttfb = performance.now() - t0;
      res.on('data', () => {});
      res.on('end', () => finish({ kind: 'ok', status: res.statusCode ?? 0, ms: signal === 'ttfb' ? ttfb : performance.now() - t0 }));
      res.on('error', (e) => finish({ kind: 'error', message: e.message }));
    });
    const timer = setTimeout(() => {
      finish({ kind: 'timeout' });
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      finish({ kind: 'error', message: 'cancelled' });
      req.destroy();
    };
    abort.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'error', message: e.code ? `${e.code}: ${e.message}` : e.message }));
    req.end(target.body);
  });
}

const emptySide = (): SideSamples => ({ values: [], attempted: 0, non2xx: 0, errors: 0, timeouts: 0, statuses: {} });

function record(side: SideSamples, o: Outcome): void {
  side.attempted++;
  if (o.kind === 'timeout') side.timeouts++;
  else if (o.kind === 'error') {
    side.errors++;
    side.firstError ??= o.message;
  } else {
    side.statuses[o.status] = (side.statuses[o.status] ?? 0) + 1;
    if (o.status >= 200 && o.status < 300) side.values.push(o.ms);
    else side.non2xx++;
  }
}

export async function sampleHttp(req: SampleRequest): Promise<Sampled> {
  // One connection per side, kept alive: the comparison is of the services, not of TCP handshakes.
  const [http, https] = await httpModules();
  const agents = [new http.Agent({ keepAlive: true, maxSockets: 1 }), new http.Agent({ keepAlive: true, maxSockets: 1 })] as const;
  const httpsAgents = [new https.Agent({ keepAlive: true, maxSockets: 1 }), new https.Agent({ keepAlive: true, maxSockets: 1 })] as const;
  const sides = [emptySide(), emptySide()] as const;
  const targets = [req.baseline, req.canary] as const;
  // Each side's module and agent, chosen once from its URL's scheme.
  const transports = ([0, 1] as const).map((i) => (new URL(targets[i].url).protocol === 'https:' ? { mod: https, agent: httpsAgents[i] } : { mod: http, agent: agents[i] }));
  const t0 = performance.now();
  let stoppedBy: Sampled['stoppedBy'] = 'requests';
  try {
    for (let pair = 0; pair < req.warmup + req.requests; pair++) {
      if (req.abort.aborted) {
        stoppedBy = 'cancelled';
        break;
      }
      if (performance.now() - t0 > req.durationMs) {
        stoppedBy = 'duration';
        break;
      }
      const order: (0 | 1)[] = pair % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        if (req.abort.aborted) break;
        const o = await once(transports[i]!.mod, targets[i], transports[i]!.agent, req.signal, req.timeoutMs, req.abort);
        if (pair >= req.warmup) record(sides[i], o);
      }
    }
  } finally {
    for (const a of [...agents, ...httpsAgents]) a.destroy();
  }
  return { baseline: sides[0], canary: sides[1], stoppedBy, elapsedMs: performance.now() - t0 };
}
