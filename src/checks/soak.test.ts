/** The soak judgement, pure: a climbing tail is a leak, a levelled-off one is not, too few samples is no data. */
import { describe, expect, it } from 'vitest';
import { judgeSoak, MIN_SAMPLES, type SoakSample } from './soak.js';

const cfg = { service: 'api', intervalMs: 1000, warmupMs: 2000 };
const MB = 1e6;
const series = (n: number, rss: (i: number) => number): SoakSample[] => Array.from({ length: n }, (_, i) => ({ t: i * 1000, rssBytes: rss(i), fds: 20, processes: 1 }));
const slope = (samples: SoakSample[]) => judgeSoak(cfg, samples).metrics.find((m) => m.name === 'metric.soak.rss.slope')!.value;

describe('judging a soak', () => {
  it('HOSTILE: steady growth of 1 MB a second is 60 MB a minute', () => {
    expect(slope(series(20, (i) => 100 * MB + i * MB))).toBeCloseTo(60 * MB, -3);
  });

  it('honest: growth that levels off (a cache filling) has a flat tail', () => {
    expect(Math.abs(slope(series(20, (i) => 100 * MB + Math.min(i, 8) * 5 * MB)))).toBeLessThan(1);
  });

  it('HOSTILE: too few samples after the warm-up is no data, with no metric', () => {
    const res = judgeSoak(cfg, series(2 + MIN_SAMPLES - 1, () => 100 * MB));
    expect(res.checks[0]).toMatchObject({ ok: false, actual: `${MIN_SAMPLES - 1} of ${MIN_SAMPLES + 1} samples after the warm-up` });
    expect(res.metrics).toEqual([]);
  });
});
