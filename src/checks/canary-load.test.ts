import { describe, expect, it } from 'vitest';
import { MAX_LOAD_SAMPLES, thin } from './canary-load.js';

describe('canary under load', () => {
  it('thins a side to at most the bound, evenly over the run and in time order; fewer stay as they are', () => {
    const values = Array.from({ length: 25_000 }, (_, i) => i);
    const kept = thin(values, MAX_LOAD_SAMPLES);
    expect(kept).toHaveLength(MAX_LOAD_SAMPLES);
    // From the start to the end of the run, never only its beginning.
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBeGreaterThan(24_990);
    expect(kept.every((v, i) => i === 0 || v > kept[i - 1]!)).toBe(true);
    const few = [3, 1, 2];
    expect(thin(few, MAX_LOAD_SAMPLES)).toBe(few);
  });
});
