/**
 * Baselines through the real CLI: drift checks warn (and pass) until `min-runs` READY runs exist,
 * then block a real regression with an explanation; noise within the baseline's spread passes;
 * blocked runs never join the baseline; `baseline show|export|import`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Check, Decision } from '../../src/decide/types.js';
import { gate, removeProject } from './helpers.js';
import { cliJson, historyCmd, makeGitProject, metricsFile, put, runJson, sg } from './history-helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeProject(d);
});

async function project(files: Record<string, string>) {
  const p = await makeGitProject(files);
  dirs.push(p.dir);
  return p;
}

const benchConfig = (name: string, baseline: string) => `name: ${name}
baseline: ${baseline}
gates:
  guard:
    run: node -e "process.exit(Number(process.env.GUARD_FAIL || 0))"
  bench:
    run: ${historyCmd('emit.mjs', 'metrics.json')}
    reports: [reports/metrics.json]
    expect: ["metric.parse_ms within baseline"]
`;

function driftCheck(d: Decision): Check {
  const c = gate(d, 'bench').checks.find((x) => x.check === 'metric.parse_ms within baseline');
  if (!c) throw new Error(`no drift check in ${JSON.stringify(gate(d, 'bench').checks)}`);
  return c;
}

async function benchRun(dir: string, version: string, ms: number, env: Record<string, string> = {}) {
  await put(dir, 'next/metrics.json', metricsFile('parse_ms', ms, 'ms'));
  return runJson(dir, version, [], env);
}

interface BaselineShowJson {
  branch: string;
  minRuns: number;
  metrics: { name: string; enough: boolean; baseline?: { value: number; n: number; spread: number } }[];
}
interface BaselineExportJson {
  format: string;
  project: string;
  metrics: { name: string; unit?: string; samples: { value: number; version: string }[] }[];
}

describe('metric baselines', () => {
  it('warns without blocking until min-runs READY runs exist, then blocks a +50% regression with an explanation; a blocked run never joins the baseline', async () => {
    const { dir } = await project({ 'shipgate.yml': benchConfig('bench-demo', '{ min-runs: 3 }') });

    for (const [i, v] of ['1.0.0', '1.0.1', '1.0.2'].entries()) {
      const { res, decision } = await benchRun(dir, v, 100);
      expect(res.code, res.stderr).toBe(0);
      const c = driftCheck(decision);
      // The first run names the exact reason: nothing was ever recorded on the branch.
      const why = i === 0 ? 'no run has ever been recorded on branch main, so there is no baseline' : `no baseline yet: ${i} of 3 READY runs on main`;
      expect(c).toMatchObject({ ok: true, severity: 'warn', message: why });
    }
    const early = await cliJson<BaselineShowJson>(dir, ['baseline', 'show']);
    expect(early.metrics.filter((m) => m.name === 'metric.parse_ms')).toEqual([expect.objectContaining({ enough: true, baseline: expect.objectContaining({ value: 100, n: 3 }) })]);

    const regressed = await benchRun(dir, '1.1.0', 150);
    expect(regressed.res.code).toBe(1);
    expect(regressed.decision.result).toBe('BLOCKED');
    const c = driftCheck(regressed.decision);
    expect(c.ok).toBe(false);
    expect(c.actual).toBe('150ms (+50.0%)');
    expect(c.message).toContain('vs baseline 100ms');
    expect(c.message).toContain('median of 3 READY runs on main');
    expect(c.message).toContain('lower is better');
    expect(c.message).toMatch(/\+50\.0% > fail 20% → FAIL$/);
    expect(regressed.res.stderr).toContain('+50.0% > fail 20%');

    const fine = await benchRun(dir, '1.1.1', 103);
    expect(fine.res.code, fine.res.stderr).toBe(0);
    expect(driftCheck(fine.decision)).toMatchObject({ ok: true });
    expect(driftCheck(fine.decision).message).toContain('+3.0% <= warn 10% → OK');

    // Between warn and fail: a warning, not a block.
    const warned = await benchRun(dir, '1.1.2', 112);
    expect(warned.res.code, warned.res.stderr).toBe(0);
    expect(driftCheck(warned.decision)).toMatchObject({ ok: false, severity: 'warn' });
    expect(warned.decision.warnings.join('\n')).toMatch(/\+12\.0% > warn 10% → WARN/);

    // A run blocked by another gate does not feed its (very good) value into the baseline either.
    const otherBlock = await benchRun(dir, '1.1.3', 10, { GUARD_FAIL: '1' });
    expect(otherBlock.res.code).toBe(1);

    const shown = await cliJson<BaselineShowJson>(dir, ['baseline', 'show']);
    const parse = shown.metrics.filter((m) => m.name === 'metric.parse_ms');
    expect(parse).toHaveLength(1);
    expect(parse[0]!.baseline).toMatchObject({ n: 5, value: 100 });
    const exported = JSON.parse((await sg(dir, ['baseline', 'export'])).stdout) as BaselineExportJson;
    const parseExport = exported.metrics.find((m) => m.name === 'metric.parse_ms')!;
    const values = parseExport.samples.map((s) => s.value).sort((a, b) => a - b);
    expect(values).toEqual([100, 100, 100, 103, 112]);
    expect(parseExport.samples.map((s) => s.version)).not.toContain('1.1.0');

    const text = await sg(dir, ['baseline', 'show']);
    expect(text.stdout).toContain('Baseline of bench-demo: median of the last 5 READY runs on main');
    expect(text.stdout).toMatch(/parse_ms\s+100\s/);
  });

  it('thresholds are strict: exactly +10% is OK, a hair more warns; a READY partial run or one on uncommitted changes never joins the baseline', async () => {
    // The baseline is the last READY, clean run alone, so each run is judged against the one before.
    const { dir } = await project({ 'shipgate.yml': benchConfig('bench-strict', '{ min-runs: 1, runs: 1 }') });
    expect((await benchRun(dir, '1.0.0', 100)).res.code).toBe(0);
    const edge = await benchRun(dir, '1.0.1', 110);
    expect(edge.res.code, edge.res.stderr).toBe(0);
    expect(driftCheck(edge.decision)).toMatchObject({ ok: true });
    expect(driftCheck(edge.decision).message).toContain('+10.0% <= warn 10% → OK');
    expect((await benchRun(dir, '1.0.2', 100)).res.code).toBe(0);
    const over = await benchRun(dir, '1.0.3', 110.5);
    expect(over.res.code, over.res.stderr).toBe(0);
    expect(driftCheck(over.decision)).toMatchObject({ ok: false, severity: 'warn' });

    // A READY partial run (--skip) is not the new baseline either.
    await put(dir, 'next/metrics.json', metricsFile('parse_ms', 104, 'ms'));
    const partial = await runJson(dir, '1.0.3-p', ['--skip', 'guard']);
    expect(partial.res.code, partial.res.stderr).toBe(0);
    expect(partial.decision).toMatchObject({ partial: true, selection: '--skip guard' });

    // A READY run on a dirty tree: it is not the new baseline.
    await put(dir, 'scratch.txt', 'a local edit\n');
    const dirty = await benchRun(dir, '1.0.4', 104);
    expect(dirty.res.code, dirty.res.stderr).toBe(0);
    expect(dirty.decision.tree).toMatchObject({ dirty: true, files: 1 });
    const shown = await cliJson<BaselineShowJson>(dir, ['baseline', 'show']);
    expect(shown.metrics.find((m) => m.name === 'metric.parse_ms')?.baseline).toMatchObject({ n: 1, value: 110.5 });
    const exported = JSON.parse((await sg(dir, ['baseline', 'export'])).stdout) as BaselineExportJson;
    expect(exported.metrics.find((m) => m.name === 'metric.parse_ms')!.samples.map((x) => x.version)).toEqual(['1.0.3']);
  });

  it('surfaces "no baseline yet" as a warning of the run (summary and decision), not only inside the check', async () => {
    const { dir } = await project({ 'shipgate.yml': benchConfig('bench-warn', '{ min-runs: 3 }') });
    const { res, decision } = await benchRun(dir, '1.0.0', 100);
    expect(res.code, res.stderr).toBe(0);
    expect(decision.result).toBe('READY');
    expect(gate(decision, 'bench').warnings.join('\n')).toContain('no run has ever been recorded on branch main, so there is no baseline');
    expect(decision.warnings.join('\n')).toContain('no run has ever been recorded on branch main');
    expect(res.stderr).toContain('no run has ever been recorded on branch main, so there is no baseline');
  });

  it('a change inside the noise of five spread-out samples passes; one beyond it blocks', async () => {
    const { dir } = await project({ 'shipgate.yml': benchConfig('bench-noise', '{ min-runs: 3, warn: 5%, fail: 10% }') });
    // Each run is faster than the last, so none regresses: samples 120..80, median 100, MAD 10.
    for (const [i, ms] of [120, 110, 100, 90, 80].entries()) {
      const { res } = await benchRun(dir, `1.0.${i}`, ms);
      expect(res.code, res.stderr).toBe(0);
    }
    const noisy = await benchRun(dir, '1.1.0', 115);
    expect(noisy.res.code, noisy.res.stderr).toBe(0);
    const nc = driftCheck(noisy.decision);
    expect(nc.ok).toBe(true);
    expect(nc.message).toContain("+15.0% is inside the baseline's noise");
    expect(nc.message).toMatch(/→ NOISE$/);

    const real = await benchRun(dir, '1.1.1', 135);
    expect(real.res.code).toBe(1);
    expect(driftCheck(real.decision).message).toMatch(/\+35\.0% > fail 10% → FAIL$/);
  });

  it('coverage.lines >= baseline - 1% compares in percentage points against READY runs', async () => {
    const lcov = (hit: number) => `SF:src/app.js\n${Array.from({ length: 100 }, (_, i) => `DA:${i + 1},${i < hit ? 1 : 0}`).join('\n')}\nLF:100\nLH:${hit}\nend_of_record\n`;
    const { dir } = await project({
      'shipgate.yml': `name: cov-demo
gates:
  coverage:
    run: ${historyCmd('emit.mjs', 'lcov.info')}
    reports: [reports/lcov.info]
    expect: ["coverage.lines >= baseline - 1%"]
`,
    });
    const cov = async (version: string, hit: number) => {
      await put(dir, 'next/lcov.info', lcov(hit));
      return runJson(dir, version);
    };
    for (const v of ['1.0.0', '1.0.1', '1.0.2']) expect((await cov(v, 80)).res.code).toBe(0);
    const slightly = await cov('1.0.3', 79);
    expect(slightly.res.code, slightly.res.stderr).toBe(0);
    const dropped = await cov('1.0.4', 78);
    expect(dropped.res.code).toBe(1);
    const c = gate(dropped.decision, 'coverage').checks.find((x) => x.check === 'coverage.lines >= baseline - 1%');
    expect(c).toMatchObject({ ok: false });
    expect(c?.message).toContain('READY runs on main');
  });

  it('baseline export and import carry a baseline to another store; import rejects a malformed file and skips known samples', async () => {
    const { dir: source } = await project({ 'shipgate.yml': benchConfig('bench-src', '{ min-runs: 3 }') });
    for (const v of ['1.0.0', '1.0.1', '1.0.2']) expect((await benchRun(source, v, 100)).res.code).toBe(0);
    const out = await sg(source, ['baseline', 'export', '--out', 'baseline.json']);
    expect(out.code, out.stderr).toBe(0);
    const exported = JSON.parse(await readFile(join(source, 'baseline.json'), 'utf8')) as BaselineExportJson;
    expect(exported.format).toBe('shipgate-baseline/1');
    expect(exported.project).toBe('bench-src');
    expect(exported.metrics.filter((m) => m.name.includes('parse_ms')).map((m) => [m.name, m.samples.length])).toEqual([['metric.parse_ms', 3]]);
    const sampleCount = exported.metrics.reduce((n, m) => n + m.samples.length, 0);

    const { dir: target } = await project({ 'shipgate.yml': benchConfig('bench-dst', '{ min-runs: 3 }') });
    const imported = await sg(target, ['baseline', 'import', join(source, 'baseline.json')]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`imported ${sampleCount} samples into the baseline of bench-dst (exported from bench-src)`);
    const again = await sg(target, ['baseline', 'import', join(source, 'baseline.json')]);
    expect(again.stdout).toContain('imported 0 samples');

    // With an imported baseline the very first run is judged against it.
    const first = await benchRun(target, '2.0.0', 150);
    expect(first.res.code).toBe(1);
    expect(driftCheck(first.decision).message).toContain('vs baseline 100ms');

    await put(target, 'broken.json', '{"format":"shipgate-baseline/1","project":"x","branch":"main","exportedAt":"2026-01-01T00:00:00Z","metrics":[{"name":"m","samples":[{"value":"fast"}]}]}');
    const broken = await sg(target, ['baseline', 'import', 'broken.json']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('BASELINE_FORMAT');
    expect(broken.stderr).toContain('malformed');
    await put(target, 'truncated.json', '{"format":"shipgate-baseline/1","proj');
    const truncated = await sg(target, ['baseline', 'import', 'truncated.json']);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toContain('cannot read baseline truncated.json');
  });
});
