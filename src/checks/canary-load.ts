/**
 * Samples for a canary comparison under load: two load runs, one per side, each response a
 * sample. One request at a time (canary-http.ts) cannot show what only concurrency shows — a lock,
 * a pool that runs dry, a slower path under contention — so here each side gets the same load
 * (`connections` or `rate`), in four slices in ABBA order (baseline, canary, canary, baseline):
 * whatever drifts on this machine during the run (a warming cache, another process) falls on both
 * sides alike, which back-to-back A then B would not give.
 *
 * A 2xx answer is a sample (its latency in ms); any other status, a connection error or a
 * timeout is an error of its side. The generator judges itself per side as `load:` does: a rate
 * it could not send, or its own CPU saturated, is inconclusive (see load-judge.ts).
 *
 * Latencies under load are not independent samples (a slow moment slows many requests), so the
 * p-value overstates the evidence; the effect limit (`max-increase`) is what keeps a tiny but
 * "significant" difference from blocking. README says so.
 */
import type { Check } from '../model/types.js';
import type { HttpTarget, Sampled, SideSamples } from './canary-http.js';
import { judgeLoad, type LoadMeasured } from './load-judge.js';
import { runLoadPhase, type LoadConfig, type LoadShape } from './load.js';

/** As `load:` has it; `durationMs` is both sides together (each is loaded for half), `warmupMs` each side's. */
export type CanaryLoad = LoadShape;

/** At most this many samples a side are kept (evenly spaced over the run, in time order). */
export const MAX_LOAD_SAMPLES = 10_000;
/** The order of the slices: 0 = baseline, 1 = canary. */
export const SLICES: readonly (0 | 1)[] = [0, 1, 1, 0];

export interface LoadSampled extends Sampled {
  /** What the generator said about itself, per side (achieved rate, its CPU, responses). */
  generator: Check[];
  /** Samples recorded per side before thinning to MAX_LOAD_SAMPLES. */
  recorded: { baseline: number; canary: number };
  slices: { side: 'baseline' | 'canary'; ms: number; responses: number }[];
}

const emptySide = (): SideSamples => ({ values: [], attempted: 0, non2xx: 0, errors: 0, timeouts: 0, statuses: {} });

/** Every k-th value, so that at most `max` remain and they still span the whole run. */
export function thin(values: number[], max: number): number[] {
  if (values.length <= max) return values;
  const step = values.length / max;
  return Array.from({ length: max }, (_, i) => values[Math.floor(i * step)]!);
}

export async function sampleUnderLoad(req: { baseline: HttpTarget; canary: HttpTarget; load: CanaryLoad; abort: AbortSignal }): Promise<LoadSampled> {
  const targets = [req.baseline, req.canary] as const;
  const cfgFor = (i: 0 | 1): LoadConfig => ({
    ...req.load,
    requests: [{ url: targets[i].url, method: targets[i].method as LoadConfig['requests'][number]['method'], headers: targets[i].headers, ...(targets[i].body !== undefined ? { body: targets[i].body } : {}), weight: 1 }],
    warmupMs: 0,
  });
  const sides = [emptySide(), emptySide()] as const;
  const measured: LoadMeasured[][] = [[], []];
  const slices: LoadSampled['slices'] = [];
  const t0 = performance.now();
  const sliceMs = req.load.durationMs / SLICES.length;
  let cancelled = false;

  if (req.load.warmupMs > 0) {
    for (const i of [0, 1] as const) {
      if (req.abort.aborted) break;
      await runLoadPhase(cfgFor(i), req.load.warmupMs, req.abort);
    }
  }
  for (const i of SLICES) {
    if (req.abort.aborted) {
      cancelled = true;
      break;
    }
    const side = sides[i];
    const phase = await runLoadPhase(cfgFor(i), sliceMs, req.abort, (status, ms) => {
      side.statuses[status] = (side.statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) side.values.push(ms);
      else side.non2xx++;
    });
    const m = phase.measured;
    side.errors += m.errors;
    side.timeouts += m.timeouts;
    side.attempted += m.responses + m.errors + m.timeouts;
    measured[i]!.push(m);
    slices.push({ side: i === 0 ? 'baseline' : 'canary', ms: Math.round(m.durationMs), responses: m.responses });
  }
  if (req.abort.aborted) cancelled = true;

  const generator: Check[] = [];
  for (const i of [0, 1] as const) {
    const ms = measured[i]!;
    if (!ms.length) continue;
    // One side as one phase: counts summed, the busiest slice's CPU (a saturated slice is enough to doubt it).
    const whole: LoadMeasured = {
      responses: ms.reduce((a, m) => a + m.responses, 0),
      non2xx: ms.reduce((a, m) => a + m.non2xx, 0),
      errors: ms.reduce((a, m) => a + m.errors, 0),
      timeouts: ms.reduce((a, m) => a + m.timeouts, 0),
      durationMs: ms.reduce((a, m) => a + m.durationMs, 0),
      latency: { p50: 0, p90: 0, p95: 0, p99: 0, max: 0 },
      cpuFraction: Math.max(...ms.map((m) => m.cpuFraction)),
    };
    const name = i === 0 ? 'baseline' : 'canary';
    for (const c of judgeLoad(req.load, whole).checks) {
      generator.push({ ...c, check: `canary load ${name}: ${c.check.replace(/^load /, '')}` });
    }
  }
  const recorded = { baseline: sides[0].values.length, canary: sides[1].values.length };
  for (const side of sides) side.values = thin(side.values, MAX_LOAD_SAMPLES);
  return { baseline: sides[0], canary: sides[1], stoppedBy: cancelled ? 'cancelled' : 'load', elapsedMs: performance.now() - t0, generator, recorded, slices };
}
