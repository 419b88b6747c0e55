/**
 * Cost of refusing duplicate JSON keys (src/evidence/json-keys.ts) against JSON.parse alone, on a
 * generated SARIF log with 1,000,000 results (~150 MB), compact and pretty-printed.
 *
 *   node --import tsx bench/json-dupkeys.ts              # 1M results, 5 runs
 *   node --import tsx bench/json-dupkeys.ts 200000 --runs 3
 *
 * Goal: the scan adds at most ~1x JSON.parse's time (the whole check at most doubles it).
 * Also times the full SARIF parse (read, JSON.parse, duplicate check, findings) for reference.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDuplicateKey } from '../src/evidence/json-keys.js';
import { sarifParser } from '../src/evidence/sarif.js';

async function generate(path: string, n: number, pretty: boolean): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  const nl = pretty ? '\n' : '';
  const ind = (k: number): string => (pretty ? ' '.repeat(k * 2) : '');
  await write(`{${nl}${ind(1)}"version": "2.1.0",${nl}${ind(1)}"runs": [{${nl}${ind(2)}"tool": {"driver": {"name": "bench", "rules": [{"id": "r0"}, {"id": "r1"}]}},${nl}${ind(2)}"results": [${nl}`);
  for (let i = 0; i < n; i++) {
    const r = pretty
      ? `${ind(3)}{\n${ind(4)}"ruleId": "r${i % 2}",\n${ind(4)}"level": "warning",\n${ind(4)}"message": {"text": "problem ${i}"},\n${ind(4)}"locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/f${i % 1000}.js"}, "region": {"startLine": ${i % 500 + 1}}}}]\n${ind(3)}}`
      : `{"ruleId":"r${i % 2}","level":"warning","message":{"text":"problem ${i}"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/f${i % 1000}.js"},"region":{"startLine":${i % 500 + 1}}}}]}`;
    await write(i + 1 < n ? `${r},${nl}` : `${r}${nl}`);
  }
  out.end(`${ind(2)}]${nl}${ind(1)}}]${nl}}${nl}`);
  await once(out, 'finish');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const runs = runsAt === -1 ? 5 : Number(args.splice(runsAt, 2)[1]);
  const n = args.length > 0 ? Number(args[0]) : 1_000_000;
  const dir = await mkdtemp(join(tmpdir(), 'shipgate-json-bench-'));
  try {
    console.log(`node ${process.version}; ${n.toLocaleString('en')} SARIF results; ${runs} runs, median`);
    for (const pretty of [false, true]) {
      const file = join(dir, pretty ? 'pretty.sarif' : 'compact.sarif');
      await generate(file, n, pretty);
      const text = await readFile(file, 'utf8');
      const parse: number[] = [];
      const scan: number[] = [];
      for (let r = 0; r < runs; r++) {
        parse.push(time(() => JSON.parse(text)));
        scan.push(time(() => {
          if (findDuplicateKey(text) !== undefined) throw new Error('unexpected duplicate');
        }));
      }
      const p = median(parse);
      const s = median(scan);
      const t0 = performance.now();
      const part = await sarifParser.parse(file, { displayPath: 'bench.sarif' });
      const full = performance.now() - t0;
      console.log(
        `${pretty ? 'pretty ' : 'compact'} ${(text.length / 1e6).toFixed(0)} MB: JSON.parse ${p.toFixed(0)} ms, duplicate-key scan ${s.toFixed(0)} ms ` +
          `(+${((s / p) * 100).toFixed(0)}%, parse+scan = ${((p + s) / p).toFixed(2)}x JSON.parse); full sarif parse ${full.toFixed(0)} ms, ${part.findings?.length} findings`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
