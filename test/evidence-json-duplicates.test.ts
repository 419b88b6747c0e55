/**
 * Every JSON evidence format refuses an object with a key twice (JSON.parse would keep the last
 * and hide the first), naming the key and where its second occurrence is; the same file without
 * the repeat still parses. One check in the shared JSON path (read.ts) covers them all; this test
 * proves no format bypasses it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceError } from '../src/errors.js';
import type { EvidenceFormat } from '../src/evidence/model.js';
import { parserFor } from '../src/evidence/registry.js';

const FX = join(import.meta.dirname, 'fixtures/evidence');

/** One honest fixture per JSON format. */
const JSON_FIXTURES: [EvidenceFormat, string][] = [
  ['sarif', 'sarif/codeql-like.sarif'],
  ['k6-summary', 'k6/summary-export.json'],
  ['istanbul-summary', 'coverage/summary-unknown.istanbul.json'],
  ['istanbul-final', 'coverage/coverage-final.json'],
  ['pytest-benchmark', 'bench/pytest-benchmark.json'],
  ['hyperfine', 'bench/hyperfine.json'],
  ['google-benchmark', 'bench/google-benchmark.json'],
  ['vitest-bench', 'bench/vitest-bench.json'],
  ['criterion', 'bench/target/criterion/fib 20/new/estimates.json'],
  ['metrics-json', 'metrics/metrics.json'],
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-json-dup-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function parseError(format: EvidenceFormat, path: string): Promise<EvidenceError> {
  const err = await parserFor(format)
    .parse(path, { displayPath: 'reports/x.json' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err, `${format} accepted a duplicate key`).toBeInstanceOf(EvidenceError);
  return err as EvidenceError;
}

describe.each(JSON_FIXTURES)('%s refuses duplicate keys', (format, rel) => {
  it('the honest file parses; the same file with its first top-level key repeated at the end is EVIDENCE_MALFORMED', async () => {
    const text = await readFile(join(FX, rel), 'utf8');
    await expect(parserFor(format).parse(join(FX, rel), { displayPath: 'ok.json' })).resolves.toBeDefined();

    const doc = JSON.parse(text) as Record<string, unknown>;
    const key = Object.keys(doc)[0]!;
    const end = text.lastIndexOf('}');
    // The repeat goes on a line of its own after everything else: JSON.parse would keep it.
    const dup = `${text.slice(0, end).trimEnd()},\n"${key}": ${JSON.stringify(doc[key])}\n}\n`;
    const line = dup.split('\n').length - 2;
    const path = join(dir, `${format}.json`);
    await writeFile(path, dup);
    const err = await parseError(format, path);
    expect(err.code).toBe('EVIDENCE_MALFORMED');
    expect(err.location).toMatchObject({ file: 'reports/x.json', line, col: 1 });
    expect(err.message).toContain(`reports/x.json:${line}:1`);
    expect(err.message).toContain(JSON.stringify(key));
  });
});

describe('line-oriented JSON formats check every line', () => {
  it('go test -json: a second "Action" key in one event is EVIDENCE_MALFORMED at that line', async () => {
    const lines = [
      '{"Action":"run","Package":"p","Test":"TestA"}',
      '{"Action":"fail","Package":"p","Test":"TestA","Elapsed":0.1}',
      '{"Action":"fail","Package":"p","Elapsed":0.2}',
    ];
    const honest = join(dir, 'honest.jsonl');
    await writeFile(honest, `${lines.join('\n')}\n`);
    const tests = (await parserFor('go-test-json').parse(honest, { displayPath: 'honest.jsonl' })).tests ?? [];
    expect(tests.map((t) => [t.id, t.status])).toEqual([['p::TestA', 'failed']]);

    // The same stream where the failing event also says "pass": JSON.parse would read a pass.
    lines[1] = '{"Action":"fail","Package":"p","Test":"TestA","Elapsed":0.1,"Action":"pass"}';
    const path = join(dir, 'dup.jsonl');
    await writeFile(path, `${lines.join('\n')}\n`);
    const err = await parseError('go-test-json', path);
    expect(err.code).toBe('EVIDENCE_MALFORMED');
    expect(err.location).toMatchObject({ line: 2, col: lines[1].lastIndexOf('"Action"') + 1 });
    expect(err.message).toContain('"Action"');
  });

  it('cargo-criterion NDJSON: a repeated key on line 2 is reported at line 2', async () => {
    const text = await readFile(join(FX, 'bench/cargo-criterion.ndjson'), 'utf8');
    const lines = text.split('\n');
    lines[1] = lines[1]!.replace(/\}$/, ',"id":"renamed"}');
    const path = join(dir, 'dup.ndjson');
    await writeFile(path, lines.join('\n'));
    const err = await parseError('criterion', path);
    expect(err.code).toBe('EVIDENCE_MALFORMED');
    expect(err.location).toMatchObject({ line: 2 });
    expect(err.message).toContain('"id"');
  });
});
