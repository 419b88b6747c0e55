/**
 * Big legitimate reports parse without a stack overflow (no `push(...big)`, `Math.max(...big)` or
 * recursion on the path of a result list): 1,000,000 SARIF results (~150 MB), 200,000 TAP tests
 * (flat and inside one subtest), 2,500,000 JUnit test cases. Files are generated with a stream
 * writer into a temp dir. Timings are printed for reference and never decide a test.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvidence } from '../src/evidence/collect.js';
import { parseJunit } from '../src/evidence/junit.js';
import { parseTap } from '../src/evidence/tap.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-big-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Write `count` generated pieces (plus head and tail), batched so a million writes stay fast. */
async function generate(name: string, head: string, count: number, piece: (i: number) => string, tail: string): Promise<string> {
  const path = join(dir, name);
  const out = createWriteStream(path);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(head);
  let batch = '';
  for (let i = 0; i < count; i++) {
    batch += piece(i);
    if (batch.length > 1 << 20) {
      await write(batch);
      batch = '';
    }
  }
  await write(batch + tail);
  out.end();
  await once(out, 'finish');
  return path;
}

async function timed<T>(label: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  console.log(`${label}: ${Math.round(performance.now() - t0)} ms`);
  return r;
}

describe('big reports', () => {
  it('1,000,000 SARIF results (~150 MB) are collected as findings', async () => {
    const n = 1_000_000;
    const path = await generate(
      'big.sarif',
      '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"big","rules":[{"id":"r0"},{"id":"r1","defaultConfiguration":{"level":"error"}}]}},"results":[',
      n,
      (i) =>
        `${i === 0 ? '' : ','}{"ruleId":"r${i % 2}","message":{"text":"issue ${i}"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/f${i % 1000}.js"},"region":{"startLine":${(i % 500) + 1}}}}]}`,
      ']}]}\n',
    );
    // Through collectEvidence: the merge into the gate's evidence must not spread the list either.
    const ev = await timed('1M SARIF results', () => collectEvidence([{ path: 'big.sarif' }], dir));
    expect(ev.reports).toEqual([{ path: 'big.sarif', format: 'sarif', ok: true, mtimeMs: expect.any(Number) }]);
    expect(ev.findings).toHaveLength(n);
    expect(ev.findings[n - 1]).toMatchObject({ ruleId: 'r1', level: 'error', message: `issue ${n - 1}`, file: 'src/f999.js', line: 500 });
    expect(ev.findings.filter((f) => f.level === 'warning')).toHaveLength(n / 2);
    expect(ev.findings.every((f) => typeof f.fingerprint === 'string' && f.fingerprint.length === 16)).toBe(true);
    void path;
  }, 180_000);

  it('200,000 TAP tests, flat and all inside one subtest', async () => {
    const n = 200_000;
    const flat = await generate(
      'flat.tap',
      'TAP version 13\n',
      n,
      (i) => `# Subtest: test ${i}\n${i % 1000 === 7 ? 'not ok' : 'ok'} ${i + 1} - test ${i}\n  ---\n  duration_ms: 0.${i % 90}\n  ...\n`,
      `1..${n}\n# tests ${n}\n`,
    );
    const f = (await timed('200k TAP tests (flat)', () => parseTap(flat, { displayPath: 'flat.tap' }))).tests!;
    expect(f).toHaveLength(n);
    expect(f.filter((t) => t.status === 'failed')).toHaveLength(n / 1000);
    expect(f[n - 1]).toMatchObject({ id: `test ${n - 1}`, status: 'passed' });

    const nested = await generate(
      'nested.tap',
      'TAP version 14\n# Subtest: suite\n',
      n,
      (i) => `    ok ${i + 1} - case ${i}\n`,
      `    1..${n}\nok 1 - suite\n1..1\n`,
    );
    const t = (await timed('200k TAP tests (one subtest)', () => parseTap(nested, { displayPath: 'nested.tap' }))).tests!;
    expect(t).toHaveLength(n);
    expect(t[0]).toMatchObject({ id: 'suite::case 0', status: 'passed' });
    expect(t[n - 1]).toMatchObject({ id: `suite::case ${n - 1}`, status: 'passed' });
  }, 120_000);

  // The largest of the three: its time is mostly generating and parsing 150 MB of XML.
  it('2,500,000 JUnit test cases', async () => {
    const n = 2_500_000;
    const perSuite = 5000;
    const path = await generate(
      'big.xml',
      '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n',
      n,
      (i) => {
        const s = Math.floor(i / perSuite);
        const open = i % perSuite === 0 ? `${i === 0 ? '' : '</testsuite>\n'}<testsuite name="com.acme.S${s}" tests="${perSuite}" failures="${perSuite / 1000}">\n` : '';
        const body = i % 1000 === 3 ? '><failure message="boom"/></testcase>' : '/>';
        return `${open}<testcase classname="com.acme.S${s}" name="case ${i}" time="0.001"${body}\n`;
      },
      '</testsuite>\n</testsuites>\n',
    );
    const tests = (await timed('2.5M JUnit test cases', () => parseJunit(path, { displayPath: 'big.xml' }))).tests!;
    expect(tests).toHaveLength(n);
    expect(tests.filter((t) => t.status === 'failed')).toHaveLength(n / 1000);
    expect(tests[n - 1]).toMatchObject({ id: `com.acme.S${n / perSuite - 1}::case ${n - 1}`, status: 'passed' });
  }, 600_000);
});
