/**
 * A stage's hold ends with an analysis that begins once the hold is over, however long each
 * analysis takes. The attack: an analysis that overran the hold was taken as its last word, so a
 * release whose traffic went bad during that long look was promoted on a READY measured at the
 * hold's start. Runs the real rollout executor on a real SQLite store with real shift commands; the
 * analysis is the injected part (the CLI's is a partial `shipgate run`), here one slower than the hold.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { Decision, DecisionResult } from '../model/types.js';
import { openStore } from '../store/store.js';
import { sleep } from '../util/sleep.js';
import { runRollout } from './rollout.js';

const HOLD_MS = 1000;
/** Longer than the hold by construction: the first analysis always overruns it. */
const ANALYSIS_MS = 1500;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function rollOut(results: DecisionResult[]) {
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-hold-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'shipgate.yml'),
    [
      'name: hold',
      'gates:',
      '  health: { optional: true, run: "true" }',
      'rollout:',
      '  run: \'echo "$SHIPGATE_WEIGHT" >> weights.txt\'',
      '  stages:',
      `    - { weight: 10%, hold: ${HOLD_MS}ms, interval: 1s, analysis: [health] }`,
      '    - { weight: 100% }',
      '',
    ].join('\n'),
  );
  const config = await loadConfig({ cwd: dir });
  const store = await openStore({ file: join(dir, 'history.db') });
  const starts: number[] = [];
  try {
    const result = await runRollout(config, store, {
      version: '1.0.0',
      commit: null,
      by: 'tester',
      env: process.env,
      secrets: [],
      logDir: join(dir, 'logs'),
      force: true,
      async analyze() {
        starts.push(performance.now());
        const result = results[Math.min(starts.length, results.length) - 1]!;
        await sleep(ANALYSIS_MS);
        return { result, blockers: result === 'READY' ? [] : ['error ratio 7% (limit 1%)'], runDir: join(dir, 'analysis') } as unknown as Decision;
      },
    });
    return { result, starts, weights: readFileSync(join(dir, 'weights.txt'), 'utf8').trim().split('\n') };
  } finally {
    await store.close();
  }
}

describe('a rollout stage whose analysis takes longer than its hold', () => {
  it('runs a closing analysis that begins after the first one ended, and moves on only then', async () => {
    const { result, starts, weights } = await rollOut(['READY']);
    expect(result.status).toBe('done');
    expect(weights).toEqual(['10', '100']);
    // One look at the start (it overran the hold), one after it: never the overrun one alone.
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(ANALYSIS_MS);
    const stage = result.steps.find((s) => s.title.includes('10%'))!;
    expect(stage.checks.find((c) => c.check === 'hold')?.actual).toBe('held, 2 analysis runs');
  });

  it('HOSTILE: rolls back when that closing analysis fails, although the overrunning one was READY', async () => {
    const { result, starts, weights } = await rollOut(['READY', 'BLOCKED']);
    expect(starts).toHaveLength(2);
    expect(result.status).toBe('rolled-back');
    // The traffic went back to the current version and never on to 100%.
    expect(weights).toEqual(['10', '0']);
    expect(result.reason).toContain('analysis 2 at 10%');
    expect(result.steps.some((s) => s.title.includes('100%'))).toBe(false);
  });
});
