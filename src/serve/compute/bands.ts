/**
 * A metric's baseline band for trends: median and spread (median absolute deviation, scaled to a
 * standard deviation's size) over the READY, full, clean runs plotted. A point outside
 * median ± 2 × spread is marked; with fewer than 3 samples there is no band (too few to say).
 */
export interface Band {
  median: number;
  spread: number;
  samples: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function band(values: readonly number[]): Band | null {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length < 3) return null;
  const med = median(xs);
  const mad = median(xs.map((x) => Math.abs(x - med)));
  return { median: med, spread: 1.4826 * mad, samples: xs.length };
}

export function outside(value: number, b: Band | null): boolean {
  if (!b) return false;
  return Math.abs(value - b.median) > 2 * b.spread && value !== b.median;
}
