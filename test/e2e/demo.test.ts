/**
 * The bundled example (examples/demo) through the real CLI, in a copy whose fixed ports are
 * replaced by free ones: READY as shipped, BLOCKED with its break switch on.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, freePort, gate, parseDecision, removeProject, runCli } from './helpers.js';

const DEMO = join(REPO, 'examples', 'demo');
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeProject));
});

/** A copy of the demo without anything an earlier run left in it, on free ports. */
async function demoCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shipgate-demo-'));
  dirs.push(dir);
  const leftovers = ['reports', 'dist', '.shipgate', 'node_modules'];
  await cp(DEMO, dir, {
    recursive: true,
    filter: (src) => !leftovers.includes(relative(DEMO, src).split(sep)[0]!),
  });
  const [api, web] = [await freePort(), await freePort()];
  const yml = await readFile(join(dir, 'shipgate.yml'), 'utf8');
  expect(yml).toContain('4100');
  expect(yml).toContain('4180');
  await writeFile(join(dir, 'shipgate.yml'), yml.replaceAll('4100', String(api)).replaceAll('4180', String(web)));
  return dir;
}

describe('examples/demo', () => {
  it('is RELEASE READY as shipped (exit 0)', async () => {
    const dir = await demoCopy();
    const res = await runCli(['run', '1.2.3', '-c', join(dir, 'shipgate.yml'), '--no-history', '--local'], { cwd: REPO, timeoutMs: 120_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('RESULT: RELEASE READY');
    expect(res.stdout).toMatch(/unit\s+Unit tests \(\d+\/\d+\)\s+: PASS/);
    expect(res.stdout).toMatch(/live-smoke .*: SKIP \(optional; enable with --with live-smoke\)/);
    expect(existsSync(join(dir, 'dist', 'demo-web-1.2.3.tar.gz'))).toBe(true);
  });

  it('with DEMO_BREAK=1 is RELEASE BLOCKED (exit 1) and names the failing tests', async () => {
    const dir = await demoCopy();
    const res = await runCli(['run', '1.2.3', '-c', join(dir, 'shipgate.yml'), '--no-history', '--local', '--json'], {
      cwd: REPO,
      env: { DEMO_BREAK: '1' },
      timeoutMs: 120_000,
    });
    expect(res.code, res.stderr).toBe(1);
    const d = parseDecision(res.stdout);
    expect(d.result).toBe('BLOCKED');
    const e2e = gate(d, 'api-e2e');
    expect(e2e.status).toBe('fail');
    expect(e2e.failingTests.length).toBeGreaterThan(0);
    expect(e2e.checks.some((c) => !c.ok && c.check.includes('/api/items'))).toBe(true);
    for (const t of e2e.failingTests) expect(res.stderr).toContain(t.id);
    expect(res.stderr).toContain('RESULT: RELEASE BLOCKED');
    expect(gate(d, 'unit').status).toBe('pass');
  });
});
