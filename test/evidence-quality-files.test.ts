/**
 * Cross-cutting checks of the quality-evidence parsers: sniffing in registry order picks the right
 * format for every fixture, and every parser fails closed — with a stable code naming the file —
 * on missing, empty, binary, truncated and wrong-shaped input.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceError } from '../src/errors.js';
import type { EvidenceFormat, FormatParser } from '../src/evidence/model.js';
import { HEAD_BYTES, decodeHead, readHead } from '../src/evidence/read.js';
import { PARSERS, parserFor } from '../src/evidence/registry.js';

const FX = join(import.meta.dirname, 'fixtures/evidence');

const FIXTURES: [string, EvidenceFormat][] = [
  ['coverage/multi.lcov.info', 'lcov'],
  ['coverage/coveragepy.cobertura.xml', 'cobertura'],
  ['coverage/js-tool.cobertura.xml', 'cobertura'],
  ['coverage/doctype.jacoco.xml', 'jacoco'],
  ['coverage/summary-unknown.istanbul.json', 'istanbul-summary'],
  ['coverage/coverage-final.json', 'istanbul-final'],
  ['coverage/gcovr.sonar.xml', 'sonar-coverage'],
  ['sarif/eslint-like.sarif', 'sarif'],
  ['sarif/codeql-like.sarif', 'sarif'],
  ['k6/summary-export.json', 'k6-summary'],
  ['k6/handle-summary.json', 'k6-summary'],
  ['bench/pytest-benchmark.json', 'pytest-benchmark'],
  ['bench/hyperfine.json', 'hyperfine'],
  ['bench/google-benchmark.json', 'google-benchmark'],
  ['bench/vitest-bench.json', 'vitest-bench'],
  ['bench/target/criterion/fib 20/new/estimates.json', 'criterion'],
  ['bench/cargo-criterion.ndjson', 'criterion'],
  ['bench/go-bench.txt', 'go-bench'],
  ['metrics/metrics.json', 'metrics-json'],
  ['metrics/scrape.prom', 'prometheus'],
  ['metrics/openmetrics.txt', 'prometheus'],
];

const QUALITY: EvidenceFormat[] = [
  'lcov',
  'cobertura',
  'jacoco',
  'istanbul-summary',
  'istanbul-final',
  'sonar-coverage',
  'sarif',
  'k6-summary',
  'pytest-benchmark',
  'hyperfine',
  'google-benchmark',
  'vitest-bench',
  'criterion',
  'go-bench',
  'metrics-json',
  'prometheus',
];

const XML = new Set<EvidenceFormat>(['cobertura', 'jacoco', 'sonar-coverage']);
const LINES = new Set<EvidenceFormat>(['lcov', 'go-bench', 'prometheus']);

let dir: string;
const files: Record<string, string> = {};
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-quality-bad-'));
  const write = async (name: string, data: string | Buffer): Promise<void> => {
    files[name] = join(dir, name);
    await writeFile(files[name], data);
  };
  await write('zero', '');
  await write('blank', '  \n\n ');
  await write('binary', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0xfe, 0x9c]));
  await write('cut.json', '{"metrics": {"a": 1, "b": {"value": 2, "un');
  await write('other.json', '{"hello": ["world"]}');
  await write('cut-cobertura.xml', '<?xml version="1.0"?>\n<coverage line-rate="1"><packages><package name="a"><classes><class filename="a.py"><lines><line number="1" hi');
  await write('cut-jacoco.xml', '<?xml version="1.0"?>\n<report name="x"><package name="a"><sourcefile name="A.java"><counter type="LINE" missed="1" covered="2"/>');
  await write('cut-sonar-coverage.xml', '<?xml version="1.0"?>\n<coverage version="1"><file path="a.c"><lineToCover lineNumber="1" covered="true"/>');
  await write('junit.xml', '<?xml version="1.0"?>\n<testsuites><testsuite name="a" tests="1"><testcase name="t"/></testsuite></testsuites>');
  await write('prose.txt', 'Just some words.\nNothing to measure here.\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: FormatParser, path: string): Promise<EvidenceError> {
  const err = await p.parse(path, { displayPath: 'reports/x' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${p.format} accepted ${path}`).toBeInstanceOf(EvidenceError);
  const e = err as EvidenceError;
  expect(e.file).toBe('reports/x');
  expect(e.message).toContain('reports/x');
  return e;
}

describe('sniffing in registry order', () => {
  it.each(FIXTURES)('%s is sniffed as %s', async (rel, format) => {
    const head = decodeHead(await readHead(join(FX, rel), HEAD_BYTES));
    expect(head).toBeDefined();
    expect(PARSERS.find((p) => p.sniff(head!))?.format).toBe(format);
  });

  it('no quality parser claims a JUnit file, prose or unrelated JSON', () => {
    for (const head of ['<?xml version="1.0"?>\n<testsuites><testsuite name="a">', 'Just some words.\n', '{"hello": ["world"]}']) {
      expect(QUALITY.filter((f) => parserFor(f).sniff(head))).toEqual([]);
    }
  });
});

describe.each(QUALITY)('%s fails closed', (format) => {
  const p = parserFor(format);

  it('on a missing file', async () => {
    expect((await failure(p, join(dir, 'no-such-file'))).code).toBe('EVIDENCE_MISSING');
  });

  it('on a 0-byte file', async () => {
    expect((await failure(p, files.zero!)).code).toBe('EVIDENCE_EMPTY');
  });

  it('on a whitespace-only file', async () => {
    expect((await failure(p, files.blank!)).code).toBe('EVIDENCE_EMPTY');
  });

  it('on binary garbage', async () => {
    expect((await failure(p, files.binary!)).code).toBe('EVIDENCE_MALFORMED');
  });

  it('on a file cut short', async () => {
    const path = XML.has(format) ? files[`cut-${format}.xml`]! : LINES.has(format) ? undefined : files['cut.json']!;
    if (path === undefined) {
      // line formats: a file cut mid-record is covered by each format's own tests (LCOV) or is a
      // shorter but valid file; prose in their place must still not pass
      const code = (await failure(p, files['prose.txt']!)).code;
      expect(['EVIDENCE_MALFORMED', 'EVIDENCE_EMPTY']).toContain(code);
      return;
    }
    expect((await failure(p, path)).code).toBe('EVIDENCE_TRUNCATED');
  });

  it('on the wrong kind of file', async () => {
    const path = XML.has(format) ? files['junit.xml']! : files['other.json']!;
    expect(['EVIDENCE_MALFORMED', 'EVIDENCE_EMPTY']).toContain((await failure(p, path)).code);
  });
});
