/**
 * JUnit parse benchmark: shipgate's streaming parser vs fast-xml-parser (XMLParser into objects)
 * and a bare saxes pass (the streaming alternative that was measured before choosing the
 * purpose-built scanner). Generates realistic reports (suites, properties, failures with messages
 * and CDATA, system-out) at 100k and 500k test cases in a temp dir; each parse runs in its own
 * child process so peak RSS (`process.resourceUsage().maxRSS`) is per parser.
 *
 *   node --import tsx bench/junit-parse.ts            # 100k and 500k, 3 runs each (median)
 *   node --import tsx bench/junit-parse.ts 200000     # custom sizes
 * Goals: shipgate ≥ 3× faster than fast-xml-parser; peak RSS < 200 MB, flat across sizes apart
 * from the results themselves.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { once } from 'node:events';

type Parser = 'shipgate' | 'fast-xml-parser' | 'saxes';
interface ChildResult {
  ms: number;
  rssMB: number;
  tests: number;
}

const PER_SUITE = 500;

async function generate(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench" tests="' + n + '">\n');
  for (let i = 0; i < n; ) {
    const s = i / PER_SUITE;
    await write(`  <testsuite name="com.acme.module${s}.ServiceTest" tests="${PER_SUITE}" time="12.5" timestamp="2024-05-01T10:00:00">\n`);
    await write('    <properties><property name="java.version" value="21"/><property name="os" value="linux"/></properties>\n');
    for (let k = 0; k < PER_SUITE && i < n; k++, i++) {
      const head = `    <testcase classname="com.acme.module${s}.ServiceTest" name="handles case ${i} [param=${k % 7}]" time="0.0${(i % 90) + 10}"`;
      if (i % 50 === 7) {
        await write(
          `${head}><failure message="expected: &lt;200&gt; but was: &lt;500&gt;" type="AssertionError">java.lang.AssertionError: expected 200\n\tat com.acme.ServiceTest.handles(ServiceTest.java:${i % 400})\n\tat java.base/java.lang.Thread.run(Thread.java:1583)</failure><system-out><![CDATA[request id=${i} <body> & more\nresponse 500]]></system-out></testcase>\n`,
        );
      } else if (i % 97 === 3) {
        await write(`${head}><skipped message="disabled on linux"/></testcase>\n`);
      } else if (i % 10 === 1) {
        await write(`${head}><system-out><![CDATA[log line for ${i}\nsecond line]]></system-out></testcase>\n`);
      } else {
        await write(`${head}/>\n`);
      }
    }
    await write('  </testsuite>\n');
  }
  out.end('</testsuites>\n');
  await once(out, 'finish');
}

async function child(parser: Parser, file: string): Promise<void> {
  // Load every module first so the clock measures parsing, not module loading/transpiling.
  const [{ parseJunit }, { XMLParser }, { SaxesParser }] = await Promise.all([
    import('../src/evidence/junit.js'),
    import('fast-xml-parser'),
    import('saxes'),
  ]);
  const t0 = performance.now();
  let tests = 0;
  if (parser === 'shipgate') {
    tests = (await parseJunit(file, { displayPath: 'bench.xml' })).tests?.length ?? 0;
  } else if (parser === 'fast-xml-parser') {
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(await readFile(file, 'utf8')) as {
      testsuites: { testsuite: { testcase: unknown[] }[] };
    };
    for (const s of doc.testsuites.testsuite) tests += s.testcase.length;
  } else {
    const p = new SaxesParser();
    p.on('opentag', (t) => {
      if (t.name === 'testcase') tests++;
    });
    for await (const c of createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 })) p.write(c as string);
    p.close();
  }
  const ms = performance.now() - t0;
  const result: ChildResult = { ms, rssMB: process.resourceUsage().maxRSS / 1024, tests };
  process.stdout.write(JSON.stringify(result));
}

const run = promisify(execFile);
const self = fileURLToPath(import.meta.url);

async function measure(parser: Parser, file: string): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', self, '--child', parser, file], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as ChildResult;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1] as Parser, args[2]!);
  const sizes = args.length > 0 ? args.map(Number) : [100_000, 500_000];
  const runs = 3;
  const dir = await mkdtemp(join(tmpdir(), 'shipgate-bench-'));
  try {
    console.log(`node ${process.version}, ${runs} runs per parser (median time, max RSS)`);
    for (const n of sizes) {
      const file = join(dir, `junit-${n}.xml`);
      await generate(file, n);
      const mb = (await stat(file)).size / 1e6;
      const results: Partial<Record<Parser, { ms: number; rss: number; tests: number }>> = {};
      for (const parser of ['shipgate', 'fast-xml-parser', 'saxes'] as const) {
        const rs: ChildResult[] = [];
        for (let r = 0; r < runs; r++) rs.push(await measure(parser, file));
        results[parser] = { ms: median(rs.map((x) => x.ms)), rss: Math.max(...rs.map((x) => x.rssMB)), tests: rs[0]!.tests };
      }
      console.log(`\n${n.toLocaleString('en')} test cases (${mb.toFixed(1)} MB)`);
      for (const [name, r] of Object.entries(results)) {
        console.log(`  ${name.padEnd(16)} ${r.ms.toFixed(0).padStart(6)} ms   peak RSS ${r.rss.toFixed(0).padStart(4)} MB   tests=${r.tests}`);
      }
      const sg = results.shipgate!;
      const fxp = results['fast-xml-parser']!;
      const ratio = fxp.ms / sg.ms;
      console.log(`  speed-up vs fast-xml-parser: ${ratio.toFixed(2)}x (goal >= 3x)   shipgate RSS < 200 MB: ${sg.rss < 200 ? 'yes' : 'NO'}`);
      if (sg.tests !== n) console.log(`  WARNING: shipgate counted ${sg.tests} tests, expected ${n}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
