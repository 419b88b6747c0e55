/**
 * `soak:` — leaks over time. While the gate's `load` runs, the service's whole process tree is
 * sampled (resident memory, open file descriptors) at an interval. After the warm-up a line is fitted
 * to the second half of the samples: a service that caches and then levels off has a flat tail,
 * one that leaks keeps climbing. `metric.soak.rss.slope` (bytes per minute) is that tail's slope.
 *
 *   soak: { service: api, interval: 500ms, warmup: 10s }
 *   expect: ["metric.soak.rss.slope < 1MB/min", "metric.soak.fds.slope < 10/min"]
 */
import { linearRegression } from 'simple-statistics';
import { z } from 'zod';
import { deferred } from '../config/deferred.js';
import { duration } from '../config/fields.js';
import { parseDuration } from '../config/values.js';
import type { Metric } from '../model/evidence.js';
import type { Check } from '../model/types.js';
import { sleep } from '../util/sleep.js';
import { defineCheckKind } from './kind.js';

/** Fewer samples than this after the warm-up cannot tell a slope from noise. */
export const MIN_SAMPLES = 6;

export const soakSchema = deferred(() =>
  z.strictObject({
    service: z.string().min(1).meta({ description: 'The service (of this gate) whose process tree is sampled' }),
    interval: duration.optional().meta({ description: 'Time between samples (default 1s)' }),
    warmup: duration.optional().meta({ description: 'Samples in the first part of the load are left out (default none)' }),
  })
);

export type UserSoak = z.input<typeof soakSchema>;

export interface SoakConfig {
  service: string;
  intervalMs: number;
  warmupMs: number;
}

export interface SoakSample {
  /** ms since sampling started */
  t: number;
  rssBytes: number;
  fds: number;
  processes: number;
}

/** The tree's resident memory and open descriptors now (Linux /proc); undefined when the root is gone. */
async function sampleTree(root: number): Promise<Omit<SoakSample, 't'> | undefined> {
  // Loaded when a soak samples, not with the config schema every command reads.
  const [{ default: pidtree }, { readdir, readFile }] = await Promise.all([import('pidtree'), import('node:fs/promises')]);
  let pids: number[];
  try {
    pids = [root, ...(await pidtree(root))];
  } catch {
    return undefined;
  }
  let rssBytes = 0;
  let fds = 0;
  let processes = 0;
  for (const pid of pids) {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      rssBytes += kb ? Number(kb[1]) * 1024 : 0;
      fds += (await readdir(`/proc/${pid}/fd`)).length;
      processes++;
    } catch {
      // A process that ended between listing and reading is simply not there any more.
    }
  }
  return processes ? { rssBytes, fds, processes } : undefined;
}

/** Slope per minute of a value over the samples (least squares). */
function perMinute(samples: readonly SoakSample[], value: (s: SoakSample) => number): number {
  return linearRegression(samples.map((s) => [s.t / 60_000, value(s)])).m;
}

/** Pure: the samples after the warm-up → checks and metrics. */
export function judgeSoak(cfg: SoakConfig, samples: readonly SoakSample[]): { checks: Check[]; metrics: Metric[] } {
  const after = samples.filter((s) => s.t >= cfg.warmupMs);
  if (after.length < MIN_SAMPLES) {
    return {
      checks: [{
        check: `soak ${cfg.service}`,
        expected: `at least ${MIN_SAMPLES} samples after the warm-up`,
        actual: `${after.length} of ${samples.length} samples after the warm-up`,
        ok: false,
        message: 'the load was too short for the interval and warm-up (or the service was gone): lengthen the load, or sample more often; no data is never a pass',
      }],
      metrics: [],
    };
  }
  const tail = after.slice(Math.floor(after.length / 2));
  const rssSlope = perMinute(tail, (s) => s.rssBytes);
  const fdsSlope = perMinute(tail, (s) => s.fds);
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  return {
    checks: [{
      check: `soak ${cfg.service}`,
      expected: `at least ${MIN_SAMPLES} samples after the warm-up`,
      actual: `${after.length} samples: RSS ${mb(after[0]!.rssBytes)} → ${mb(after[after.length - 1]!.rssBytes)}, tail slope ${mb(rssSlope)}/min; fds ${after[0]!.fds} → ${after[after.length - 1]!.fds}`,
      ok: true,
    }],
    metrics: [
      { name: 'metric.soak.rss.slope', value: rssSlope, unit: 'B/min' },
      { name: 'metric.soak.rss.growth', value: perMinute(after, (s) => s.rssBytes), unit: 'B/min' },
      { name: 'metric.soak.rss.max', value: Math.max(...after.map((s) => s.rssBytes)), unit: 'B' },
      { name: 'metric.soak.fds.slope', value: fdsSlope, unit: '/min' },
      { name: 'metric.soak.fds.max', value: Math.max(...after.map((s) => s.fds)) },
      { name: 'metric.soak.samples', value: after.length },
    ],
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const soakKind = defineCheckKind<UserSoak, SoakConfig, 'soak'>({
  key: 'soak',
  schema: soakSchema,
  present: (raw) => raw !== undefined,
  alongside: 'load',
  yieldsMetrics: true,
  normalize: (u) => ({ service: u.service, intervalMs: u.interval ? parseDuration(u.interval)! : 1000, warmupMs: u.warmup ? parseDuration(u.warmup)! : 0 }),
  rules(raw, at, ctx) {
    if (!isObj(raw)) return;
    if (ctx.gate.load === undefined) ctx.push('CONFIG_VALUE', 'a soak samples while the gate\'s `load` runs, and this gate has none', at, 'add `load:` to the gate');
    const services = Array.isArray(ctx.gate.services) ? ctx.gate.services : [];
    if (typeof raw.service === 'string' && !services.includes(raw.service)) {
      ctx.push('CONFIG_VALUE', `service "${raw.service}" is not one of this gate's services`, [...at, 'service'], 'list it under the gate\'s `services:`');
    }
  },
  interpolate: (cfg) => cfg,
  async run(cfg, ctx) {
    const svc = ctx.services.find((s) => s.id === cfg.service);
    if (!svc) return { checks: [{ check: `soak ${cfg.service}`, expected: 'a service of this gate', actual: 'not started for this gate', ok: false }] };
    const stop = ctx.until ? AbortSignal.any([ctx.until, ctx.signal]) : ctx.signal;
    const t0 = Date.now();
    const samples: SoakSample[] = [];
    while (!stop.aborted) {
      const s = await sampleTree(svc.pid);
      if (!s) break; // the service is gone: the gate fails on that by itself
      samples.push({ t: Date.now() - t0, ...s });
      await sleep(cfg.intervalMs, stop).catch(() => undefined);
    }
    const judged = judgeSoak(cfg, samples);
    return { ...judged, evidence: [{ name: cfg.service, data: { intervalMs: cfg.intervalMs, warmupMs: cfg.warmupMs, samples } }] };
  },
});
