/**
 * JUnit parse benchmark: shipgate's streaming parser (parseJunit, one TestResult per testcase)
 * vs fast-xml-parser (XMLParser into objects, attributes kept).
 *
 *   node --import tsx bench/junit-parse.ts                  # 100k, 500k and 1M test cases, 3 runs each
 *   node --import tsx bench/junit-parse.ts 200000 --runs 5  # custom sizes / runs
 *   KEEP=1 node --import tsx bench/junit-parse.ts             # keep the temp dir (child.mjs, reports) to profile
 *
 * Goals: shipgate >= 3x faster than fast-xml-parser; peak RSS < 200 MB at 500k, and flat apart
 * from the results themselves.
 *
 * How it measures, so the numbers are comparable:
 * - each report (realistic: suites, properties, failures with messages and CDATA, system-out) is
 *   generated once per size and every parser reads the same file;
 * - every run is its own child process; peak RSS is that process's VmHWM (/proc/self/status;
 *   `resourceUsage().maxRSS` elsewhere), and the clock covers only the parse (modules are loaded
 *   first). Not maxRSS on Linux: a forked child inherits its parent's high-water mark;
 * - children run plain `node` on JavaScript: the shipgate sources are transpiled to a temp dir
 *   first, because tsx's loader thread adds ~35 MB of RSS to whatever runs under it;
 * - runs alternate between parsers, and the ratio is taken per round then the median, so load
 *   from other processes hits both sides alike;
 * - `scanner only` is the same scanner and reader with a handler that only counts <testcase>:
 *   its RSS staying flat across sizes shows that what grows is the results, not the parser;
 *   `node (empty)` is the floor every child starts from.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { generateJunit as generate } from './junit-report.js';

type Mode = 'shipgate' | 'fast-xml-parser' | 'scanner' | 'empty';
const LABEL: Record<Mode, string> = {
  shipgate: 'shipgate',
  'fast-xml-parser': 'fast-xml-parser',
  scanner: 'scanner only',
  empty: 'node (empty)',
};
interface ChildResult {
  ms: number;
  rssMB: number;
  tests: number;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Transpile src/evidence/junit.ts and every relative module it imports into `outDir`. */
async function transpile(outDir: string): Promise<void> {
  const seen = new Set<string>();
  const visit = async (file: string): Promise<void> => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    }).outputText;
    const out = join(outDir, relative(root, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, js);
    for (const m of source.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)\.js'/gm)) {
      await visit(resolve(dirname(file), `${m[1]!}.ts`));
    }
  };
  await visit(join(root, 'src/evidence/junit.ts'));
  await writeFile(join(outDir, 'package.json'), '{"type":"module"}');
}

/** The child: plain JavaScript, one parse, prints its time, peak RSS and test count. */
function childSource(): string {
  return `
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { parseJunit } from './src/evidence/junit.js';
import { scanFile, XmlScanner } from './src/evidence/xml-scan.js';
const { XMLParser } = createRequire(${JSON.stringify(join(root, 'package.json'))})('fast-xml-parser');
const [mode, file] = process.argv.slice(2);
const t0 = performance.now();
let tests = 0;
if (mode === 'shipgate') {
  tests = (await parseJunit(file, { displayPath: 'bench.xml' })).tests.length;
} else if (mode === 'fast-xml-parser') {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(await readFile(file, 'utf8'));
  for (const s of doc.testsuites.testsuite) tests += s.testcase.length;
} else if (mode === 'scanner') {
  const scanner = new XmlScanner({
    onOpen: (name) => { if (name === 'testcase') tests++; },
    onClose: () => {},
    wantText: () => false,
    onText: () => {},
    onDoctype: () => {},
  });
  scanner.end(await scanFile(file, scanner));
}
const ms = performance.now() - t0;
// VmHWM is this process's own peak. resourceUsage().maxRSS is not, on Linux: a forked child
// starts with its parent's high-water mark (here the tsx-loaded bench, ~75 MB).
let hwm;
try { hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')); } catch {}
const rssMB = hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify({ ms, rssMB, tests }));
`;
}

const run = promisify(execFile);

async function measure(dir: string, mode: Mode, file: string): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [join(dir, 'child.mjs'), mode, file], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as ChildResult;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const runs = runsAt === -1 ? 3 : Number(args.splice(runsAt, 2)[1]);
  const sizes = args.length > 0 ? args.map(Number) : [100_000, 500_000, 1_000_000];
  const dir = await mkdtemp(join(tmpdir(), 'shipgate-bench-'));
  try {
    await transpile(dir);
    await writeFile(join(dir, 'child.mjs'), childSource());
    const floor = median((await Promise.all([0, 1, 2].map(() => measure(dir, 'empty', '')))).map((r) => r.rssMB));
    console.log(`node ${process.version}; ${runs} runs per parser and size, alternating; median time, median peak RSS`);
    console.log(`${LABEL.empty} peak RSS: ${floor.toFixed(0)} MB\n`);
    console.log('tests       file     parser            time ms   peak RSS MB   ratio fxp/shipgate');
    const summary: string[] = [];
    for (const n of sizes) {
      const file = join(dir, `junit-${n}.xml`);
      await generate(file, n);
      const mb = (await stat(file)).size / 1e6;
      const modes: Mode[] = ['shipgate', 'fast-xml-parser', 'scanner'];
      const rs: Record<Mode, ChildResult[]> = { shipgate: [], 'fast-xml-parser': [], scanner: [], empty: [] };
      for (let r = 0; r < runs; r++) for (const m of modes) rs[m].push(await measure(dir, m, file));
      const ratio = median(rs.shipgate.map((s, k) => rs['fast-xml-parser'][k]!.ms / s.ms));
      for (const m of modes) {
        const tests = rs[m][0]!.tests;
        if (tests !== n) console.log(`  WARNING: ${LABEL[m]} counted ${tests} tests, expected ${n}`);
        console.log(
          `${n.toLocaleString('en').padEnd(11)} ${`${mb.toFixed(0)} MB`.padEnd(8)} ${LABEL[m].padEnd(17)} ${median(rs[m].map((x) => x.ms)).toFixed(0).padStart(7)}   ${median(rs[m].map((x) => x.rssMB)).toFixed(0).padStart(11)}   ${m === 'shipgate' ? `${ratio.toFixed(2)}x` : ''}`,
        );
      }
      const rss = median(rs.shipgate.map((x) => x.rssMB));
      const scanRss = median(rs.scanner.map((x) => x.rssMB));
      summary.push(
        `${n.toLocaleString('en')}: ${ratio.toFixed(2)}x faster than fast-xml-parser (goal >= 3x); shipgate peak RSS ${rss.toFixed(0)} MB ` +
          `(goal < 200 MB at 500k) = scanner ${scanRss.toFixed(0)} MB + results ${(((rss - scanRss) * 1024 * 1024) / n).toFixed(0)} B per test`,
      );
    }
    console.log(`\n${summary.join('\n')}`);
  } finally {
    if (process.env.KEEP) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

await main();
