import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig } from './load.js';

async function load(yaml: string) {
  const dir = await mkdtemp(join(tmpdir(), 'sg-config-'));
  const file = join(dir, 'shipgate.yml');
  await writeFile(file, yaml);
  return { file, result: loadConfig({ file }) };
}

async function issuesOf(yaml: string) {
  const { file, result } = await load(yaml);
  const err = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return { file, issues: (err as ConfigError).issues };
}

describe('loadConfig', () => {
  it('normalises durations, sizes, defaults and paths', async () => {
    const { file, result } = await load(`
name: demo
defaults: { timeout: 2m, severity: warn }
services:
  api: { run: node api.js, ready: { http: "http://127.0.0.1:3000/health", timeout: 5s } }
gates:
  build:
    run: make
    artifacts: [{ path: "dist/*.tgz", min-size: 10MB, max-size: 512KiB }]
  e2e:
    needs: [build]
    services: [api]
    run: pytest
    timeout: 1h30m
    retry: { attempts: 3, delay: 2s }
    severity: block
    probes: [{ get: "http://127.0.0.1:3000/", status: 200, body-contains: "<div" }]
`);
    const cfg = await result;
    expect(cfg.name).toBe('demo');
    expect(cfg.gates.build!.timeoutMs).toBe(120_000);
    expect(cfg.gates.build!.severity).toBe('warn');
    expect(cfg.gates.build!.checks.artifacts![0]).toMatchObject({ minSize: 10_000_000, maxSize: 524_288 });
    expect(cfg.gates.e2e!.timeoutMs).toBe(5_400_000);
    expect(cfg.gates.e2e!.retry).toEqual({ attempts: 3, delayMs: 2000 });
    expect(cfg.gates.e2e!.severity).toBe('block');
    expect(cfg.gates.e2e!.cwd).toBe(join(file, '..'));
    expect(cfg.gates.e2e!.checks.probes![0]).toMatchObject({ method: 'GET', status: [200], bodyContains: ['<div'] });
    expect(cfg.services.api!.ready).toEqual({ http: 'http://127.0.0.1:3000/health', command: undefined, timeoutMs: 5000, intervalMs: 250 });
    // The digest of the bytes read (computed on first use), and a field a library caller may still set.
    expect(cfg.hash).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect({ ...cfg }.hash).toBe(cfg.hash);
    cfg.hash = 'set-by-caller';
    expect(cfg.hash).toBe('set-by-caller');
    // Logs are capped at 100 MB each unless defaults.log-max says otherwise; quarantines at 90 days.
    expect(cfg.defaults.logMaxBytes).toBe(100_000_000);
    expect(cfg.defaults.quarantineMaxMs).toBe(90 * 86_400_000);
  });

  it('reports YAML syntax errors with line and column', async () => {
    const { file, issues } = await issuesOf('gates:\n  a: { run: echo\n  b: [\n');
    expect(issues[0]!.code).toBe('CONFIG_YAML');
    expect(issues[0]!.location).toMatchObject({ file, line: expect.any(Number), col: expect.any(Number) });
  });

  it('reports a duplicate key where the second one is', async () => {
    const { issues } = await issuesOf('gates:\n  a:\n    run: echo 1\n    run: echo 2\n');
    expect(issues[0]!.code).toBe('CONFIG_DUPLICATE_KEY');
    expect(issues[0]!.location).toMatchObject({ line: 4, col: 5 });
  });

  it('names an unknown key with a did-you-mean', async () => {
    const { issues } = await issuesOf('gates:\n  a:\n    run: echo\n    timout: 5m\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'CONFIG_UNKNOWN_KEY', path: 'gates.a.timout', hint: 'did you mean "timeout"?' });
    expect(issues[0]!.location).toMatchObject({ line: 4, col: 5 });
  });

  it('reports a wrong type at the value', async () => {
    const { issues } = await issuesOf('gates:\n  a:\n    run: echo\n    needs: build\n');
    expect(issues[0]).toMatchObject({ code: 'CONFIG_TYPE', path: 'gates.a.needs' });
    expect(issues[0]!.message).toContain('a list');
    expect(issues[0]!.location).toMatchObject({ line: 4, col: 12 });
  });

  it('rejects a bad duration and a bad size with a hint', async () => {
    const { issues } = await issuesOf('gates:\n  a:\n    run: echo\n    timeout: 10 minutes\n    artifacts: [{ path: x, min-size: 10M }]\n');
    expect(issues.map((i) => i.code).sort()).toEqual(['CONFIG_DURATION', 'CONFIG_SIZE']);
    expect(issues.find((i) => i.code === 'CONFIG_DURATION')).toMatchObject({ path: 'gates.a.timeout', location: { line: 4 } });
  });

  it('suggests the closest enum value', async () => {
    const { issues } = await issuesOf('gates:\n  a: { run: echo, severity: blok }\n');
    expect(issues[0]).toMatchObject({ code: 'CONFIG_VALUE', path: 'gates.a.severity', hint: 'did you mean "block"?' });
  });

  it('finds cycles and unknown ids', async () => {
    const { issues } = await issuesOf(`
gates:
  a: { run: echo, needs: [c] }
  b: { run: echo, needs: [a] }
  c: { run: echo, needs: [b] }
  d: { run: echo, needs: [buld], services: [apii] }
  build: { run: echo }
services:
  api: { run: echo }
`);
    const cycle = issues.find((i) => i.code === 'CONFIG_CYCLE')!;
    expect(cycle.message).toMatch(/a → c → b → a/);
    expect(issues.find((i) => i.code === 'CONFIG_UNKNOWN_GATE')).toMatchObject({ path: 'gates.d.needs[0]', hint: 'did you mean "build"?' });
    expect(issues.find((i) => i.code === 'CONFIG_UNKNOWN_SERVICE')).toMatchObject({ path: 'gates.d.services[0]', hint: 'did you mean "api"?' });
  });

  it('checks expect expressions and variables before running', async () => {
    const { issues } = await issuesOf(`
gates:
  a:
    run: echo \${verison}
    reports: [r.xml]
    expect: ["tests.faild == 0", "tests.failed =< 1"]
`);
    const codes = issues.map((i) => i.code);
    expect(codes).toContain('CONFIG_VARIABLE');
    expect(codes).toContain('EXPECT_UNKNOWN_PATH');
    expect(codes).toContain('EXPECT_SYNTAX');
  });

  it('refuses a gate with nothing to check', async () => {
    const { issues } = await issuesOf('gates:\n  a: { title: nothing }\n');
    expect(issues[0]).toMatchObject({ code: 'CONFIG_EMPTY_GATE', path: 'gates.a' });
  });

  it('refuses settings that would quietly judge nothing', async () => {
    const rules = (await issuesOf(`
gates:
  sign: { manual: { checklist: [x] }, run: "false" }
  cov: { run: make, expect: ["coverage.lines >= 80%"] }
`)).issues;
    const ruleCodes = Object.fromEntries(rules.map((i) => [i.path, i.code]));
    expect(ruleCodes['gates.sign.run']).toBe('CONFIG_VALUE');
    expect(ruleCodes['gates.cov.expect']).toBe('CONFIG_EXPECT');
    const { issues } = await issuesOf(`
gates:
  slow: { run: echo, timeout: 30d }
  zero: { run: echo, timeout: 0s }
baseline: { runs: 3, min-runs: 5, warn: 30%, fail: 20% }
quarantine: [{ tests: "a::b", reason: r, until: "2026-02-30" }]
`);
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.code]));
    expect(byPath['gates.slow.timeout']).toBe('CONFIG_DURATION');
    expect(byPath['gates.zero.timeout']).toBe('CONFIG_DURATION');
    expect(byPath['quarantine[0].until']).toBe('CONFIG_VALUE');
    expect(issues.filter((i) => i.path === 'baseline').map((i) => i.message).join('\n')).toMatch(/min-runs[\s\S]*warn/);
  });

  it('refuses a configuration without gates', async () => {
    const { issues } = await issuesOf('gates: {}\n');
    expect(issues[0]).toMatchObject({ code: 'CONFIG_EMPTY', path: 'gates' });
  });

  it('refuses a YAML alias bomb instead of expanding it', async () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    let prev = 'a';
    for (const n of 'bcdefgh') {
      lines.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(', ')}]`);
      prev = n;
    }
    const { issues } = await issuesOf(`${lines.join('\n')}\ngates:\n  x: { run: echo }\n`);
    expect(issues[0]!.code).toBe('CONFIG_YAML');
  });

  it('loads the configurations shipped with the project: the self-gate and the demo', async () => {
    const repo = join(import.meta.dirname, '..', '..');
    const self = await loadConfig({ file: join(repo, 'shipgate.yml') });
    expect(Object.keys(self.gates)).toEqual(['typecheck', 'lint', 'build', 'unit', 'e2e', 'conformance']);
    const demo = await loadConfig({ file: join(repo, 'examples', 'demo', 'shipgate.yml') });
    expect(demo.gates['live-smoke']?.optional).toBe(true);
    expect(demo.gates['package-audit']?.when).toBe('local');
  });

  it('accepts the example configuration in the README, so the front door stays true', async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const example = /```yaml\n(name: resume-assistant[\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const { result } = await load(example!);
    const cfg = await result;
    expect(Object.keys(cfg.gates)).toContain('cost-guardrails');
    expect(cfg.requirements['api-contract']?.tests).toEqual(['tests/test_web_api.py::*']);
  });

  it('says when the file is missing', async () => {
    await expect(loadConfig({ file: '/nonexistent/shipgate.yml' })).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
  });
});
